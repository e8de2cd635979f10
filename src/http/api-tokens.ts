/**
 * API-token inventory routes (docs/api.md#api-tokens): the account-owned API tokens of one
 * integration, or of all, with cursors and CSV. Token secrets are never returned by Cloudflare
 * and never stored.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import {
  type ApiTokenFilters,
  type ApiTokenPosition,
  listServedApiTokens,
  type ServedApiToken,
} from "../store/api-tokens";
import { getIntegrationRow } from "../store/integrations";
import { accessSummary } from "./access-text";
import { createRouter, type HonoEnv, requireIntegration } from "./context";
import { listResponse } from "./list-response";
import { cursorParam, IdParam, limitParam } from "./params";
import { AccessSchema, commonErrors } from "./schemas";
import { invalidField } from "./validation";

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 500;

const query = {
  includeRemoved: z
    .enum(["true", "false"], { message: "includeRemoved must be true or false" })
    .transform((v) => v === "true")
    .optional()
    .openapi({ description: "Include tokens no longer in Cloudflare" }),
  limit: limitParam(MAX_LIMIT, DEFAULT_LIMIT),
  cursor: cursorParam,
  format: z.enum(["json", "csv"], { message: "must be json or csv" }).optional(),
};

export const ApiTokenSchema = z
  .object({
    id: z.string(),
    integrationId: z.string(),
    name: z.string(),
    status: z.string().openapi({ description: "active, disabled or expired, as Cloudflare says" }),
    issuedOn: z.string().nullable(),
    modifiedOn: z.string().nullable(),
    expiresOn: z.string().nullable().openapi({ description: "null: the token never expires" }),
    lastUsedOn: z.string().nullable().openapi({ description: "null: never used" }),
    ipRestricted: z.boolean().openapi({ description: "The token has a client IP address filter" }),
    access: z.array(AccessSchema),
    firstSeenAt: z.string(),
    removedAt: z.string().nullable(),
  })
  .openapi("ApiToken", {
    example: {
      id: "ed17574386854bf78a67040be0a770b0",
      integrationId: "5b0c7c8e-2f0e-4d8e-9f57-1c7f9b1e2a33",
      name: "terraform-ci",
      status: "active",
      issuedOn: "2026-01-12T09:00:00Z",
      modifiedOn: "2026-01-12T09:00:00Z",
      expiresOn: null,
      lastUsedOn: "2026-11-29T08:12:44Z",
      ipRestricted: true,
      access: [{ name: "DNS Write", effect: "allow", scope: "resources", resources: 1 }],
      firstSeenAt: "2026-11-01T10:00:00.000Z",
      removedAt: null,
    },
  });

const CSV_HEADER = [
  "integration_id",
  "id",
  "name",
  "status",
  "issued_on",
  "modified_on",
  "expires_on",
  "last_used_on",
  "ip_restricted",
  "access",
  "first_seen_at",
  "removed_at",
];

const csvRecord = (t: ServedApiToken) => [
  t.integrationId,
  t.id,
  t.name,
  t.status,
  t.issuedOn,
  t.modifiedOn,
  t.expiresOn,
  t.lastUsedOn,
  String(t.ipRestricted),
  accessSummary(t.access),
  t.firstSeenAt,
  t.removedAt,
];

const isPosition = (p: unknown[]): p is ApiTokenPosition =>
  p.length === 3 && p.every((v) => typeof v === "string");

const responses = {
  200: {
    description: "A page of API tokens (JSON), or the whole filtered list (CSV)",
    content: {
      "application/json": {
        schema: z.object({ data: z.array(ApiTokenSchema), nextCursor: z.string().nullable() }),
      },
      "text/csv": { schema: z.string() },
    },
  },
  ...commonErrors,
};

function respond(
  c: Context<HonoEnv>,
  filters: ApiTokenFilters,
  q: { limit?: number; cursor?: string; format?: "json" | "csv" },
  label: string,
) {
  return listResponse(c, {
    kind: "api-tokens",
    filters,
    query: q,
    defaultLimit: DEFAULT_LIMIT,
    isPosition,
    page: async (after: ApiTokenPosition | null, limit) => {
      const page = await listServedApiTokens(c.env.DB, filters, after, limit);
      return { items: page.tokens, last: page.last, more: page.more };
    },
    csv: { header: CSV_HEADER, record: csvRecord, label: async () => label },
  });
}

export const apiTokenRoutes = createRouter();

apiTokenRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/integrations/{id}/api-tokens",
    tags: ["API tokens"],
    summary: "List one integration's account API tokens",
    description:
      "Ordered by name, then id. Follow `nextCursor` until null; `format=csv` returns the whole list.",
    request: { params: IdParam, query: z.object(query) },
    responses,
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const q = c.req.valid("query");
    const integration = await requireIntegration(c.env.DB, id);
    return respond(c, { integrationId: id, includeRemoved: q.includeRemoved ?? false }, q, integration.label);
  },
);

apiTokenRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/api-tokens",
    tags: ["API tokens"],
    summary: "List account API tokens across all integrations",
    request: { query: z.object({ ...query, integrationId: z.string().min(1).max(64).optional() }) },
    responses,
  }),
  async (c) => {
    const q = c.req.valid("query");
    const integrationId = q.integrationId ?? null;
    if (integrationId !== null && !(await getIntegrationRow(c.env.DB, integrationId))) {
      throw invalidField("integrationId", "no integration with this id");
    }
    return respond(
      c,
      { integrationId, includeRemoved: q.includeRemoved ?? false },
      q,
      integrationId ?? "all",
    );
  },
);
