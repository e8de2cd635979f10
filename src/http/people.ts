/**
 * People routes (docs/people.md): one row per person across every integration (emails compared
 * case-insensitively), and the offboarding view of one person: every account where they are or
 * were a member, with their access, 2FA, and when they were removed.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Person } from "../domain/person";
import { AppError } from "../lib/errors";
import { getIntegrationRow } from "../store/integrations";
import { getPerson, listPeople, type PeopleFilters, type PersonPosition } from "../store/people";
import { accessSummary } from "./access-text";
import { createRouter } from "./context";
import { type ListSpec, listResponse } from "./list-response";
import { cursorParam, limitParam } from "./params";
import { AccessSchema, commonErrors, jsonContent } from "./schemas";
import { invalidField } from "./validation";

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 500;

const PersonAccountSchema = z.object({
  integrationId: z.string(),
  label: z.string(),
  organizationName: z.string(),
  accountId: z.string().openapi({ description: "The Cloudflare account id" }),
  userAccountId: z
    .string()
    .openapi({ description: "The membership's id (a user account's id in /v1/accounts)" }),
  status: z.string().openapi({ description: "accepted, pending, rejected or unknown" }),
  access: z.array(AccessSchema),
  twoFactorEnabled: z.boolean().nullable(),
  firstSeenAt: z.string(),
  removedAt: z.string().nullable().openapi({ description: "null while a current member" }),
});

export const PersonSchema = z
  .object({
    email: z.string().openapi({ description: "Lower-cased: the person's key" }),
    name: z.string().nullable().openapi({ description: "The roster's name, else the name Cloudflare gave" }),
    rosterStatus: z.enum(["active", "leaver", "unknown"]).nullable().openapi({
      description: "null while no roster is uploaded; unknown when the roster does not list them",
    }),
    integrations: z.number().int().openapi({ description: "Integrations where they are a current member" }),
    accounts: z
      .array(PersonAccountSchema)
      .openapi({ description: "Current memberships first, then removed ones" }),
    weakestTwoFactor: z.boolean().nullable().openapi({
      description: "false if any current membership is without 2FA; null if any is unknown or there is none",
    }),
    admin: z
      .boolean()
      .openapi({ description: "Allowed Administrator or Super Administrator account-wide anywhere" }),
    firstSeenAt: z.string().nullable(),
  })
  .openapi("Person", {
    example: {
      email: "jane@example.com",
      name: "Jane Doe",
      rosterStatus: "leaver",
      integrations: 1,
      accounts: [
        {
          integrationId: "5b0c7c8e-2f0e-4d8e-9f57-1c7f9b1e2a33",
          label: "Production",
          organizationName: "Acme Corp",
          accountId: "01a7362d577a6c3019a474fd6f485823",
          userAccountId: "4536bcfad5faccb111b47003c79917fa",
          status: "accepted",
          access: [{ name: "Administrator", effect: "allow", scope: "account", resources: 0 }],
          twoFactorEnabled: false,
          firstSeenAt: "2026-11-01T10:00:00.000Z",
          removedAt: null,
        },
      ],
      weakestTwoFactor: false,
      admin: true,
      firstSeenAt: "2026-11-01T10:00:00.000Z",
    },
  });

const CSV_HEADER = [
  "email",
  "name",
  "roster_status",
  "integrations",
  "admin",
  "weakest_two_factor",
  "first_seen_at",
  "accounts",
];

/** "Production (Acme Corp): accepted, Administrator (allow, account); Staging (…): removed 2026-11-30". */
const accountsText = (p: Person) =>
  p.accounts
    .map(
      (a) =>
        `${a.label} (${a.organizationName}): ${a.removedAt ? `removed ${a.removedAt.slice(0, 10)}` : `${a.status}, ${accessSummary(a.access) || "no access"}`}`,
    )
    .join("; ");

const csvRecord = (p: Person) => [
  p.email,
  p.name,
  p.rosterStatus,
  p.integrations,
  String(p.admin),
  p.weakestTwoFactor === null ? null : String(p.weakestTwoFactor),
  p.firstSeenAt,
  accountsText(p),
];

/** The query of GET /v1/people; the console's people page reads its search form with it. */
export const PeopleQuery = z.object({
  q: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .openapi({ description: "Case-insensitive substring of an email or name" }),
  rosterStatus: z
    .enum(["active", "leaver", "unknown"], { message: "must be active, leaver or unknown" })
    .optional(),
  integrationId: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .openapi({ description: "People with a membership here" }),
  includeRemoved: z
    .enum(["true", "false"], { message: "includeRemoved must be true or false" })
    .transform((v) => v === "true")
    .optional(),
  limit: limitParam(MAX_LIMIT, DEFAULT_LIMIT),
  cursor: cursorParam,
  format: z.enum(["json", "csv"], { message: "must be json or csv" }).optional(),
});

export const peopleRoutes = createRouter();

peopleRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/people",
    tags: ["People"],
    summary: "List people across all integrations",
    description:
      "One row per email (case-insensitive), ordered by email, with each person's memberships. People whose memberships were all removed appear with `includeRemoved=true`. Follow `nextCursor` until null; `format=csv` returns the whole list.",
    request: { query: PeopleQuery },
    responses: {
      200: {
        description: "A page of people (JSON), or the whole filtered list (CSV)",
        content: {
          "application/json": {
            schema: z.object({ data: z.array(PersonSchema), nextCursor: z.string().nullable() }),
          },
          "text/csv": { schema: z.string() },
        },
      },
      ...commonErrors,
    },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const spec = peopleListSpec(c.env.DB, q);
    const integrationId = spec.filters.integrationId;
    if (integrationId !== null && !(await getIntegrationRow(c.env.DB, integrationId))) {
      throw invalidField("integrationId", "no integration with this id");
    }
    return listResponse(c, spec);
  },
);

/** The people list as list-response.ts serves it; the console's people page pages through the same. */
export function peopleListSpec(
  db: D1Database,
  q: z.infer<typeof PeopleQuery>,
): ListSpec<Person, PersonPosition> & { filters: PeopleFilters } {
  const filters: PeopleFilters = {
    q: q.q ?? null,
    rosterStatus: q.rosterStatus ?? null,
    integrationId: q.integrationId ?? null,
    includeRemoved: q.includeRemoved ?? false,
  };
  return {
    kind: "people",
    filters,
    query: q,
    defaultLimit: DEFAULT_LIMIT,
    isPosition: (p): p is PersonPosition => p.length === 1 && typeof p[0] === "string",
    page: async (after: PersonPosition | null, limit) => {
      const page = await listPeople(db, filters, after, limit);
      return { items: page.people, last: page.last, more: page.more };
    },
    csv: { header: CSV_HEADER, record: csvRecord, label: async () => filters.integrationId ?? "all" },
  };
}

peopleRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/people/{email}",
    tags: ["People"],
    summary: "One person: where do they still have access?",
    description:
      "Every integration and account where this email (any case) is or was a member: access, 2FA, status, and when removed. 404 when no sync has seen the email and the roster does not list it.",
    request: {
      params: z.object({
        email: z
          .string()
          .min(3)
          .max(320)
          .openapi({ param: { name: "email", in: "path" }, example: "jane@example.com" }),
      }),
    },
    responses: { 200: jsonContent(PersonSchema, "The person"), ...commonErrors },
  }),
  async (c) => {
    const { email } = c.req.valid("param");
    const person = await getPerson(c.env.DB, email);
    if (!person) throw new AppError("not_found", "No member or roster person has this email.");
    return c.json(person, 200);
  },
);
