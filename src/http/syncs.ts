/** Sync routes (docs/api.md#sync-runs): start a sync, list an integration's runs, read one run. */
import { createRoute, z } from "@hono/zod-openapi";
import type { AppEnv } from "../config";
import { AppError } from "../lib/errors";
import { getSyncRun, listSyncRuns, type SyncRun } from "../store/sync-runs";
import { enqueueSyncs } from "../sync/enqueue";
import { createRouter, requireIntegration } from "./context";
import { IdParam, limitParam } from "./params";
import { commonErrors, jsonContent, SyncRunSchema } from "./schemas";

const SYNCS_MAX_LIMIT = 500;
const SYNCS_DEFAULT_LIMIT = 100;

export const syncRoutes = createRouter();

syncRoutes.openapi(
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
  async (c) => c.json(await startSync(c.env, c.req.valid("param").id), 202),
);

syncRoutes.openapi(
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

syncRoutes.openapi(
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

/**
 * Queues a manual sync (POST /v1/integrations/{id}/sync; the console's Sync now): 404 for an
 * unknown integration, 409 conflict while one is queued or running.
 */
export async function startSync(env: Pick<AppEnv, "DB" | "SYNC_QUEUE">, id: string): Promise<SyncRun> {
  await requireIntegration(env.DB, id);
  const [run] = await enqueueSyncs(env.DB, env.SYNC_QUEUE, [id], "manual");
  if (!run) {
    throw new AppError(
      "conflict",
      "A sync of this integration is already queued or running; follow it with GET /v1/integrations/{id}/syncs.",
    );
  }
  return (await getSyncRun(env.DB, run.runId))!;
}
