/** The change feed of an integration's user accounts (docs/api.md#change-events), oldest first. */
import { createRoute, z } from "@hono/zod-openapi";
import { type EventPosition, listEvents } from "../store/events";
import { createRouter, requireIntegration } from "./context";
import { cursorParam, IdParam, limitParam, nextCursor, readCursor } from "./params";
import { commonErrors, jsonContent } from "./schemas";

const EVENTS_MAX_LIMIT = 500;
const EVENTS_DEFAULT_LIMIT = 100;

const EventSchema = z
  .object({
    id: z.string(),
    type: z.enum(["account.added", "account.updated", "account.removed", "account.restored"]),
    userAccountId: z.string().openapi({
      description: "The user account's `id` (Cloudflare's membership id), not a Cloudflare account id",
    }),
    email: z.string().nullable().openapi({ description: "null when Cloudflare gives the member no email" }),
    changes: z.record(z.string(), z.object({ from: z.unknown(), to: z.unknown() })).nullable(),
    syncId: z.string(),
    occurredAt: z.string(),
  })
  .openapi("ChangeEvent", {
    example: {
      id: "9a1b2c3d-0000-4000-8000-000000000001",
      type: "account.updated",
      userAccountId: "4536bcfad5faccb111b47003c79917fa",
      email: "jane@example.com",
      changes: {
        roles: { from: [{ id: "r1", name: "Analytics" }], to: [{ id: "r2", name: "Administrator" }] },
      },
      syncId: "0d9f4c1e-7c53-4a44-9d0b-6a1f2f8f3c11",
      occurredAt: "2026-11-29T10:00:01.870Z",
    },
  });

const isEventPosition = (p: unknown[]): p is EventPosition =>
  p.length === 2 && typeof p[0] === "string" && typeof p[1] === "number";

export const eventRoutes = createRouter();

eventRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/integrations/{id}/events",
    tags: ["Events"],
    summary: "Change feed of an integration's user accounts, oldest first",
    description: "Poll with `since` (inclusive) or follow `nextCursor` until it is null.",
    request: {
      params: IdParam,
      query: z.object({
        since: z.iso
          .datetime({ offset: true, message: "must be an ISO-8601 date-time, e.g. 2026-11-29T00:00:00Z" })
          .optional()
          .openapi({ example: "2026-11-29T00:00:00Z" }),
        limit: limitParam(EVENTS_MAX_LIMIT, EVENTS_DEFAULT_LIMIT),
        cursor: cursorParam,
      }),
    },
    responses: {
      200: jsonContent(
        z.object({ data: z.array(EventSchema), nextCursor: z.string().nullable() }),
        "A page of events",
      ),
      ...commonErrors,
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const query = c.req.valid("query");
    await requireIntegration(c.env.DB, id);
    const since = query.since ? new Date(query.since).toISOString() : null;
    const keyring = c.get("config").keyring;
    const scope = `events:${id}:${since ?? ""}`;
    const after = await readCursor(keyring, scope, query.cursor, isEventPosition);
    const page = await listEvents(c.env.DB, id, since, after, query.limit ?? EVENTS_DEFAULT_LIMIT);
    return c.json({ data: page.events, nextCursor: await nextCursor(keyring, scope, page) }, 200);
  },
);
