// Entry point of the Cloudflare API simulator: one Hono app serving the simulated API v4 under
// /client/v4 and the test control API under /__sim. Used by vitest (outbound fetches of the Worker)
// and by the offline demo (simulator/serve.ts).

import { Hono } from "hono";
import { accessRoutes } from "./access.ts";
import { cloudflareRoutes } from "./cloudflare-routes.ts";
import { controlRoutes } from "./control-routes.ts";
import { FAILURES, jsonResponse, toResponse } from "./envelope.ts";
import { NetworkReset } from "./faults.ts";
import { Receivers, receiverControlRoutes, receiverRoutes } from "./receiver.ts";
import { seedDemo } from "./seed.ts";
import { SimulatorState } from "./state.ts";

export interface SimulatorOptions {
  /** Delay before every Cloudflare-route answer; changeable later with `POST /__sim/config`. */
  latencyMs?: number;
  /** Load the demo organizations and tokens of simulator/seed.ts. */
  seed?: boolean;
}

export interface Simulator {
  /**
   * Answers a request that crossed an HTTP hop (miniflare's outbound service, a Node server).
   * A `reset` fault answers a response whose framing no HTTP client accepts, so the client drops
   * the connection and the caller's `fetch` rejects ("Network connection lost." in workerd).
   * Miniflare turns an exception thrown here into a plain 500, hence not throwing.
   */
  fetch(request: Request): Promise<Response>;
  /** The Hono app itself: on a `reset` fault its `fetch` rejects with {@link NetworkReset}. */
  app: Hono;
  /** The simulator's state, for the demo server to save and restore (simulator/serve.ts). */
  state: SimulatorState;
}

/**
 * A response that makes the HTTP client abort the exchange before it resolves `fetch`: an
 * unparseable Content-Length is a framing error (RFC 9112 §6.3), not something a client can read past.
 */
function connectionDropped(): Response {
  return new Response("x", { status: 200, headers: { "Content-Length": "connection-reset" } });
}

/**
 * Creates an independent simulator with its own in-memory state.
 *
 * @example
 *   const simulator = createSimulator({ seed: true });
 *   const res = await simulator.fetch(new Request("https://api.cloudflare.test/client/v4/user/tokens/verify", {
 *     headers: { Authorization: `Bearer ${DEMO.tokens.userReadOnly.value}` },
 *   }));
 */
export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const state = new SimulatorState(options.latencyMs ?? 0);
  if (options.seed) seedDemo(state);

  const app = new Hono();
  // Webhook receivers for the connector's deliveries (simulator/receiver.ts).
  const receivers = new Receivers();
  app.route("/__hooks", receiverRoutes(receivers));
  app.route("/__sim/receivers", receiverControlRoutes(receivers));
  app.route("/__sim", controlRoutes(state));
  app.route("/client/v4", cloudflareRoutes(state));
  app.route("/", accessRoutes());
  app.notFound((c) =>
    c.req.path.startsWith("/__sim/")
      ? jsonResponse(404, { error: "no such control route" })
      : toResponse(FAILURES.noRoute(c.req.path.replace(/^\/client\/v4/, ""))),
  );
  app.onError((err) => {
    // Rethrown so the caller sees a dropped connection, not an answer.
    if (err instanceof NetworkReset) throw err;
    console.error("simulator error", err);
    return jsonResponse(500, {
      success: false,
      errors: [{ code: 10001, message: "Internal simulator error" }],
      messages: [],
      result: null,
    });
  });

  return {
    app,
    state,
    async fetch(request) {
      try {
        return await app.fetch(request);
      } catch (err) {
        if (err instanceof NetworkReset) return connectionDropped();
        throw err;
      }
    },
  };
}
