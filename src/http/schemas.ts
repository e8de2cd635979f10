/**
 * Response and shared schemas of the HTTP API. The same zod objects validate requests and
 * generate /openapi.json, so the document cannot drift from what the code accepts.
 */
import { z } from "@hono/zod-openapi";
import { ERROR_STATUS } from "../lib/errors";

const errorCodes = Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS, ...(keyof typeof ERROR_STATUS)[]];

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(errorCodes),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })),
    }),
  })
  .openapi("Error", {
    example: { error: { code: "validation_failed", message: "label: must not be empty", details: [] } },
  });

export const FailureSchema = z.object({ code: z.enum(errorCodes), message: z.string() }).openapi("Failure", {
  example: {
    code: "cloudflare_permission_missing",
    message: "The token can see account 'Acme' but cannot list its members. Add Account Settings: Read.",
  },
});

const SourceStateSchema = z.enum(["ok", "permission_missing", "unavailable", "disabled", "pending"]);

const SourceStatsSchema = z.object({
  requests: z.number().int(),
  state: z.string(),
  entries: z.number().int().optional(),
  matched: z.number().int().optional(),
  skipped: z.number().int().optional(),
});

export const SyncRunSchema = z
  .object({
    id: z.string(),
    integrationId: z.string(),
    trigger: z.enum(["cron", "manual", "create"]),
    status: z.enum(["queued", "running", "succeeded", "failed"]),
    queuedAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    apiRequests: z.number().int(),
    counts: z.object({
      seen: z.number().int(),
      added: z.number().int(),
      updated: z.number().int(),
      removed: z.number().int(),
      unchanged: z.number().int(),
    }),
    error: FailureSchema.nullable(),
    sources: z.record(z.string(), SourceStatsSchema).nullable().openapi({
      description: "Requests and outcome per source (members, auditLog, apiTokens, sso); null before it ran",
    }),
    progress: z
      .object({
        pagesListed: z
          .number()
          .int()
          .openapi({ description: "Member pages listed so far, over all deliveries" }),
        pagesExpected: z
          .number()
          .int()
          .openapi({ description: "Member pages the listing has, from page 1's totals" }),
      })
      .nullable()
      .openapi({
        description:
          "A staged sync's listing so far (an account above 200 member pages, listed across queue deliveries); null for a sync listed in one invocation",
      }),
  })
  .openapi("SyncRun", {
    example: {
      id: "0d9f4c1e-7c53-4a44-9d0b-6a1f2f8f3c11",
      integrationId: "5b0c7c8e-2f0e-4d8e-9f57-1c7f9b1e2a33",
      trigger: "manual",
      status: "succeeded",
      queuedAt: "2026-11-29T10:00:00.000Z",
      startedAt: "2026-11-29T10:00:00.120Z",
      finishedAt: "2026-11-29T10:00:01.870Z",
      apiRequests: 4,
      counts: { seen: 152, added: 2, updated: 1, removed: 0, unchanged: 149 },
      error: null,
      sources: {
        members: { requests: 4, state: "ok" },
        auditLog: { requests: 1, state: "ok", entries: 3, matched: 2, skipped: 0 },
        apiTokens: { requests: 1, state: "ok" },
        sso: { requests: 1, state: "ok" },
      },
      progress: null,
    },
  });

export const IntegrationSchema = z
  .object({
    id: z.string(),
    label: z.string(),
    organizationName: z.string(),
    accountId: z.string(),
    enabled: z.boolean(),
    status: z.enum(["ok", "error", "pending"]),
    createdAt: z.string(),
    updatedAt: z.string(),
    lastSync: SyncRunSchema.nullable(),
    lastSuccessfulSyncAt: z.string().nullable(),
    accountCount: z.number().int(),
    enforceTwoFactor: z.boolean().nullable(),
    tokenExpiresAt: z.string().nullable(),
    sources: z
      .object({
        members: SourceStateSchema,
        auditLog: SourceStateSchema,
        apiTokens: SourceStateSchema,
        sso: SourceStateSchema,
      })
      .openapi({ description: "Each source's state after the latest sync (pending before the first)" }),
    sourceMessages: z
      .object({
        members: z.string().optional(),
        auditLog: z.string().optional(),
        apiTokens: z.string().optional(),
        sso: z.string().optional(),
      })
      .openapi({ description: "For each source that is not ok: what to do, e.g. the permission to add" }),
    sso: z
      .object({ enabled: z.boolean(), emailDomains: z.array(z.string()) })
      .nullable()
      .openapi({ description: "Dashboard SSO from the account's SSO connectors; null until read" }),
    allowedEmailDomains: z.array(z.string()).openapi({
      description: "Email domains your organisation owns (external_member findings); empty: off",
    }),
  })
  .openapi("Integration", {
    example: {
      id: "5b0c7c8e-2f0e-4d8e-9f57-1c7f9b1e2a33",
      label: "Production",
      organizationName: "Josys",
      accountId: "023e105f4ecef8ad9ca31a8372d0c353",
      enabled: true,
      status: "ok",
      createdAt: "2026-11-29T09:00:00.000Z",
      updatedAt: "2026-11-29T10:00:01.870Z",
      lastSync: null,
      lastSuccessfulSyncAt: "2026-11-29T10:00:01.870Z",
      accountCount: 152,
      enforceTwoFactor: true,
      tokenExpiresAt: null,
      sources: { members: "ok", auditLog: "ok", apiTokens: "permission_missing", sso: "ok" },
      sourceMessages: {
        apiTokens:
          "The token may not read the account's API tokens: add Account API Tokens: Read to it in the Cloudflare dashboard. Members still sync.",
      },
      sso: { enabled: true, emailDomains: ["example.com"] },
      allowedEmailDomains: ["example.com"],
    },
  });

export const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorSchema } },
});

/** Error responses every /v1 route can give, for the OpenAPI document. */
export const commonErrors = {
  400: errorResponse("invalid_json or validation_failed; `details` lists each failing field"),
  401: errorResponse("unauthorized: missing or unknown bearer token"),
  403: errorResponse("forbidden: a read-only token on a write route"),
  404: errorResponse("not_found: unknown route or id"),
  413: errorResponse("payload_too_large: body over 64 KiB"),
  500: errorResponse("internal: unexpected failure (no stack traces, tokens or SQL)"),
  503: errorResponse("not_configured: ENCRYPTION_KEYS or API_TOKEN missing or malformed"),
} as const;

export const connectErrors = {
  409: errorResponse("conflict: this Cloudflare account is already connected under this label"),
  422: errorResponse(
    "cloudflare_token_invalid, cloudflare_permission_missing, cloudflare_token_restricted, organization_not_found or organization_ambiguous",
  ),
  429: errorResponse("cloudflare_rate_limited: Cloudflare is rate limiting the token"),
  502: errorResponse("cloudflare_unavailable or cloudflare_invalid_response"),
} as const;

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const AccessSchema = z
  .object({
    name: z.string(),
    effect: z.enum(["allow", "deny"]),
    scope: z.enum(["account", "resources"]),
    resources: z
      .number()
      .int()
      .openapi({ description: "Resources the grant is limited to; 0 when account-wide" }),
  })
  .openapi("AccessGrant", {
    example: { name: "DNS Write", effect: "allow", scope: "account", resources: 0 },
  });
