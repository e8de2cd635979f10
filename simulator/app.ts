// Entry point of the Cloudflare API simulator: one Hono app serving the simulated API v4 under
// /client/v4 and the test control API under /__sim. Used by vitest (outbound fetches of the Worker)
// and by the offline demo (simulator/serve.ts).

import { Hono } from "hono";
import { cloudflareRoutes } from "./cloudflare-routes";
import { controlRoutes } from "./control-routes";
import { FAILURES, jsonResponse, toResponse } from "./envelope";
import { NetworkReset } from "./faults";
import { seedDemo } from "./seed";
import { SimulatorState } from "./state";

export interface SimulatorOptions {
  /** Delay before every Cloudflare-route answer; changeable later with `POST /__sim/config`. */
  latencyMs?: number;
  /** Load the demo organizations and tokens of simulator/seed.ts. */
  seed?: boolean;
}

/**
 * Creates an independent simulator with its own in-memory state.
 *
 * A `reset` fault makes `fetch` reject with `TypeError("Network connection lost.")` instead of
 * answering, as a dropped connection would.
 *
 * @example
 *   const sim = createSimulator({ seed: true });
 *   const res = await sim.fetch(new Request("https://api.cloudflare.test/client/v4/user/tokens/verify", {
 *     headers: { Authorization: `Bearer ${DEMO.tokens.userReadOnly.value}` },
 *   }));
 */
export function createSimulator(options: SimulatorOptions = {}): Hono {
  const state = new SimulatorState(options.latencyMs ?? 0);
  if (options.seed) seedDemo(state);

  const app = new Hono();
  app.route("/__sim", controlRoutes(state));
  app.route("/client/v4", cloudflareRoutes(state));
  app.notFound((c) =>
    c.req.path.startsWith("/__sim/")
      ? jsonResponse(404, { error: "no such control route" })
      : toResponse(FAILURES.noRoute()),
  );
  app.onError((err) => {
    // Rethrown so the caller's fetch rejects, as on a dropped connection.
    if (err instanceof NetworkReset) throw err;
    console.error("simulator error", err);
    return jsonResponse(500, {
      success: false,
      errors: [{ code: 10001, message: "Internal simulator error" }],
      messages: [],
      result: null,
    });
  });
  return app;
}
