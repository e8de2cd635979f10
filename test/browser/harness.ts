/**
 * What the browser tests run against (docs/console.md#tests): the seeded demo simulator and the
 * Worker under `wrangler dev`, as `npm start` runs them, but on free ports, with the demo tokens
 * and a fresh local D1/KV/queue state in a temporary folder; and the system Chromium, found by
 * path (CHROMIUM_PATH, else the Debian package's /usr/bin/chromium). Children run in their own
 * process groups and are stopped by their ids.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const ADMIN_TOKEN = "demo-admin-token-0000000000000000";
export const READ_TOKEN = "demo-read-token-00000";
/** The demo's read-only user token that sees Acme Corp and Globex Industries (simulator/seed.ts). */
export const DEMO_USER_TOKEN = "cfut_demoAcmeGlobexReadOnly000000000000000000";
export const DEMO_REVOKED_TOKEN = "cfut_demoRevoked00000000000000000000000000000";

const CHROMIUM_CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

/** The system Chromium (no browser download: the Debian package, or CHROMIUM_PATH). */
export function chromiumPath(): string {
  const found = [process.env.CHROMIUM_PATH, ...CHROMIUM_CANDIDATES].find((p) => p && existsSync(p));
  if (!found) {
    throw new Error("No Chromium found: install it (apt-get install -y chromium) or set CHROMIUM_PATH.");
  }
  return found;
}

const bin = (name: string) => join(ROOT, "node_modules", ".bin", name);
const childEnv = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  FORCE_COLOR: "0",
  NO_COLOR: "1",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  CI: "true",
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url: string, timeoutMs: number, output: () => string) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
      await r.arrayBuffer();
      if (r.status < 500) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface Demo {
  base: string;
  simBase: string;
  browser: Browser;
  stop: () => Promise<void>;
}

function startChild(command: string, args: string[], env: NodeJS.ProcessEnv) {
  const proc = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...String(chunk).split("\n"));
    if (lines.length > 400) lines.splice(0, 200);
  };
  proc.stdout!.on("data", keep);
  proc.stderr!.on("data", keep);
  return { proc, output: () => lines.slice(-60).join("\n") };
}

async function stopChild(proc: ChildProcess) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  try {
    process.kill(-proc.pid!, "SIGTERM");
  } catch {
    return;
  }
  await Promise.race([exited, new Promise((r) => setTimeout(r, 4000))]);
  try {
    process.kill(-proc.pid!, "SIGKILL");
  } catch {
    // gone
  }
}

/** Fresh state, secrets, migrations: what `npm start` prepares, in a temporary folder. */
function prepareState(): { state: string; envFile: string } {
  const state = mkdtempSync(join(tmpdir(), "connector-browser-"));
  const envFile = join(state, "test.env");
  const key = randomBytes(32).toString("base64");
  writeFileSync(
    envFile,
    `API_TOKEN=${ADMIN_TOKEN}\nAPI_READ_TOKENS=${READ_TOKEN}\nENCRYPTION_KEYS=browser:${key}\n`,
  );
  const migrate = spawnSync(
    bin("wrangler"),
    ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state],
    { cwd: ROOT, env: childEnv, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  if (migrate.status !== 0) throw new Error(`D1 migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);
  return { state, envFile };
}

/** Starts the simulator, the Worker and Chromium; `stop` ends all three and removes the state. */
export async function startDemo(): Promise<Demo> {
  const [port, simPort] = [await freePort(), await freePort()];
  const { state, envFile } = prepareState();
  const sim = startChild(bin("tsx"), ["simulator/serve.ts"], { ...childEnv, SIM_PORT: String(simPort) });
  const worker = startChild(
    bin("wrangler"),
    [
      "dev",
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--persist-to",
      state,
      "--env-file",
      envFile,
      "--var",
      `CLOUDFLARE_API_BASE_URL:http://127.0.0.1:${simPort}/client/v4`,
      "--show-interactive-dev-session=false",
    ],
    { ...childEnv, VSCODE_INSPECTOR_OPTIONS: "browser-tests-no-inspector" },
  );
  const stop = async () => {
    await Promise.all([stopChild(worker.proc), stopChild(sim.proc)]);
    rmSync(state, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`http://127.0.0.1:${simPort}/client/v4/accounts`, 60_000, sim.output);
    await waitForHttp(`http://127.0.0.1:${port}/health`, 120_000, worker.output);
    // The roster `npm start` uploads: one leaver who still has access, for the offboarding view.
    const roster = (await import("../../scripts/demo-roster.mjs" as string)) as {
      seedDemoRoster: (o: { api: string; adminToken: string; simulator: string }) => Promise<unknown>;
    };
    await roster.seedDemoRoster({
      api: `http://127.0.0.1:${port}`,
      adminToken: ADMIN_TOKEN,
      simulator: `http://127.0.0.1:${simPort}`,
    });
    const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true });
    return {
      base: `http://127.0.0.1:${port}`,
      simBase: `http://127.0.0.1:${simPort}`,
      browser,
      stop: async () => {
        await browser.close();
        await stop();
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

const AXE_SOURCE = () => readFileSync(join(ROOT, "node_modules", "axe-core", "axe.min.js"), "utf8");

export interface AxeSummary {
  page: string;
  violations: { id: string; impact: string | null; nodes: number; help: string }[];
}

/**
 * Runs axe-core in the page (evaluated through the DevTools protocol, which the page's CSP does
 * not govern) and returns every violation with its impact.
 */
export async function runAxe(page: Page, name: string): Promise<AxeSummary> {
  await page.evaluate(AXE_SOURCE());
  const result = (await page.evaluate(() =>
    (globalThis as any).axe.run(document, { resultTypes: ["violations"] }),
  )) as { violations: { id: string; impact: string | null; nodes: unknown[]; help: string }[] };
  return {
    page: name,
    violations: result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.length,
      help: v.help,
    })),
  };
}
