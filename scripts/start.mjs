#!/usr/bin/env node
// `npm start`: the offline demo (README walkthrough). Writes demo secrets to .dev.vars on first run, applies
// D1 migrations to the local database, starts the seeded Cloudflare API simulator (its state kept
// in .wrangler/state beside the local D1 and KV) and `wrangler dev` pointed at it, and stops both
// on Ctrl-C.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { seedDemoRoster } from "./demo-roster.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const PORT = Number(process.env.PORT ?? 8787);
const SIM_PORT = Number(process.env.SIM_PORT ?? 8788);
const SIM_LATENCY_MS = process.env.SIM_LATENCY_MS ?? "0";
const DEMO_ADMIN_TOKEN = "demo-admin-token-0000000000000000";
/** The demo admin token before admin tokens had to be at least 32 characters. */
const OLD_DEMO_ADMIN_TOKEN = "demo-admin-token-0000";
const DEMO_READ_TOKEN = "demo-read-token-00000";
// CLOUDFLARE_CF_FETCH_ENABLED=false: the local runtime uses its built-in Request.cf placeholder
// instead of downloading one from workers.cloudflare.com, which offline prints a stack trace.
const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  FORCE_COLOR: "0",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};
/** The simulator's accounts, members and tokens, beside the local D1 and KV state (same lifetime). */
const SIM_STATE_FILE = join(root, ".wrangler", "state", "simulator.json");
const bin = (name) => join(root, "node_modules", ".bin", name);

// 1. Secrets for local use: demo bearer tokens and a random encryption key, kept across runs.
const devVars = join(root, ".dev.vars");
if (!existsSync(devVars)) {
  const key = randomBytes(32).toString("base64");
  writeFileSync(
    devVars,
    [
      "# Local demo secrets written by `npm start` (git-ignored). See .dev.vars.example.",
      `API_TOKEN=${DEMO_ADMIN_TOKEN}`,
      `API_READ_TOKENS=${DEMO_READ_TOKEN}`,
      `ENCRYPTION_KEYS=demo:${key}`,
      "",
    ].join("\n"),
  );
  console.log("Wrote .dev.vars with demo secrets.");
} else {
  // A .dev.vars written by an older demo holds a 21-character admin token, now refused.
  const text = readFileSync(devVars, "utf8");
  const old = new RegExp(`^API_TOKEN=${OLD_DEMO_ADMIN_TOKEN}$`, "m");
  if (old.test(text)) {
    writeFileSync(devVars, text.replace(old, `API_TOKEN=${DEMO_ADMIN_TOKEN}`));
    console.log(`Updated the demo admin token in .dev.vars to ${DEMO_ADMIN_TOKEN} (at least 32 characters).`);
  }
}
const devVarsText = readFileSync(devVars, "utf8");
const adminToken = /^API_TOKEN=(.*)$/m.exec(devVarsText)?.[1] ?? "(see .dev.vars)";
const readToken = /^API_READ_TOKENS=([^,\n]*)/m.exec(devVarsText)?.[1] || null;

// 2. Local D1 schema, in the same place `wrangler dev` keeps its state.
const migrate = spawnSync(bin("wrangler"), ["d1", "migrations", "apply", "DB", "--local"], {
  cwd: root,
  env,
  stdio: ["ignore", "pipe", "pipe"],
  encoding: "utf8",
});
if (migrate.status !== 0) {
  console.error(migrate.stdout, migrate.stderr);
  console.error("Applying D1 migrations failed.");
  process.exit(1);
}
console.log("Local D1 migrations applied.");

// 3. The simulator and the Worker.
const children = [];
const start = (name, command, args, extraEnv = {}) => {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...env, ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const prefix = (line) => (line.trim() === "" ? "" : `[${name}] ${line}\n`);
  child.stdout.on("data", (d) => process.stdout.write(String(d).split("\n").map(prefix).join("")));
  child.stderr.on("data", (d) => process.stderr.write(String(d).split("\n").map(prefix).join("")));
  child.on("exit", (code, signal) => {
    if (!stopping) {
      console.error(`${name} exited (${signal ?? code}); stopping the demo.`);
      stop(1);
    }
  });
  children.push(child);
  return child;
};

let stopping = false;
function stop(code = 0) {
  stopping = true;
  for (const child of children) child.kill("SIGTERM");
  setTimeout(() => process.exit(code), 1500).unref();
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

start("simulator", bin("tsx"), ["simulator/serve.ts"], {
  SIM_PORT: String(SIM_PORT),
  SIM_LATENCY_MS,
  SIM_STATE_FILE,
});
start("worker", bin("wrangler"), [
  "dev",
  "--port",
  String(PORT),
  "--ip",
  "127.0.0.1",
  "--var",
  `CLOUDFLARE_API_BASE_URL:http://127.0.0.1:${SIM_PORT}/client/v4`,
  "--test-scheduled",
  "--show-interactive-dev-session=false",
]);

// 4. Tell the user what to do once the Worker answers.
const base = `http://127.0.0.1:${PORT}`;
const deadline = Date.now() + 60_000;
(async function announce() {
  for (;;) {
    try {
      const r = await fetch(`${base}/health`);
      if (r.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      console.error("The Worker did not start within 60 s; see the [worker] lines above.");
      return stop(1);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  const rosterLine = await seedDemoRoster({
    api: base,
    adminToken,
    simulator: `http://127.0.0.1:${SIM_PORT}`,
  }).catch((e) => `Could not upload the demo roster: ${e.message}`);
  if (rosterLine) console.log(rosterLine);
  const readLine = readToken
    ? `\n  Read token ${readToken}   (GET only: integrations, accounts, CSV, events, syncs; anything else is 403)`
    : "";
  console.log(`
Cloudflare connector demo is running.
  API        ${base}/v1   (admin token: ${adminToken}; may do everything)${readLine}
  Docs       ${base}/docs
  Simulator  http://127.0.0.1:${SIM_PORT}/client/v4 (demo organizations and tokens listed above)
  Cron       curl "${base}/__scheduled?cron=*/15+*+*+*+*"
Follow the walkthrough in README.md. Ctrl-C stops everything; D1, KV and the simulator's changes
stay in .wrangler/state (delete it to start afresh).
`);
})();
