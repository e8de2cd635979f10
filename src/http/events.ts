/** The change feed of an integration's user accounts and API tokens (docs/api.md#change-events), oldest first. */
import { createRoute, z } from "@hono/zod-openapi";
import { EVENT_TYPES } from "../domain/event";
import { type EventPosition, listEvents } from "../store/events";
import type { Keyring } from "../vault/keyring";
import { createRouter, requireIntegration } from "./context";
import { cursorParam, IdParam, limitParam, nextCursor, readCursor } from "./params";
import { commonErrors, jsonContent } from "./schemas";

const EVENTS_MAX_LIMIT = 500;
const EVENTS_DEFAULT_LIMIT = 100;

const ActorSchema = z
  .object({
    email: z.string().nullable(),
    type: z.string().nullable().openapi({ description: "user, account, system or cloudflare_admin" }),
    context: z.string().nullable().openapi({ description: "dash, api_token, api_key, oauth…" }),
    tokenName: z.string().nullable(),
    ip: z.string().nullable(),
  })
  .openapi("Actor");

const EventSchema = z
  .object({
    id: z.string(),
    type: z.enum(EVENT_TYPES),
    userAccountId: z
      .string()
      .nullable()
      .openapi({ description: "The membership (account.* events); else null" }),
    email: z.string().nullable().openapi({ description: "The member's email (account.* events); else null" }),
    apiTokenId: z.string().nullable().openapi({ description: "The token (api_token.* events); else null" }),
    tokenName: z.string().nullable(),
    changes: z.record(z.string(), z.object({ from: z.unknown(), to: z.unknown() })).nullable(),
    actor: ActorSchema.nullable().openapi({
      description: "Who made the change, from the account's audit log; null until an entry matches",
    }),
    auditLogId: z.string().nullable(),
    syncId: z.string(),
    occurredAt: z.string(),
  })
  .openapi("ChangeEvent", {
    example: {
      id: "9a1b2c3d-0000-4000-8000-000000000001",
      type: "account.added",
      userAccountId: "4536bcfad5faccb111b47003c79917fa",
      email: "jane@example.com",
      apiTokenId: null,
      tokenName: null,
      changes: null,
      actor: {
        email: "admin@example.com",
        type: "user",
        context: "dash",
        tokenName: null,
        ip: "198.51.100.7",
      },
      auditLogId: "0193c1d0-5b7a-7c3e-9f4e-2a1b3c4d5e6f",
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
        userAccountId: z
          .string()
          .min(1)
          .max(64)
          .optional()
          .openapi({ description: "Only this membership's events (its timeline)" }),
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
    return c.json(await eventPage(c.env.DB, c.get("config").keyring, id, query), 200);
  },
);

/**
 * A page of an integration's feed, optionally one membership's timeline, with the cursor for the
 * next: the route above and the console's account page (src/console/) both answer with it.
 */
export async function eventPage(
  db: D1Database,
  keyring: Keyring,
  integrationId: string,
  query: { since?: string; userAccountId?: string; cursor?: string; limit?: number },
) {
  const since = query.since ? new Date(query.since).toISOString() : null;
  const subject = query.userAccountId ?? null;
  // Without a subject the scope is what it always was, so cursors issued before stay valid.
  const scope = `events:${integrationId}:${since ?? ""}${subject === null ? "" : `:${subject}`}`;
  const after = await readCursor(keyring, scope, query.cursor, isEventPosition);
  const limit = query.limit ?? EVENTS_DEFAULT_LIMIT;
  const page = await listEvents(db, integrationId, since, after, limit, subject);
  return { data: page.events, nextCursor: await nextCursor(keyring, scope, page) };
}
