/**
 * /v1/webhooks: endpoints that receive change events pushed, signed per Standard Webhooks
 * (docs/webhooks.md): create (the secret shown once), list, read, change, delete, send a test
 * event, and the record of deliveries.
 */
import { createRoute, z } from "@hono/zod-openapi";
import {
  expandPatterns,
  WEBHOOK_EVENT_PATTERNS,
  type WebhookEventPattern,
  webhookUrlProblem,
} from "../domain/webhook";
import { AppError } from "../lib/errors";
import { log } from "../lib/log";
import { generateSecret } from "../lib/standard-webhooks";
import { nowIso } from "../lib/time";
import {
  type DeliveryPosition,
  deleteWebhook,
  getWebhookRow,
  insertWebhook,
  listDeliveries,
  listWebhooks,
  updateWebhook,
  type WebhookRow,
  webhookFromRow,
} from "../store/webhooks";
import { sendTestEvent } from "../sync/webhooks";
import { sealWebhookSecret } from "../vault/webhook-secrets";
import { createRouter } from "./context";
import { cursorParam, IdParam, limitParam, nextCursor, readCursor } from "./params";
import { commonErrors, jsonContent } from "./schemas";

const DELIVERIES_MAX_LIMIT = 500;
const DELIVERIES_DEFAULT_LIMIT = 100;
/** A receiver's URL; longer ones are refused before they reach D1 or a log line. */
const URL_MAX = 2048;

const url = z
  .string()
  .trim()
  .max(URL_MAX, `must be at most ${URL_MAX} characters`)
  .superRefine((value, ctx) => {
    const problem = webhookUrlProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .openapi({
    example: "https://hooks.example.com/cloudflare-connector",
    description:
      "https only; plain http only to localhost or 127.0.0.1. No user name or password; redirects are not followed.",
  });

const PATTERNS_TEXT = WEBHOOK_EVENT_PATTERNS.join(", ");

const events = z
  .array(z.enum(WEBHOOK_EVENT_PATTERNS, { message: `must be one of ${PATTERNS_TEXT}` }))
  .min(1, `list at least one of ${PATTERNS_TEXT}`)
  .max(WEBHOOK_EVENT_PATTERNS.length, "must not list a pattern twice")
  .refine((e) => new Set(e).size === e.length, "must not list a pattern twice")
  .openapi({ example: ["account.*", "finding.opened"], description: `Any of ${PATTERNS_TEXT}` });

const description = z
  .string()
  .trim()
  .max(200, "must be at most 200 characters")
  .refine((s) => ![...s].some((ch) => (ch.codePointAt(0) ?? 0) < 0x20 || ch === "\u007f"), {
    message: "must not contain control characters",
  })
  .openapi({ example: "Access review tool", description: "At most 200 characters" });

const CreateWebhookBody = z
  .strictObject({ url, events, description: description.optional() })
  .openapi("CreateWebhook");

const PatchWebhookBody = z
  .strictObject({
    url: url.optional(),
    events: events.optional(),
    description: description.nullable().optional(),
    enabled: z.boolean().optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: "give at least one of url, events, description, enabled",
  })
  .openapi("PatchWebhook");

const WebhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    events: z.array(z.enum(WEBHOOK_EVENT_PATTERNS)),
    enabled: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
    disabledAt: z.string().nullable(),
    disabledReason: z.string().nullable().openapi({ description: "Why it was turned off, when it was" }),
    lastSuccessAt: z.string().nullable(),
    failingSince: z
      .string()
      .nullable()
      .openapi({ description: "First failed attempt since the last success" }),
    nextAttemptAt: z
      .string()
      .nullable()
      .openapi({ description: "When the event it is retrying is tried again" }),
  })
  .openapi("Webhook", {
    example: {
      id: "7e0c1d2a-3b4c-4d5e-8f60-718293a4b5c6",
      url: "https://hooks.example.com/cloudflare-connector",
      description: "Access review tool",
      events: ["account.*", "finding.opened"],
      enabled: true,
      createdAt: "2026-12-01T09:00:00.000Z",
      updatedAt: "2026-12-01T09:00:00.000Z",
      disabledAt: null,
      disabledReason: null,
      lastSuccessAt: "2026-12-01T09:15:02.114Z",
      failingSince: null,
      nextAttemptAt: null,
    },
  });

const CreatedWebhookSchema = WebhookSchema.extend({
  secret: z.string().openapi({
    description: "The signing secret (whsec_…). Shown in this response only: store it now.",
    example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  }),
}).openapi("CreatedWebhook");

const DeliverySchema = z
  .object({
    id: z.string(),
    eventId: z.string().openapi({ description: "The webhook-id header: the event's id in its feed" }),
    eventType: z.string(),
    attempt: z.number().int(),
    attemptedAt: z.string(),
    statusCode: z.number().int().nullable().openapi({ description: "null when no answer came" }),
    durationMs: z.number().int(),
    outcome: z.enum(["delivered", "retrying", "failed"]),
    nextAttemptAt: z.string().nullable(),
    error: z.string().nullable(),
  })
  .openapi("WebhookDelivery", {
    example: {
      id: "42",
      eventId: "9a1b2c3d-0000-4000-8000-000000000001",
      eventType: "account.updated",
      attempt: 2,
      attemptedAt: "2026-12-01T09:15:32.004Z",
      statusCode: 503,
      durationMs: 87,
      outcome: "retrying",
      nextAttemptAt: "2026-12-01T09:17:02.004Z",
      error: "HTTP 503",
    },
  });

async function requireWebhook(db: D1Database, id: string): Promise<WebhookRow> {
  const row = await getWebhookRow(db, id);
  if (!row) throw new AppError("not_found", "No webhook endpoint with this id.");
  return row;
}

const eventsOf = (patterns: readonly WebhookEventPattern[]) => ({
  patterns,
  types: expandPatterns(patterns),
});

export const webhookRoutes = createRouter();

webhookRoutes.openapi(
  createRoute({
    method: "post",
    path: "/v1/webhooks",
    tags: ["Webhooks"],
    summary: "Subscribe an endpoint to change events",
    description:
      "Returns the signing secret once. The endpoint receives the events that happen from now on, signed per Standard Webhooks.",
    request: { body: { required: true, content: { "application/json": { schema: CreateWebhookBody } } } },
    responses: { 201: jsonContent(CreatedWebhookSchema, "Subscribed"), ...commonErrors },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const id = crypto.randomUUID();
    const secret = generateSecret();
    const sealed = await sealWebhookSecret(c.get("config").keyring, id, secret);
    const { patterns, types } = eventsOf(body.events);
    await insertWebhook(c.env.DB, {
      id,
      url: body.url,
      description: body.description || null,
      events: patterns,
      types,
      sealed: sealed.sealed,
      keyId: sealed.keyId,
      now: nowIso(),
    });
    log("info", "webhook_created", { webhookId: id, events: patterns });
    return c.json({ ...webhookFromRow((await getWebhookRow(c.env.DB, id))!), secret }, 201);
  },
);

webhookRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/webhooks",
    tags: ["Webhooks"],
    summary: "List webhook endpoints",
    responses: {
      200: jsonContent(z.object({ data: z.array(WebhookSchema) }), "Every endpoint, oldest first"),
      ...commonErrors,
    },
  }),
  async (c) => c.json({ data: await listWebhooks(c.env.DB) }, 200),
);

webhookRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/webhooks/{id}",
    tags: ["Webhooks"],
    summary: "Get one webhook endpoint",
    request: { params: IdParam },
    responses: { 200: jsonContent(WebhookSchema, "The endpoint"), ...commonErrors },
  }),
  async (c) => c.json(webhookFromRow(await requireWebhook(c.env.DB, c.req.valid("param").id)), 200),
);

webhookRoutes.openapi(
  createRoute({
    method: "patch",
    path: "/v1/webhooks/{id}",
    tags: ["Webhooks"],
    summary: "Change url, events, description or enabled",
    description:
      "A new url is tried at once. enabled: true on a disabled endpoint starts it afresh with the events that happen from now on, and resolves its webhook_disabled findings.",
    request: {
      params: IdParam,
      body: { required: true, content: { "application/json": { schema: PatchWebhookBody } } },
    },
    responses: { 200: jsonContent(WebhookSchema, "The updated endpoint"), ...commonErrors },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    await requireWebhook(c.env.DB, id);
    const patch = {
      url: body.url,
      description: body.description === undefined ? undefined : body.description || null,
      events: body.events && eventsOf(body.events),
      enabled: body.enabled,
    };
    await updateWebhook(c.env.DB, id, patch, nowIso());
    log("info", "webhook_updated", { webhookId: id, fields: Object.keys(body) });
    return c.json(webhookFromRow(await requireWebhook(c.env.DB, id)), 200);
  },
);

webhookRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/v1/webhooks/{id}",
    tags: ["Webhooks"],
    summary: "Delete a webhook endpoint and its delivery record",
    request: { params: IdParam },
    responses: { 204: { description: "Deleted" }, ...commonErrors },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    await requireWebhook(c.env.DB, id);
    await deleteWebhook(c.env.DB, id, nowIso());
    log("info", "webhook_deleted", { webhookId: id });
    return c.body(null, 204);
  },
);

webhookRoutes.openapi(
  createRoute({
    method: "post",
    path: "/v1/webhooks/{id}/test",
    tags: ["Webhooks"],
    summary: "Send a signed webhook.test event now",
    description:
      "One attempt, answered with its delivery record (whatever the receiver answered); never retried. Also sent to a disabled endpoint, to check a fix before turning it back on.",
    request: { params: IdParam },
    responses: { 200: jsonContent(DeliverySchema, "The attempt"), ...commonErrors },
  }),
  async (c) => {
    const row = await requireWebhook(c.env.DB, c.req.valid("param").id);
    const config = c.get("config");
    const deps = { db: c.env.DB, keyring: config.keyring, timeoutMs: config.webhookTimeoutMs };
    return c.json(await sendTestEvent(deps, row), 200);
  },
);

const isDeliveryPosition = (p: unknown[]): p is DeliveryPosition =>
  p.length === 1 && typeof p[0] === "number";

webhookRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/webhooks/{id}/deliveries",
    tags: ["Webhooks"],
    summary: "Delivery attempts to an endpoint, newest first",
    request: {
      params: IdParam,
      query: z.object({
        limit: limitParam(DELIVERIES_MAX_LIMIT, DELIVERIES_DEFAULT_LIMIT),
        cursor: cursorParam,
      }),
    },
    responses: {
      200: jsonContent(
        z.object({ data: z.array(DeliverySchema), nextCursor: z.string().nullable() }),
        "A page of deliveries",
      ),
      ...commonErrors,
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const query = c.req.valid("query");
    await requireWebhook(c.env.DB, id);
    const keyring = c.get("config").keyring;
    const scope = `webhook-deliveries:${id}`;
    const after = await readCursor(keyring, scope, query.cursor, isDeliveryPosition);
    const page = await listDeliveries(c.env.DB, id, after, query.limit ?? DELIVERIES_DEFAULT_LIMIT);
    return c.json({ data: page.items, nextCursor: await nextCursor(keyring, scope, page) }, 200);
  },
);
