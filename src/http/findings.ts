/**
 * Findings routes (docs/findings.md): what is wrong right now in each connected account, with a
 * lifecycle (open → resolved → reopened), filters, cursors and CSV; and the feed of findings
 * opening and resolving.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { FINDING_SEVERITIES, FINDING_STATUSES, FINDING_TYPES } from "../domain/finding";
import {
  type Finding,
  type FindingEventPosition,
  type FindingFilters,
  type FindingPosition,
  listFindingEvents,
  listFindings,
} from "../store/findings";
import { getIntegrationRow } from "../store/integrations";
import { createRouter, type HonoEnv, requireIntegration } from "./context";
import { type ListSpec, listResponse } from "./list-response";
import { cursorParam, IdParam, limitParam, nextCursor, readCursor } from "./params";
import { commonErrors, jsonContent } from "./schemas";
import { invalidField } from "./validation";

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 500;

const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { message: `must be one of ${values.join(", ")}` });

const query = {
  status: oneOf(FINDING_STATUSES).optional(),
  severity: oneOf(FINDING_SEVERITIES).optional(),
  type: oneOf(FINDING_TYPES).optional(),
  limit: limitParam(MAX_LIMIT, DEFAULT_LIMIT),
  cursor: cursorParam,
  format: z.enum(["json", "csv"], { message: "must be json or csv" }).optional(),
};

const SubjectSchema = z.object({
  kind: z.enum(["account", "api_token", "integration", "person", "webhook"]),
  id: z.string().openapi({
    description:
      "Membership id, API token id, integration id, a person's lower-cased email, or webhook endpoint id",
  }),
  email: z.string().optional().openapi({ description: "The member's email (account and person subjects)" }),
});

export const FindingSchema = z
  .object({
    id: z.string().openapi({ description: "Stable for the same type and subject" }),
    type: z.enum(FINDING_TYPES),
    severity: z.enum(FINDING_SEVERITIES),
    integrationId: z.string(),
    subject: SubjectSchema,
    title: z.string(),
    detail: z.string(),
    remediation: z.string().openapi({ description: "What to do in the Cloudflare dashboard" }),
    openedAt: z.string().openapi({ description: "When it (last) opened" }),
    resolvedAt: z.string().nullable().openapi({ description: "null while open" }),
    status: z.enum(FINDING_STATUSES),
  })
  .openapi("Finding", {
    example: {
      id: "member_without_2fa:5b0c7c8e-2f0e-4d8e-9f57-1c7f9b1e2a33:account:4536bcfad5faccb111b47003c79917fa",
      type: "member_without_2fa",
      severity: "high",
      integrationId: "5b0c7c8e-2f0e-4d8e-9f57-1c7f9b1e2a33",
      subject: { kind: "account", id: "4536bcfad5faccb111b47003c79917fa", email: "jane@example.com" },
      title: "Member without two-factor authentication: jane@example.com",
      detail:
        "jane@example.com is a member of Acme without two-factor authentication, and the account does not enforce it.",
      remediation: "Ask the member to turn on two-factor authentication …",
      openedAt: "2026-11-29T10:00:01.870Z",
      resolvedAt: null,
      status: "open",
    },
  });

const CSV_HEADER = [
  "id",
  "type",
  "severity",
  "status",
  "integration_id",
  "subject_kind",
  "subject_id",
  "subject_email",
  "title",
  "detail",
  "remediation",
  "opened_at",
  "resolved_at",
];

const csvRecord = (f: Finding) => [
  f.id,
  f.type,
  f.severity,
  f.status,
  f.integrationId,
  f.subject.kind,
  f.subject.id,
  f.subject.email ?? null,
  f.title,
  f.detail,
  f.remediation,
  f.openedAt,
  f.resolvedAt,
];

const isPosition = (p: unknown[]): p is FindingPosition => p.length === 1 && typeof p[0] === "string";

const responses = {
  200: {
    description: "A page of findings (JSON), or the whole filtered list (CSV)",
    content: {
      "application/json": {
        schema: z.object({ data: z.array(FindingSchema), nextCursor: z.string().nullable() }),
      },
      "text/csv": { schema: z.string() },
    },
  },
  ...commonErrors,
};

export type FindingQuery = { [K in keyof typeof query]?: z.infer<(typeof query)[K]> };

/** The query of GET /v1/findings, for the console's findings page to read its form the same way. */
export const AllFindingsQuery = z.object({ ...query, integrationId: z.string().min(1).max(64).optional() });

function respond(c: Context<HonoEnv>, integrationId: string | null, q: FindingQuery, label: string) {
  return listResponse(c, findingListSpec(c.env.DB, integrationId, q, label));
}

/** The findings list as list-response.ts serves it; the console's findings page pages through the same. */
export function findingListSpec(
  db: D1Database,
  integrationId: string | null,
  q: FindingQuery,
  label: string,
): ListSpec<Finding, FindingPosition> {
  const filters: FindingFilters = {
    integrationId,
    status: q.status ?? null,
    severity: q.severity ?? null,
    type: q.type ?? null,
  };
  return {
    kind: "findings",
    filters,
    query: q,
    defaultLimit: DEFAULT_LIMIT,
    isPosition,
    page: async (after: FindingPosition | null, limit) => {
      const page = await listFindings(db, filters, after, limit);
      return { items: page.findings, last: page.last, more: page.more };
    },
    csv: { header: CSV_HEADER, record: csvRecord, label: async () => label },
  };
}

export const findingRoutes = createRouter();

findingRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/integrations/{id}/findings",
    tags: ["Findings"],
    summary: "List one integration's findings",
    description:
      "Ordered by id (type, then subject). Follow `nextCursor` until null; `format=csv` returns the whole list.",
    request: { params: IdParam, query: z.object(query) },
    responses,
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const integration = await requireIntegration(c.env.DB, id);
    return respond(c, id, c.req.valid("query"), integration.label);
  },
);

findingRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/findings",
    tags: ["Findings"],
    summary: "List findings across all integrations",
    description: "Ordered by id (type, then integration and subject).",
    request: { query: AllFindingsQuery },
    responses,
  }),
  async (c) => {
    const q = c.req.valid("query");
    const integrationId = q.integrationId ?? null;
    if (integrationId !== null && !(await getIntegrationRow(c.env.DB, integrationId))) {
      throw invalidField("integrationId", "no integration with this id");
    }
    return respond(c, integrationId, q, integrationId ?? "all");
  },
);

const FindingEventSchema = z
  .object({
    id: z.string().openapi({ description: "The event's position in the feed" }),
    type: z.enum(["finding.opened", "finding.resolved"]),
    occurredAt: z.string(),
    finding: z.object({
      id: z.string(),
      type: z.enum(FINDING_TYPES),
      severity: z.enum(FINDING_SEVERITIES),
      integrationId: z.string(),
      subject: SubjectSchema,
      title: z.string(),
    }),
  })
  .openapi("FindingEvent");

const isEventPosition = (p: unknown[]): p is FindingEventPosition =>
  p.length === 1 && typeof p[0] === "number";

findingRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/findings/events",
    tags: ["Findings"],
    summary: "Feed of findings opening and resolving, oldest first",
    description: "Poll with `since` (inclusive) or follow `nextCursor` until it is null.",
    request: {
      query: z.object({
        since: z.iso
          .datetime({ offset: true, message: "must be an ISO-8601 date-time, e.g. 2026-11-29T00:00:00Z" })
          .optional()
          .openapi({ example: "2026-11-29T00:00:00Z" }),
        limit: limitParam(MAX_LIMIT, DEFAULT_LIMIT),
        cursor: cursorParam,
      }),
    },
    responses: {
      200: jsonContent(
        z.object({ data: z.array(FindingEventSchema), nextCursor: z.string().nullable() }),
        "A page of finding events",
      ),
      ...commonErrors,
    },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const since = q.since ? new Date(q.since).toISOString() : null;
    const keyring = c.get("config").keyring;
    const scope = `finding-events:${since ?? ""}`;
    const after = await readCursor(keyring, scope, q.cursor, isEventPosition);
    const page = await listFindingEvents(c.env.DB, since, after, q.limit ?? DEFAULT_LIMIT);
    return c.json({ data: page.events, nextCursor: await nextCursor(keyring, scope, page) }, 200);
  },
);
