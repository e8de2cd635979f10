// Runs the seeded simulator under Node for the offline demo: `npx tsx simulator/serve.ts`.
// Env: SIM_PORT (default 8788), SIM_LATENCY_MS (default 0), SIM_STATE_FILE (optional: where the
// accounts, members and tokens are kept across restarts; `npm start` puts it beside the local
// D1 state, so a restart neither forgets a change nor makes the next sync report it reversed).
// Listens on 127.0.0.1 only.

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { type Http2Bindings, type HttpBindings, serve } from "@hono/node-server";
import { createSimulator } from "./app.ts";
import { NetworkReset } from "./faults.ts";
import { DEMO, seedDemo } from "./seed.ts";
import { PERSISTED_VERSION, type PersistedState, type SimulatorState } from "./state.ts";

const DEFAULT_PORT = 8788;

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

/** The saved state, or null when there is none (or it is from another version: then seed afresh). */
function readSaved(file: string): PersistedState | null {
  if (!existsSync(file)) return null;
  try {
    const saved = JSON.parse(readFileSync(file, "utf8")) as PersistedState;
    return saved.version === PERSISTED_VERSION ? saved : null;
  } catch {
    return null;
  }
}

/** Writes the state whole, then renames it into place, so a crash never leaves half a file. */
function save(state: SimulatorState, file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(state.snapshot()));
  renameSync(`${file}.tmp`, file);
}

const port = envInt("SIM_PORT", DEFAULT_PORT);
const latencyMs = envInt("SIM_LATENCY_MS", 0);
const stateFile = process.env.SIM_STATE_FILE || null;
const saved = stateFile ? readSaved(stateFile) : null;
const { app, state } = createSimulator({ latencyMs });
if (saved) state.restore(saved);
else seedDemo(state);
if (stateFile && !saved) save(state, stateFile);

/** A control-API change (PATCH a member, add a token…) that succeeded: the state to save changed. */
const changesState = (request: Request, response: Response) =>
  request.method !== "GET" && new URL(request.url).pathname.startsWith("/__sim/") && response.status < 400;

const server = serve(
  {
    hostname: "127.0.0.1",
    port,
    // A `reset` fault destroys the TCP connection, so the client's fetch rejects as in tests.
    fetch: async (request: Request, env: HttpBindings | Http2Bindings) => {
      try {
        const response = await app.fetch(request);
        if (stateFile && changesState(request, response)) save(state, stateFile);
        return response;
      } catch (err) {
        if (err instanceof NetworkReset) env.incoming.socket.destroy();
        throw err;
      }
    },
  },
  (info) => {
    const base = `http://127.0.0.1:${info.port}`;
    console.log(
      `Cloudflare API simulator on ${base}/client/v4 (latency ${latencyMs} ms, control API ${base}/__sim)`,
    );
    for (const a of Object.values(DEMO.accounts)) {
      console.log(`  org    ${a.id}  ${a.name} (${a.members} members): ${a.description}`);
    }
    for (const t of Object.values(DEMO.tokens)) {
      console.log(`  token  ${t.value}  ${t.description}`);
    }
    if (stateFile) {
      console.log(
        saved
          ? `  state  restored from ${stateFile}, with the changes made before the last restart`
          : `  state  seeded; changes are kept in ${stateFile}`,
      );
    }
  },
);

function shutdown(signal: string): void {
  console.log(`simulator: ${signal}, closing`);
  server.close(() => process.exit(0));
  // Keep-alive connections can hold close() open; do not hang the demo on them.
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGINT", () => shutdown("SIGINT"));
process.on("SIGTERM", () => shutdown("SIGTERM"));
