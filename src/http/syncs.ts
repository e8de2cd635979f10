/**
 * Sync routes: start a sync, read sync runs, and follow an integration's change feed
 * (SPEC §3 SyncRun and "Change events").
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import { AppError } from "../lib/errors";
import { type EventPosition, listEvents } from "../store/events";
import { getSyncRun, listSyncRuns } from "../store/sync-runs";
import { enqueueSyncs } from "../sync/enqueue";
import { type HonoEnv, requireIntegration } from "./context";
import { commonErrors, IdParam, jsonContent, SyncRunSchema } from "./schemas";

const limitParam = (max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,4}$/, `must be a whole number from 1 to ${max}`)
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, `must be a whole number from 1 to ${max}`)
    .optional()
    .openapi({ example: String(fallback), description: `1 to ${max}, default ${fallback}` });

const EventSchema = z
  .object({
    id: z.string(),
    type: z.enum(["account.added", "account.updated", "account.removed", "account.restored"]),
    accountId: z.string(),
    email: z.string(),
    changes: z.record(z.string(), z.object({ from: z.unknown(), to: z.unknown() })).nullable(),
    syncId: z.string(),
    occurredAt: z.string(),
  })
  .openapi("ChangeEvent", {
    example: {
      id: "9a1b2c3d-0000-4000-8000-000000000001",
      type: "account.updated",
      accountId: "4536bcfad5faccb111b47003c79917fa",
      email: "jane@example.com",
      changes: {
        roles: { from: [{ id: "r1", name: "Analytics" }], to: [{ id: "r2", name: "Administrator" }] },
      },
      syncId: "0d9f4c1e-7c53-4a44-9d0b-6a1f2f8f3c11",
      occurredAt: "2026-11-29T10:00:01.870Z",
    },
  });

const EVENTS_MAX_LIMIT = 500;
const EVENTS_DEFAULT_LIMIT = 100;
const SYNCS_MAX_LIMIT = 500;
const SYNCS_DEFAULT_LIMIT = 100;

export function registerSyncRoutes(app: OpenAPIHono<HonoEnv>) {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/integrations/{id}/sync",
      tags: ["Syncs"],
      summary: "Start a sync now",
      description: "Queues a sync of this integration. 409 conflict when one is already queued or running.",
      request: { params: IdParam },
      responses: {
        202: jsonContent(SyncRunSchema, "The queued sync run"),
        409: jsonContent(z.any(), "conflict: a sync of this integration is already queued or running"),
        ...commonErrors,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await requireIntegration(c.env.DB, id);
      const [run] = await enqueueSyncs(c.env.DB, c.env.SYNC_QUEUE, [id], "manual");
      if (!run) {
        throw new AppError(
          "conflict",
          "A sync of this integration is already queued or running; follow it with GET /v1/integrations/{id}/syncs.",
        );
      }
      return c.json((await getSyncRun(c.env.DB, run.runId))!, 202);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/integrations/{id}/syncs",
      tags: ["Syncs"],
      summary: "List an integration's sync runs, newest first",
      request: {
        params: IdParam,
        query: z.object({ limit: limitParam(SYNCS_MAX_LIMIT, SYNCS_DEFAULT_LIMIT) }),
      },
      responses: {
        200: jsonContent(z.object({ data: z.array(SyncRunSchema) }), "Sync runs"),
        ...commonErrors,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await requireIntegration(c.env.DB, id);
      const limit = c.req.valid("query").limit ?? SYNCS_DEFAULT_LIMIT;
      return c.json({ data: await listSyncRuns(c.env.DB, id, limit) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/syncs/{syncId}",
      tags: ["Syncs"],
      summary: "Get one sync run",
      request: {
        params: z.object({
          syncId: z
            .string()
            .min(1)
            .max(64)
            .openapi({ param: { name: "syncId", in: "path" } }),
        }),
      },
      responses: { 200: jsonContent(SyncRunSchema, "The sync run"), ...commonErrors },
    }),
    async (c) => {
      const run = await getSyncRun(c.env.DB, c.req.valid("param").syncId);
      if (!run) throw new AppError("not_found", "No sync run with this id.");
      return c.json(run, 200);
    },
  );

  app.openapi(
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
          cursor: z.string().max(512).optional(),
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
      const secret = c.get("config").adminToken;
      const scope = `events:${id}:${since ?? ""}`;
      let after: EventPosition | null = null;
      if (query.cursor !== undefined) {
        const position = await decodeCursor(secret, scope, query.cursor);
        if (!position || typeof position[0] !== "string" || typeof position[1] !== "number") {
          throw new AppError("validation_failed", "cursor: was not issued for this query", [
            { path: "cursor", message: "was not issued for this query" },
          ]);
        }
        after = [position[0], position[1]];
      }
      const limit = query.limit ?? EVENTS_DEFAULT_LIMIT;
      const page = await listEvents(c.env.DB, id, since, after, limit);
      const nextCursor = page.more && page.last ? await encodeCursor(secret, scope, page.last) : null;
      return c.json({ data: page.events, nextCursor }, 200);
    },
  );
}
