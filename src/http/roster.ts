/**
 * Roster routes (docs/people.md#the-roster): replace the organisation's people list (CSV or JSON,
 * up to 100,000 people / 10 MiB: the one route above the 64 KiB body limit), read it a page at a
 * time (or as CSV, the upload's own format), and remove it.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { MAX_ROSTER_PEOPLE, parseRosterCsv, parseRosterJson, ROSTER_STATUSES } from "../domain/roster";
import { AppError } from "../lib/errors";
import { currentRoster, listRoster, type RosterPosition } from "../store/roster";
import { type RosterChange, removeRoster, replaceRoster } from "../sync/roster";
import { createRouter } from "./context";
import { listResponse } from "./list-response";
import { readBodyText } from "./middleware";
import { cursorParam, limitParam } from "./params";
import { commonErrors, errorResponse, jsonContent } from "./schemas";

/** The roster upload's own body limit (docs/api.md#limits). */
export const MAX_ROSTER_BYTES = 10 * 1024 * 1024;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1_000;

const RosterPersonSchema = z
  .object({
    email: z.string().openapi({ description: "Trimmed and lower-cased" }),
    name: z.string().nullable(),
    status: z.enum(ROSTER_STATUSES),
  })
  .openapi("RosterPerson", { example: { email: "jane@example.com", name: "Jane Doe", status: "active" } });

const RosterSummarySchema = z
  .object({
    activatedAt: z.string().openapi({ description: "When this roster replaced the previous one" }),
    people: z.number().int(),
    leavers: z.number().int(),
  })
  .nullable()
  .openapi("RosterSummary", { description: "null while no roster is uploaded" });

const RosterChangeSchema = z
  .object({
    roster: RosterSummarySchema,
    findings: z.enum(["queued", "next_sync"]).openapi({
      description:
        "queued: leaver_with_access and unknown_person are recomputed in the background within a minute; next_sync: the queue was unavailable, each integration's next sync recomputes them",
    }),
  })
  .openapi("RosterChange");

const changeBody = (change: RosterChange) => ({
  roster: change.roster
    ? { activatedAt: change.roster.activatedAt, people: change.roster.people, leavers: change.roster.leavers }
    : null,
  findings: change.findings,
});

const JSON_TYPE = /^application\/([a-z.+-]*\+)?json$/;

export const rosterRoutes = createRouter();

// Registered by hand: the body is read here, under this route's limit, not by a JSON validator.
rosterRoutes.openAPIRegistry.registerPath({
  method: "put",
  path: "/v1/roster",
  tags: ["People"],
  summary: "Replace the roster (CSV or JSON)",
  description: `The organisation's people, to find leavers who still have access and memberships nobody owns. Up to ${MAX_ROSTER_PEOPLE.toLocaleString("en")} people and 10 MiB. Validated whole before anything is stored: a bad row changes nothing, and \`details\` names each line (CSV) or index (JSON). Emails are trimmed and lower-cased; an empty status means active.`,
  request: {
    body: {
      required: true,
      content: {
        "text/csv": {
          schema: z.string().openapi({
            example: "email,name,status\njane@example.com,Jane Doe,active\nsam@example.com,Sam Roe,leaver\n",
          }),
        },
        "application/json": {
          schema: z.object({ people: z.array(RosterPersonSchema.partial({ name: true, status: true })) }),
        },
      },
    },
  },
  responses: {
    200: jsonContent(RosterChangeSchema, "The roster now in use"),
    ...commonErrors,
    409: errorResponse("conflict: another upload ran at the same time; upload again"),
    413: errorResponse("payload_too_large: body over 10 MiB"),
    415: errorResponse("unsupported_media_type: not text/csv or application/json"),
  },
});

rosterRoutes.put("/v1/roster", async (c) => {
  const type = (c.req.header("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
  const format = type === "text/csv" ? "csv" : JSON_TYPE.test(type) ? "json" : null;
  if (!format) {
    throw new AppError(
      "unsupported_media_type",
      'Send the roster as text/csv (header email,name,status) or as application/json ({"people": [{"email": …}]}).',
    );
  }
  const text = await readBodyText(c.req.raw, MAX_ROSTER_BYTES);
  const people = format === "csv" ? parseRosterCsv(text) : parseRosterJson(text);
  if (!people.ok) throw new AppError("validation_failed", people.error.message, people.error.details);
  const change = await replaceRoster({ db: c.env.DB, queue: c.env.SYNC_QUEUE }, people.value);
  if (!change.ok) throw new AppError(change.error.code, change.error.message);
  return c.json(changeBody(change.value), 200);
});

rosterRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/roster",
    tags: ["People"],
    summary: "Read the roster",
    description:
      "Ordered by email. Follow `nextCursor` until null; `format=csv` returns the whole roster as uploaded.",
    request: {
      query: z.object({
        status: z.enum(ROSTER_STATUSES, { message: "must be active or leaver" }).optional(),
        limit: limitParam(MAX_LIMIT, DEFAULT_LIMIT),
        cursor: cursorParam,
        format: z.enum(["json", "csv"], { message: "must be json or csv" }).optional(),
      }),
    },
    responses: {
      200: {
        description: "The roster's summary and a page of its people (JSON), or all of them (CSV)",
        content: {
          "application/json": {
            schema: z.object({
              roster: RosterSummarySchema,
              data: z.array(RosterPersonSchema),
              nextCursor: z.string().nullable(),
            }),
          },
          "text/csv": { schema: z.string() },
        },
      },
      ...commonErrors,
    },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const filters = { status: q.status ?? null };
    return listResponse(c, {
      kind: "roster",
      filters,
      query: q,
      defaultLimit: DEFAULT_LIMIT,
      isPosition: (p): p is RosterPosition => p.length === 1 && typeof p[0] === "string",
      page: async (after: RosterPosition | null, limit) => {
        const page = await listRoster(c.env.DB, filters, after, limit);
        return { items: page.people, last: page.last, more: page.more };
      },
      csv: {
        header: ["email", "name", "status"],
        record: (p) => [p.email, p.name, p.status],
        label: async () => "all",
      },
      meta: async () => {
        const roster = await currentRoster(c.env.DB);
        return {
          roster: roster && {
            activatedAt: roster.activatedAt,
            people: roster.people,
            leavers: roster.leavers,
          },
        };
      },
    });
  },
);

rosterRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/v1/roster",
    tags: ["People"],
    summary: "Remove the roster",
    description:
      "leaver_with_access and unknown_person findings resolve; people's rosterStatus becomes null.",
    responses: { 200: jsonContent(RosterChangeSchema, "Removed"), ...commonErrors },
  }),
  async (c) => {
    const change = await removeRoster({ db: c.env.DB, queue: c.env.SYNC_QUEUE });
    if (!change) throw new AppError("not_found", "There is no roster to remove.");
    return c.json(changeBody(change), 200);
  },
);
