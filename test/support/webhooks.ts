/**
 * Webhooks in tests: receivers in the simulator (simulator/receiver.ts) that record what arrives and
 * answer as scripted, a Standard Webhooks verifier written from the specification (independent of
 * src/), the official `standardwebhooks` verifier, and the webhook queue driven one message at a time.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { Webhook as OfficialVerifier } from "standardwebhooks";
import { expect } from "vitest";
import worker from "../../src/index";
import type { WebhookMessage } from "../../src/sync/webhooks";
import { api, type EnvOverrides, modifiedEnv } from "./api";
import { SIMULATOR_ORIGIN } from "./constants";

/** Any host reaches the simulator in tests (vitest.config.ts outboundService). */
export const receiverUrl = (name: string) => `https://receiver.test/__hooks/${name}`;

export interface ReceiverStep {
  status?: number;
  retryAfter?: string;
  location?: string;
  delayMs?: number;
  down?: boolean;
}

export interface Received {
  headers: Record<string, string>;
  body: string;
  receivedAt: string;
  answered: number | "down";
}

export const receiver = {
  async script(name: string, script: ReceiverStep[], otherwise: ReceiverStep = { status: 204 }) {
    const response = await fetch(`${SIMULATOR_ORIGIN}/__sim/receivers/${name}`, {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ script, otherwise }),
    });
    expect(response.status, await response.text()).toBe(200);
  },
  async received(name: string): Promise<Received[]> {
    const response = await fetch(`${SIMULATOR_ORIGIN}/__sim/receivers/${name}`);
    return ((await response.json()) as { received: Received[] }).received;
  },
  /** What arrived and was answered with a 2xx: what the receiver accepted. */
  async accepted(name: string): Promise<Received[]> {
    return (await this.received(name)).filter((r) => typeof r.answered === "number" && r.answered < 300);
  },
};

/** Creates an endpoint through the API; returns it with its secret. */
export async function createWebhook(body: Record<string, unknown>) {
  const response = await api("POST", "/v1/webhooks", { body });
  expect(response.status, response.text).toBe(201);
  return response.body as { id: string; secret: string } & Record<string, any>;
}

export const deliveriesOf = async (webhookId: string) => {
  const response = await api("GET", `/v1/webhooks/${webhookId}/deliveries?limit=500`);
  expect(response.status, response.text).toBe(200);
  return response.body.data as Record<string, any>[];
};

export const webhookRow = (id: string) =>
  env.DB.prepare("SELECT * FROM webhook_endpoints WHERE id = ?").bind(id).first<Record<string, any>>();

/** Lets the time an endpoint waits for its next attempt pass. */
export async function letRetryTimePass(webhookId: string) {
  await env.DB.prepare("UPDATE webhook_endpoints SET next_attempt_at = 0 WHERE id = ?").bind(webhookId).run();
}

/** A stand-in WEBHOOK_QUEUE that keeps the messages (with their delays) instead of delivering them. */
export function capturingWebhookQueue() {
  const messages: { body: WebhookMessage; delaySeconds: number | undefined }[] = [];
  const queue = {
    send: async (body: WebhookMessage, options?: QueueSendOptions) => {
      messages.push({ body, delaySeconds: options?.delaySeconds });
    },
    sendBatch: async (batch: Iterable<MessageSendRequest<WebhookMessage>>) => {
      for (const m of batch) messages.push({ body: m.body, delaySeconds: m.delaySeconds });
    },
  };
  return { queue, messages };
}

/** Runs one webhook queue message through the Worker's queue handler, as delivery number `attempts`. */
export function runWebhookMessage(
  overrides: EnvOverrides,
  message: WebhookMessage,
  attempts = 1,
): Promise<{ acked: boolean; retried: boolean }> {
  return runWebhookBatch(overrides, [message], attempts);
}

/** Runs several webhook queue messages as one batch, in this order. */
export async function runWebhookBatch(
  overrides: EnvOverrides,
  messages: WebhookMessage[],
  attempts = 1,
): Promise<{ acked: boolean; retried: boolean }> {
  const batch = createMessageBatch<WebhookMessage>(
    "connector-webhooks",
    messages.map((message) => ({
      id: `wh-${message.webhookId}-${attempts}-${crypto.randomUUID()}`,
      timestamp: new Date(),
      attempts,
      body: message,
    })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch as any, modifiedEnv(overrides), ctx);
  const result = await getQueueResult(batch, ctx);
  return {
    acked: result.explicitAcks.length > 0 || result.ackAll,
    retried: result.retryMessages.length > 0 || result.retryBatch.retry,
  };
}

const decode = (b64: string) => Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));

/**
 * Verifies a delivery as the Standard Webhooks specification describes it, written from the
 * specification alone: the secret is `whsec_` + base64 key; the signed content is
 * `{webhook-id}.{webhook-timestamp}.{body}`; HMAC-SHA256, base64; `webhook-signature` is a
 * space-separated list of `v1,<signature>` of which one must match; the timestamp must be within
 * five minutes of now.
 */
export async function verifyFromSpec(secret: string, headers: Record<string, string>, body: string) {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (!id || !timestamp || !signatures) return "missing header";
  if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300)
    return "stale timestamp";
  if (!secret.startsWith("whsec_")) return "not a whsec_ secret";
  const key = await crypto.subtle.importKey(
    "raw",
    decode(secret.slice("whsec_".length)),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  for (const candidate of signatures.split(" ")) {
    const [version, value] = candidate.split(",");
    if (version !== "v1" || !value) continue;
    const ok = await crypto.subtle.verify(
      "HMAC",
      key,
      decode(value),
      new TextEncoder().encode(`${id}.${timestamp}.${body}`),
    );
    if (ok) return "ok";
  }
  return "no matching signature";
}

/** Asserts a received delivery passes both verifiers and returns its parsed body. */
export async function expectVerified(secret: string, delivery: Received) {
  expect(await verifyFromSpec(secret, delivery.headers, delivery.body)).toBe("ok");
  const official = new OfficialVerifier(secret).verify(delivery.body, delivery.headers);
  const parsed = JSON.parse(delivery.body);
  expect(official).toEqual(parsed);
  return parsed as { type: string; timestamp: string; data: Record<string, any> };
}
