// Webhook receivers for tests (simulator/README.md): `POST /__hooks/<name>` records what arrived and
// answers as that receiver's script says — a status (with Retry-After or Location), an answer
// that comes too late, or a dropped connection (the receiver is down). `/__sim/receivers/<name>`
// sets the script and reads what arrived. Receivers live in memory only; a name is a test's own.

import { Hono } from "hono";
import { z } from "zod";
import { jsonResponse } from "./envelope.ts";
import { NetworkReset } from "./faults.ts";

const stepSchema = z.strictObject({
  status: z.number().int().min(200).max(599).optional(),
  retryAfter: z.string().optional(),
  location: z.string().optional(),
  delayMs: z.number().int().min(0).max(60_000).optional(),
  /** Drop the connection without answering: the receiver is down. */
  down: z.boolean().optional(),
});
type Step = z.infer<typeof stepSchema>;

const scriptSchema = z.strictObject({
  /** Answers for the next requests, in order; then `otherwise` for every later one. */
  script: z.array(stepSchema).default([]),
  otherwise: stepSchema.default({ status: 204 }),
});

export interface Received {
  headers: Record<string, string>;
  body: string;
  receivedAt: string;
  /** What the receiver answered: a status, or "down". */
  answered: number | "down";
}

interface Receiver {
  script: Step[];
  otherwise: Step;
  received: Received[];
}

export class Receivers {
  private readonly byName = new Map<string, Receiver>();

  get(name: string): Receiver {
    let receiver = this.byName.get(name);
    if (!receiver) {
      receiver = { script: [], otherwise: { status: 204 }, received: [] };
      this.byName.set(name, receiver);
    }
    return receiver;
  }
}

/** The receiving end, mounted at /__hooks. */
export function receiverRoutes(receivers: Receivers): Hono {
  const app = new Hono();
  app.post("/:name", async (c) => {
    const receiver = receivers.get(c.req.param("name"));
    const step = receiver.script.shift() ?? receiver.otherwise;
    const body = await c.req.text();
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((value, key) => {
      headers[key] = value;
    });
    receiver.received.push({
      headers,
      body,
      receivedAt: new Date().toISOString(),
      answered: step.down ? "down" : (step.status ?? 204),
    });
    if (step.delayMs) await new Promise((resolve) => setTimeout(resolve, step.delayMs));
    if (step.down) throw new NetworkReset();
    const answer: Record<string, string> = {};
    if (step.retryAfter !== undefined) answer["Retry-After"] = step.retryAfter;
    if (step.location !== undefined) answer.Location = step.location;
    return new Response(null, { status: step.status ?? 204, headers: answer });
  });
  return app;
}

/** The control side, mounted under /__sim/receivers. */
export function receiverControlRoutes(receivers: Receivers): Hono {
  const app = new Hono();
  app.put("/:name", async (c) => {
    const parsed = scriptSchema.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success)
      return jsonResponse(400, { error: "invalid receiver script", issues: parsed.error.issues });
    const receiver = receivers.get(c.req.param("name"));
    receiver.script = parsed.data.script;
    receiver.otherwise = parsed.data.otherwise;
    return jsonResponse(200, { ok: true });
  });
  app.get("/:name", (c) => jsonResponse(200, { received: receivers.get(c.req.param("name")).received }));
  return app;
}
