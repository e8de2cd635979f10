/**
 * /v1/integrations: connect a Cloudflare account (verify, resolve, probe, seal, store, queue the
 * first sync), list, read, change and delete integrations (docs/api.md#integrations).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { type ConnectedAccount, checkConnection } from "../cloudflare/checks";
import { CloudflareClient } from "../cloudflare/client";
import type { AppEnv, Config } from "../config";
import { AppError } from "../lib/errors";
import { log } from "../lib/log";
import { nowIso } from "../lib/time";
import { recomputeFindingStatements } from "../store/findings";
import {
  deleteIntegration,
  getIntegration,
  type Integration,
  type IntegrationRow,
  insertIntegrationStatement,
  isDuplicateLabel,
  isLabelTaken,
  listIntegrations,
  updateIntegration,
} from "../store/integrations";
import { enqueueSyncs } from "../sync/enqueue";
import { wakeWebhooksAfterCommit } from "../sync/webhooks";
import { deleteCredential, putCredential } from "../vault/credentials";
import { createRouter, requireIntegration } from "./context";
import { IdParam } from "./params";
import { commonErrors, connectErrors, IntegrationSchema, jsonContent } from "./schemas";

/** C0 controls and DEL. */
const isControlCharacter = (ch: string) => {
  const code = ch.codePointAt(0) ?? 0;
  return code < 0x20 || code === 0x7f;
};

/** Text an admin typed: well-formed Unicode, no control characters (they break logs, CSV and UIs). */
const text = (max: number, maxMessage: string) =>
  z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(max, maxMessage)
    .refine((s) => s.isWellFormed(), "must be valid Unicode text")
    .refine((s) => ![...s].some(isControlCharacter), "must not contain control characters");

/**
 * Characters that let two labels look identical or change how text around them reads: C1
 * controls (U+0080–U+009F, NEL included), line and paragraph separators, bidi embeddings,
 * overrides, isolates and marks, and zero-width characters ("Production" and "Production\u200b").
 */
const INVISIBLE =
  /[\u0080-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u200b-\u200d\u2060\ufeff]/;

/**
 * A label: trimmed text without invisible characters, stored in Unicode NFC so that labels that
 * look the same are the same (composed and decomposed "é" alike), and compared after that.
 */
const label = text(100, "must be at most 100 characters")
  .refine(
    (s) => !INVISIBLE.test(s),
    "must not contain invisible or direction-changing characters (zero-width, bidi controls, line separators, C1 controls)",
  )
  .transform((s) => s.normalize("NFC"))
  .openapi({ example: "Production", description: "Trimmed and stored in Unicode NFC; 1–100 characters." });

/** Cloudflare tokens are 40 characters (plus a 5-character prefix on newer ones). */
const apiToken = z
  .string()
  .trim()
  .min(20, "must be a Cloudflare API token (at least 20 characters)")
  .max(400, "must be at most 400 characters")
  .regex(/^[\x21-\x7e]+$/, "must not contain spaces or non-ASCII characters")
  .openapi({ example: "cfut_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", format: "password" });

export const CreateIntegrationBody = z
  .strictObject({
    label,
    organizationName: text(
      100,
      "must be at most 100 characters (Cloudflare's limit for account names)",
    ).openapi({
      example: "Acme Corp",
      description: "The account name as the Cloudflare dashboard shows it.",
    }),
    apiToken,
    accountId: z
      .string()
      .regex(/^[0-9a-f]{32}$/, "must be the 32-character hexadecimal account id from the dashboard URL")
      .optional()
      .openapi({ example: "023e105f4ecef8ad9ca31a8372d0c353" }),
  })
  .openapi("CreateIntegration");

/** A lower-cased DNS name such as example.com: letters, digits and hyphens in dot-separated labels. */
const emailDomain = z
  .string()
  .max(253)
  .regex(
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/,
    "must be a lower-case domain such as example.com",
  );

const allowedEmailDomains = z
  .array(emailDomain)
  .max(100, "at most 100 domains")
  .refine((d) => new Set(d).size === d.length, "must not list a domain twice")
  .openapi({
    example: ["example.com"],
    description:
      "Email domains your organisation owns; a member with another domain is an external_member finding. Empty: the check is off.",
  });

export const PatchIntegrationBody = z
  .strictObject({
    label: label.optional(),
    apiToken: apiToken.optional(),
    enabled: z.boolean().optional(),
    allowedEmailDomains: allowedEmailDomains.optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: "give at least one of label, apiToken, enabled, allowedEmailDomains",
  })
  .openapi("PatchIntegration");

function clientFor(config: Config, token: string): CloudflareClient {
  return new CloudflareClient({
    baseUrl: config.cloudflareApiBaseUrl,
    token,
    timeoutMs: config.cloudflareTimeoutMs,
  });
}

async function connect(
  config: Config,
  input: { organizationName: string; accountId?: string | undefined; apiToken: string },
): Promise<ConnectedAccount> {
  const checked = await checkConnection(clientFor(config, input.apiToken), {
    organizationName: input.organizationName,
    accountId: input.accountId,
    token: input.apiToken,
  });
  if (!checked.ok) throw new AppError(checked.error.code, checked.error.message);
  return checked.value;
}

const conflict = (accountName: string, labelText: string) =>
  new AppError(
    "conflict",
    `Cloudflare account '${accountName}' is already connected under the label '${labelText}'.`,
  );

export const integrationRoutes = createRouter();

integrationRoutes.openapi(
  createRoute({
    method: "post",
    path: "/v1/integrations",
    tags: ["Integrations"],
    summary: "Connect a Cloudflare account",
    description:
      "Verifies the token, resolves the organization name to exactly one account, checks the token can list its members, then stores the token encrypted and queues a first sync.",
    request: {
      body: { required: true, content: { "application/json": { schema: CreateIntegrationBody } } },
    },
    responses: {
      201: jsonContent(IntegrationSchema, "Connected; the first sync is queued"),
      ...commonErrors,
      ...connectErrors,
    },
  }),
  async (c) => c.json(await connectIntegration(c.env, c.get("config"), c.req.valid("json")), 201),
);

integrationRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/integrations",
    tags: ["Integrations"],
    summary: "List integrations",
    responses: {
      200: jsonContent(z.object({ data: z.array(IntegrationSchema) }), "Every integration, oldest first"),
      ...commonErrors,
    },
  }),
  async (c) => c.json({ data: await listIntegrations(c.env.DB) }, 200),
);

integrationRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/integrations/{id}",
    tags: ["Integrations"],
    summary: "Get one integration",
    request: { params: IdParam },
    responses: { 200: jsonContent(IntegrationSchema, "The integration"), ...commonErrors },
  }),
  async (c) => {
    const integration = await getIntegration(c.env.DB, c.req.valid("param").id);
    if (!integration) throw new AppError("not_found", "No integration with this id.");
    return c.json(integration, 200);
  },
);

integrationRoutes.openapi(
  createRoute({
    method: "patch",
    path: "/v1/integrations/{id}",
    tags: ["Integrations"],
    summary: "Change label, token, enabled or allowedEmailDomains",
    description:
      "A new apiToken is verified exactly like at creation; the old token stays in place until the new one passes. New allowedEmailDomains recompute the integration's findings at once, from the stored members.",
    request: {
      params: IdParam,
      body: { required: true, content: { "application/json": { schema: PatchIntegrationBody } } },
    },
    responses: {
      200: jsonContent(IntegrationSchema, "The updated integration"),
      ...commonErrors,
      ...connectErrors,
    },
  }),
  async (c) =>
    c.json(
      await changeIntegration(c.env, c.get("config"), c.req.valid("param").id, c.req.valid("json")),
      200,
    ),
);

integrationRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/v1/integrations/{id}",
    tags: ["Integrations"],
    summary: "Delete an integration",
    description: "Removes its credential from KV and its user accounts, sync runs and events from D1.",
    request: { params: IdParam },
    responses: { 204: { description: "Deleted" }, ...commonErrors },
  }),
  async (c) => {
    await removeIntegration(c.env, c.req.valid("param").id);
    return c.body(null, 204);
  },
);

// ---------------------------------------------------------------------------------------------
// What the routes above do, as functions: the console's forms (src/console/) call the same ones,
// so a connect from the browser is verified, sealed, stored and queued exactly like one over the
// API, and fails with the same codes and messages (docs/console.md#writes).

/** The bindings a write needs. */
type WriteEnv = Pick<AppEnv, "DB" | "CREDENTIALS" | "SYNC_QUEUE" | "WEBHOOK_QUEUE">;

export type CreateIntegrationInput = z.infer<typeof CreateIntegrationBody>;
export type PatchIntegrationInput = z.infer<typeof PatchIntegrationBody>;

function newIntegrationRow(
  id: string,
  label: string,
  account: ConnectedAccount,
  kid: string,
): IntegrationRow {
  const now = nowIso();
  return {
    id,
    label,
    organization_name: account.accountName,
    account_id: account.accountId,
    enabled: 1,
    status: "pending",
    token_kind: account.tokenKind,
    credential_key_id: kid,
    enforce_two_factor: account.enforceTwoFactor === null ? null : Number(account.enforceTwoFactor),
    token_expires_at: account.tokenExpiresAt,
    created_at: now,
    updated_at: now,
    last_sync_id: null,
    last_successful_sync_at: null,
    account_count: 0,
    sources: null,
    sso: null,
    audit_watermark: null,
    allowed_email_domains: "[]",
  };
}

/**
 * Connects a Cloudflare account: verify the token, resolve the account, probe its members, seal
 * the token into KV, insert the row, queue the first sync. Throws AppError (422 connect codes,
 * 409 conflict) without storing anything when a check fails.
 */
export async function connectIntegration(
  env: WriteEnv,
  config: Config,
  body: CreateIntegrationInput,
): Promise<Integration> {
  const account = await connect(config, body);
  const id = crypto.randomUUID();
  const sealed = await putCredential(env.CREDENTIALS, config.keyring, id, body.apiToken);
  try {
    await insertIntegrationStatement(env.DB, newIntegrationRow(id, body.label, account, sealed.kid)).run();
  } catch (e) {
    await deleteCredential(env.CREDENTIALS, id);
    if (isDuplicateLabel(e)) throw conflict(account.accountName, body.label);
    throw e;
  }
  try {
    const expected = new Map(account.memberCount === null ? [] : [[id, account.memberCount]]);
    await enqueueSyncs(env.DB, env.SYNC_QUEUE, [id], "create", expected);
  } catch (e) {
    // The integration is saved; the next cron tick syncs it. Say so in the logs.
    log("warn", "first_sync_not_queued", {
      integrationId: id,
      error: e instanceof Error ? e.message : String(e),
    });
  }
  log("info", "integration_created", {
    integrationId: id,
    accountId: account.accountId,
    tokenKind: account.tokenKind,
  });
  return (await getIntegration(env.DB, id))!;
}

/** A new token, verified exactly like at creation and sealed; the old one stays until it passes. */
async function replaceToken(env: WriteEnv, config: Config, row: IntegrationRow, apiToken: string) {
  const account = await connect(config, {
    organizationName: row.organization_name,
    accountId: row.account_id,
    apiToken,
  });
  const sealed = await putCredential(env.CREDENTIALS, config.keyring, row.id, apiToken);
  return {
    kind: account.tokenKind,
    credentialKeyId: sealed.kid,
    expiresAt: account.tokenExpiresAt,
    enforceTwoFactor: account.enforceTwoFactor,
  };
}

/** Changes label, token, enabled or allowedEmailDomains (PATCH /v1/integrations/{id}). */
export async function changeIntegration(
  env: WriteEnv,
  config: Config,
  id: string,
  body: PatchIntegrationInput,
): Promise<Integration> {
  const row = await requireIntegration(env.DB, id);
  const newLabel = body.label ?? row.label;
  if (body.label !== undefined && (await isLabelTaken(env.DB, row.account_id, newLabel, id))) {
    throw conflict(row.organization_name, newLabel);
  }
  const token = body.apiToken === undefined ? undefined : await replaceToken(env, config, row, body.apiToken);
  try {
    const patch = {
      label: body.label,
      enabled: body.enabled,
      allowedEmailDomains: body.allowedEmailDomains,
      token,
    };
    await updateIntegration(env.DB, id, patch, nowIso());
  } catch (e) {
    if (isDuplicateLabel(e)) throw conflict(row.organization_name, newLabel);
    throw e;
  }
  if (body.allowedEmailDomains !== undefined) {
    // external_member follows the new domains at once, from the stored members.
    const recompute = { integrationId: id, now: nowIso(), thresholds: config.findings, syncSucceeded: false };
    await env.DB.batch(recomputeFindingStatements(env.DB, recompute));
    // Findings that opened or resolved are events for subscribed webhooks.
    await wakeWebhooksAfterCommit(env.DB, env.WEBHOOK_QUEUE);
  }
  log("info", "integration_updated", { integrationId: id, fields: Object.keys(body) });
  return (await getIntegration(env.DB, id))!;
}

/** Deletes an integration: its credential, then its rows (404 not_found when unknown). */
export async function removeIntegration(env: WriteEnv, id: string): Promise<void> {
  await requireIntegration(env.DB, id);
  // Credential first: if the D1 delete then fails, a retry finds the row and finishes the job.
  await deleteCredential(env.CREDENTIALS, id);
  await deleteIntegration(env.DB, id);
  log("info", "integration_deleted", { integrationId: id });
}
