// Runs the seeded simulator under Node for the offline demo: `npx tsx simulator/serve.ts`.
// Env: SIM_PORT (default 8788), SIM_LATENCY_MS (default 0). Listens on 127.0.0.1 only.

import { type Http2Bindings, type HttpBindings, serve } from "@hono/node-server";
import { createSimulator } from "./app.ts";
import { NetworkReset } from "./faults.ts";
import { DEMO } from "./seed.ts";

const DEFAULT_PORT = 8788;

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

const port = envInt("SIM_PORT", DEFAULT_PORT);
const latencyMs = envInt("SIM_LATENCY_MS", 0);
const { app } = createSimulator({ seed: true, latencyMs });

const server = serve(
  {
    hostname: "127.0.0.1",
    port,
    // A `reset` fault destroys the TCP connection, so the client's fetch rejects as in tests.
    fetch: async (request: Request, env: HttpBindings | Http2Bindings) => {
      try {
        return await app.fetch(request);
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
