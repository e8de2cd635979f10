/**
 * Starting syncs: a queued SyncRun row per integration, then one queue message per run
 * (SPEC §4). "Already queued or running" is decided inside one D1 transaction (the run is
 * created only if the integration's latest run has finished), so a cron tick and a manual
 * request racing for one integration create one run.
 */
import { nowIso } from "../lib/time";
import type { SyncTrigger } from "../store/sync-runs";

/** The queue message: which run of which integration to execute. */
export interface SyncMessage {
  runId: string;
  integrationId: string;
  /** Members the account had when connected: lets a first sync request its first pages together. */
  expectedMembers?: number;
}

/** Name of the dead-letter queue (wrangler.jsonc): its messages are runs that ran out of retries. */
export const DEAD_LETTER_QUEUE = "connector-sync-dlq";

/** Queues: sendBatch takes at most 100 messages. */
export const QUEUE_SEND_BATCH_MAX = 100;

export interface QueuedRun {
  runId: string;
  integrationId: string;
  queuedAt: string;
}

/**
 * Creates queued runs for the given integrations (skipping those with a run already queued or
 * running) and sends their messages. Returns the runs created, in input order.
 */
export async function enqueueSyncs(
  db: D1Database,
  queue: Queue<SyncMessage>,
  integrationIds: string[],
  trigger: SyncTrigger,
  expectedMembers: ReadonlyMap<string, number> = new Map(),
): Promise<QueuedRun[]> {
  const queued: QueuedRun[] = [];
  for (let i = 0; i < integrationIds.length; i += QUEUE_SEND_BATCH_MAX) {
    const chunk = integrationIds.slice(i, i + QUEUE_SEND_BATCH_MAX);
    const queuedAt = nowIso();
    const runs = chunk.map((integrationId) => ({ runId: crypto.randomUUID(), integrationId, queuedAt }));
    const statements = runs.flatMap((run) => [
      // Claim: point the integration at the new run only if its latest run has finished.
      db
        .prepare(
          `UPDATE integrations SET last_sync_id = ?1
            WHERE id = ?2 AND NOT EXISTS (
              SELECT 1 FROM sync_runs r WHERE r.id = integrations.last_sync_id AND r.status IN ('queued', 'running'))
           RETURNING id`,
        )
        .bind(run.runId, run.integrationId),
      // Create the run only where the claim succeeded.
      db
        .prepare(
          `INSERT INTO sync_runs (id, integration_id, trigger, status, queued_at)
           SELECT ?1, ?2, ?3, 'queued', ?4 WHERE EXISTS (SELECT 1 FROM integrations WHERE id = ?2 AND last_sync_id = ?1)`,
        )
        .bind(run.runId, run.integrationId, trigger, run.queuedAt),
    ]);
    const results = await db.batch<{ id: string }>(statements);
    const created = runs.filter((_, index) => (results[index * 2]?.results.length ?? 0) > 0);
    if (created.length === 0) continue;
    try {
      await queue.sendBatch(
        created.map((run) => {
          const expected = expectedMembers.get(run.integrationId);
          const body: SyncMessage = { runId: run.runId, integrationId: run.integrationId };
          if (expected !== undefined) body.expectedMembers = expected;
          return { body };
        }),
      );
    } catch (e) {
      // Without a message the runs would sit queued until abandoned; fail them now instead.
      await db.batch(
        created.map((run) =>
          db
            .prepare(
              `UPDATE sync_runs SET status = 'failed', finished_at = ?, error_code = 'internal',
                      error_message = 'The sync could not be queued; try again.' WHERE id = ? AND status = 'queued'`,
            )
            .bind(nowIso(), run.runId),
        ),
      );
      throw e;
    }
    queued.push(...created);
  }
  return queued;
}
