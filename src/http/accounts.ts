/**
 * User account routes (docs/api.md#user-accounts): one integration's list and the list across all
 * integrations, with filters, opaque keyset cursors, and a streamed CSV of the whole filtered list.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { type MemberPolicy, policyReach } from "../domain/member";
import { getIntegrationRow } from "../store/integrations";
import {
  type AccountFilters,
  type AccountPosition,
  listUserAccounts,
  type UserAccount,
} from "../store/user-accounts-read";
import { accessSummary, scopeText } from "./access-text";
import { createRouter, type HonoEnv, requireIntegration } from "./context";
import { type ListSpec, listResponse } from "./list-response";
import { cursorParam, IdParam, limitParam } from "./params";

export { CSV_PAGE } from "./list-response";

import { AccessSchema, commonErrors } from "./schemas";
import { invalidField } from "./validation";

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 500;

const bool = (name: string) =>
  z
    .enum(["true", "false"], { message: `${name} must be true or false` })
    .transform((v) => v === "true")
    .optional();

const filterQuery = {
  status: z
    .enum(["accepted", "pending", "rejected", "unknown"], {
      message: "must be accepted, pending, rejected or unknown",
    })
    .optional()
    .openapi({ description: "Membership status as Cloudflare gives it; `unknown` when it gives none" }),
  pendingOlderThanDays: z
    .string()
    .regex(/^\d{1,5}$/, "must be a whole number of days from 0 to 36500")
    .transform(Number)
    .refine((n) => n <= 36_500, "must be a whole number of days from 0 to 36500")
    .optional()
    .openapi({ description: "Pending invitations made more than this many days ago", example: "14" }),
  twoFactor: bool("twoFactor").openapi({
    description: "true: 2FA enabled; false: not enabled, or Cloudflare does not say (its default is false)",
  }),
  role: z.string().trim().min(1, "must not be empty").max(120).optional().openapi({
    description:
      "Role name or policy permission-group name the member is allowed, case-insensitive; a group the member is denied never matches",
    example: "Administrator",
  }),
  q: z.string().min(1, "must not be empty").max(200).optional().openapi({
    description: "Case-insensitive substring of email or name (% and _ are literal)",
    example: "jane",
  }),
  includeRemoved: bool("includeRemoved").openapi({ description: "Include members no longer in Cloudflare" }),
  limit: limitParam(MAX_LIMIT, DEFAULT_LIMIT),
  cursor: cursorParam,
  format: z.enum(["json", "csv"], { message: "must be json or csv" }).optional(),
};

const IntegrationAccountsQuery = z.object(filterQuery);
export const AllAccountsQuery = z.object({
  ...filterQuery,
  integrationId: z.string().min(1).max(64).optional(),
});

const RoleSchema = z.object({ id: z.string(), name: z.string() });
const PolicySchema = z
  .object({
    access: z.enum(["allow", "deny"]),
    permission_groups: z.array(z.object({ id: z.string(), name: z.string().nullable() })),
    resource_groups: z.array(
      z.object({ scope: z.object({ key: z.string(), objects: z.array(z.object({ key: z.string() })) }) }),
    ),
  })
  .openapi("Policy", {
    description:
      "A Cloudflare policy reduced to what decides access: catalogue text and ids dropped, every list sorted (docs/cloudflare.md).",
  });
export const UserAccountSchema = z
  .object({
    id: z.string(),
    integrationId: z.string(),
    userId: z.string().nullable(),
    email: z.string().nullable().openapi({ description: "null when Cloudflare gives the member no email" }),
    firstName: z.string().nullable(),
    lastName: z.string().nullable(),
    name: z.string().nullable(),
    status: z
      .string()
      .openapi({ description: "accepted, pending, rejected…; unknown when Cloudflare gives none" }),
    roles: z.array(RoleSchema),
    policies: z.array(PolicySchema),
    access: z
      .array(AccessSchema)
      .openapi({ description: "One entry per role and per policy permission group" }),
    twoFactorEnabled: z.boolean().nullable(),
    apiAccessEnabled: z
      .boolean()
      .nullable()
      .openapi({ description: "Enterprise per-member API access; null when unknown" }),
    firstSeenAt: z.string(),
    lastSeenAt: z.string(),
    removedAt: z.string().nullable(),
  })
  .openapi("UserAccount", {
    example: {
      id: "4536bcfad5faccb111b47003c79917fa",
      integrationId: "5b0c7c8e-2f0e-4d8e-9f57-1c7f9b1e2a33",
      userId: "023e105f4ecef8ad9ca31a8372d0c353",
      email: "jane@example.com",
      firstName: "Jane",
      lastName: "Doe",
      name: "Jane Doe",
      status: "accepted",
      roles: [],
      policies: [
        {
          access: "allow",
          permission_groups: [{ id: "c8fed203ed3043cba015a93ad1616f1f", name: "DNS Write" }],
          resource_groups: [
            {
              scope: {
                key: "com.cloudflare.api.account.023e105f4ecef8ad9ca31a8372d0c353",
                objects: [{ key: "com.cloudflare.api.account.zone.23f8d65290b24279ba6f44721b3eaad5" }],
              },
            },
          ],
        },
      ],
      access: [{ name: "DNS Write", effect: "allow", scope: "resources", resources: 1 }],
      twoFactorEnabled: true,
      apiAccessEnabled: null,
      invitedAt: null,
      invitedBy: null,
      firstSeenAt: "2026-11-01T10:00:00.000Z",
      lastSeenAt: "2026-11-29T10:00:01.870Z",
      removedAt: null,
    },
  });

const AccountPage = z.object({ data: z.array(UserAccountSchema), nextCursor: z.string().nullable() });

const listResponses = {
  200: {
    description: "A page of user accounts (JSON), or the whole filtered list (CSV)",
    content: {
      "application/json": { schema: AccountPage },
      "text/csv": { schema: z.string().openapi({ example: "integration_id,id,user_id,email,…\r\n" }) },
    },
  },
  ...commonErrors,
};

const CSV_HEADER = [
  "integration_id",
  "id",
  "user_id",
  "email",
  "first_name",
  "last_name",
  "name",
  "status",
  "roles",
  "policies",
  "two_factor_enabled",
  "first_seen_at",
  "last_seen_at",
  "removed_at",
  "access",
  "api_access_enabled",
  "invited_at",
  "invited_by",
];

/** "allow: Zone Read, DNS Read (account)" per policy, "; " between policies. */
function policySummary(policies: MemberPolicy[]): string {
  return policies
    .map((policy) => {
      const groups = policy.permission_groups.map((g) => g.name ?? g.id).join(", ");
      return `${policy.access}: ${groups} (${scopeText(policyReach(policy))})`;
    })
    .join("; ");
}

const flag = (v: boolean | null) => (v === null ? "" : String(v));

function csvRecord(a: UserAccount) {
  return [
    a.integrationId,
    a.id,
    a.userId,
    a.email,
    a.firstName,
    a.lastName,
    a.name,
    a.status,
    a.roles.map((r) => r.name).join("; "),
    policySummary(a.policies),
    flag(a.twoFactorEnabled),
    a.firstSeenAt,
    a.lastSeenAt,
    a.removedAt,
    accessSummary(a.access),
    flag(a.apiAccessEnabled),
    a.invitedAt,
    a.invitedBy,
  ];
}

/**
 * Answers a list request. `fileLabel` names the CSV file; it is looked up only when needed, and
 * `ensureExists` only when a page comes back empty: the list query joins integrations, so any
 * row already proves the integration exists, and the hot path costs one D1 query.
 */
async function respond(
  c: Context<HonoEnv>,
  filters: AccountFilters,
  query: { limit?: number; cursor?: string; format?: "json" | "csv" },
  fileLabel: () => Promise<string>,
  ensureExists: () => Promise<void>,
) {
  return listResponse(c, accountListSpec(c.env.DB, filters, query, fileLabel, ensureExists));
}

/** The account list as list-response.ts serves it; the console's accounts page pages through the same. */
export function accountListSpec(
  db: D1Database,
  filters: AccountFilters,
  query: { limit?: number; cursor?: string; format?: "json" | "csv" },
  fileLabel: () => Promise<string>,
  ensureExists: () => Promise<void>,
): ListSpec<UserAccount, AccountPosition> {
  return {
    kind: "accounts",
    filters,
    query,
    defaultLimit: DEFAULT_LIMIT,
    isPosition: isAccountPosition,
    page: async (after: AccountPosition | null, limit) => {
      const page = await listUserAccounts(db, filters, after, limit);
      return { items: page.accounts, last: page.last, more: page.more };
    },
    csv: { header: CSV_HEADER, record: csvRecord, label: fileLabel },
    onEmpty: ensureExists,
  };
}

const isAccountPosition = (p: unknown[]): p is AccountPosition =>
  p.length === 3 && p.every((v) => typeof v === "string");

export const filtersOf = (
  q: z.infer<typeof IntegrationAccountsQuery>,
  integrationId: string | null,
): AccountFilters => ({
  integrationId,
  status: q.status ?? null,
  twoFactor: q.twoFactor ?? null,
  pendingOlderThanDays: q.pendingOlderThanDays ?? null,
  role: q.role ?? null,
  q: q.q ?? null,
  includeRemoved: q.includeRemoved ?? false,
});

export const accountRoutes = createRouter();

accountRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/integrations/{id}/accounts",
    tags: ["User accounts"],
    summary: "List one integration's user accounts",
    description:
      "Ordered by email (binary), then id. Follow `nextCursor` until null. `format=csv` or `Accept: text/csv` returns the whole filtered list as CSV.",
    request: { params: IdParam, query: IntegrationAccountsQuery },
    responses: listResponses,
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const query = c.req.valid("query");
    const integration = () => requireIntegration(c.env.DB, id);
    return respond(
      c,
      filtersOf(query, id),
      query,
      async () => (await integration()).label,
      async () => void (await integration()),
    );
  },
);

accountRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/accounts",
    tags: ["User accounts"],
    summary: "List user accounts across all integrations",
    description:
      "Ordered by email (binary), then id, then integration id. Same filters as the per-integration list, plus `integrationId`.",
    request: { query: AllAccountsQuery },
    responses: listResponses,
  }),
  async (c) => allAccountsResponse(c, c.req.valid("query")),
);

/** GET /v1/accounts: the filters, the integrationId check (only when needed), the list. */
function allAccountsResponse(c: Context<HonoEnv>, query: z.infer<typeof AllAccountsQuery>) {
  return respond(
    c,
    filtersOf(query, query.integrationId ?? null),
    query,
    async () => (await knownIntegration(c.env.DB, query.integrationId))?.label ?? "all",
    async () => void (await knownIntegration(c.env.DB, query.integrationId)),
  );
}

/** The `integrationId` filter's integration (400 naming it when unknown), null without one. */
export async function knownIntegration(db: D1Database, integrationId: string | undefined) {
  const row = integrationId === undefined ? null : await getIntegrationRow(db, integrationId);
  if (integrationId !== undefined && !row) throw invalidField("integrationId", "no integration with this id");
  return row;
}
