/** SQL for sync runs (SPEC §3 SyncRun): creation, the lease, results, listing. */
import type { ErrorCode, Failure } from "../lib/errors";

export type SyncTrigger = "cron" | "manual" | "create";
export type SyncStatus = "queued" | "running" | "succeeded" | "failed";

export interface SyncCounts {
  seen: number;
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
}

export interface SyncRun {
  id: string;
  integrationId: string;
  trigger: SyncTrigger;
  status: SyncStatus;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  apiRequests: number;
  counts: SyncCounts;
  error: Failure | null;
}

export interface SyncRunRow {
  id: string;
  integration_id: string;
  trigger: SyncTrigger;
  status: SyncStatus;
  queued_at: string;
  started_at: string | null;
  finished_at: string | null;
  api_requests: number;
  pages: number;
  seen: number;
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
  error_code: string | null;
  error_message: string | null;
  lease_token: string | null;
  lease_until: number | null;
  attempts: number;
}

export function syncRunFromRow(row: SyncRunRow): SyncRun {
  return {
    id: row.id,
    integrationId: row.integration_id,
    trigger: row.trigger,
    status: row.status,
    queuedAt: row.queued_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    apiRequests: row.api_requests,
    counts: {
      seen: row.seen,
      added: row.added,
      updated: row.updated,
      removed: row.removed,
      unchanged: row.unchanged,
    },
    error: row.error_code ? { code: row.error_code as ErrorCode, message: row.error_message ?? "" } : null,
  };
}

export async function getSyncRun(db: D1Database, id: string): Promise<SyncRun | null> {
  const row = await db.prepare("SELECT * FROM sync_runs WHERE id = ?").bind(id).first<SyncRunRow>();
  return row ? syncRunFromRow(row) : null;
}

export async function getSyncRunRow(db: D1Database, id: string): Promise<SyncRunRow | null> {
  return db.prepare("SELECT * FROM sync_runs WHERE id = ?").bind(id).first<SyncRunRow>();
}

/** Newest first; `limit` bounds the answer (history is also pruned by retention). */
export async function listSyncRuns(db: D1Database, integrationId: string, limit: number): Promise<SyncRun[]> {
  const { results } = await db
    .prepare("SELECT * FROM sync_runs WHERE integration_id = ? ORDER BY queued_at DESC, id DESC LIMIT ?")
    .bind(integrationId, limit)
    .all<SyncRunRow>();
  return results.map(syncRunFromRow);
}

/**
 * Takes the run's lease: succeeds for a queued run, or for a running one whose lease expired
 * (its invocation died). A finished run, or one another invocation holds, is not taken.
 * One conditional UPDATE, so two deliveries can never both win. Returns the run's trigger, or
 * null when the lease was not taken.
 */
export async function takeLease(
  db: D1Database,
  runId: string,
  leaseToken: string,
  now: number,
  leaseMs: number,
): Promise<{ trigger: SyncTrigger; rowsWritten: number } | null> {
  const result = await db
    .prepare(
      `UPDATE sync_runs
          SET status = 'running', started_at = COALESCE(started_at, ?), lease_token = ?, lease_until = ?,
              attempts = attempts + 1
        WHERE id = ? AND (status = 'queued' OR (status = 'running' AND (lease_until IS NULL OR lease_until < ?)))
        RETURNING trigger`,
    )
    .bind(new Date(now).toISOString(), leaseToken, now + leaseMs, runId, now)
    .run<{ trigger: SyncTrigger }>();
  const row = result.results[0];
  return row ? { trigger: row.trigger, rowsWritten: result.meta.rows_written ?? 0 } : null;
}

/** Lets another delivery take the run at once (this attempt is giving up unexpectedly). */
export async function releaseLease(db: D1Database, runId: string, leaseToken: string): Promise<void> {
  await db
    .prepare("UPDATE sync_runs SET lease_until = 0 WHERE id = ? AND lease_token = ? AND status = 'running'")
    .bind(runId, leaseToken)
    .run();
}

/** Gives the run back to the queue (long Retry-After): queued again, lease released. */
export async function requeueRun(db: D1Database, runId: string, leaseToken: string, apiRequests: number) {
  await db
    .prepare(
      `UPDATE sync_runs SET status = 'queued', lease_token = NULL, lease_until = NULL, api_requests = api_requests + ?
        WHERE id = ? AND lease_token = ?`,
    )
    .bind(apiRequests, runId, leaseToken)
    .run();
}

export interface RunFailure {
  runId: string;
  integrationId: string;
  failure: Failure;
  finishedAt: string;
  apiRequests: number;
  pages: number;
  seen: number;
}

/**
 * Marks a run failed (only while this attempt holds its lease, or for runs nobody holds) and the
 * integration `error`; user accounts are not touched (SPEC §4: partial data changes nothing).
 */
export async function failRun(db: D1Database, leaseToken: string | null, f: RunFailure): Promise<void> {
  await db.batch([
    db
      .prepare(
        `UPDATE sync_runs SET status = 'failed', finished_at = ?, error_code = ?, error_message = ?,
                api_requests = api_requests + ?, pages = ?, seen = ?, lease_token = NULL, lease_until = NULL
          WHERE id = ? AND status IN ('queued', 'running') AND (lease_token IS ? OR lease_token IS NULL)`,
      )
      .bind(
        f.finishedAt,
        f.failure.code,
        f.failure.message,
        f.apiRequests,
        f.pages,
        f.seen,
        f.runId,
        leaseToken,
      ),
    db
      .prepare(
        `UPDATE integrations SET status = 'error'
          WHERE id = ? AND last_sync_id = ? AND EXISTS (SELECT 1 FROM sync_runs WHERE id = ? AND status = 'failed')`,
      )
      .bind(f.integrationId, f.runId, f.runId),
  ]);
}

/**
 * Runs stuck `queued` or `running` past their bound (message exhausted, invocation died) are
 * failed `abandoned` so the integration can sync again (SPEC §4). Returns how many.
 */
export async function abandonStuckRuns(
  db: D1Database,
  now: number,
  queuedBeforeIso: string,
  runningLeaseExpiredBefore: number,
): Promise<number> {
  const nowIso = new Date(now).toISOString();
  const code: ErrorCode = "abandoned";
  const message =
    "The sync did not finish (its worker stopped or its queue message ran out of retries); the next scheduled or manual sync will try again.";
  const [runs] = await db.batch([
    db
      .prepare(
        `UPDATE sync_runs SET status = 'failed', finished_at = ?, error_code = ?, error_message = ?,
                lease_token = NULL, lease_until = NULL
          WHERE (status = 'queued' AND queued_at < ?)
             OR (status = 'running' AND (lease_until IS NULL OR lease_until < ?))
         RETURNING id`,
      )
      .bind(nowIso, code, message, queuedBeforeIso, runningLeaseExpiredBefore),
    db
      .prepare(
        `UPDATE integrations SET status = 'error'
        WHERE ?1 IS NOT NULL AND last_sync_id IN (SELECT id FROM sync_runs WHERE status = 'failed' AND error_code = 'abandoned' AND finished_at = ?1)`,
      )
      .bind(nowIso),
  ]);
  return runs?.results.length ?? 0;
}

/** Fails one specific run `abandoned` (its message reached the dead-letter queue). */
export async function abandonRun(db: D1Database, runId: string, now: number): Promise<void> {
  const nowIso = new Date(now).toISOString();
  await db.batch([
    db
      .prepare(
        `UPDATE sync_runs SET status = 'failed', finished_at = ?, error_code = 'abandoned',
                error_message = 'The sync ran out of queue retries; the next scheduled or manual sync will try again.',
                lease_token = NULL, lease_until = NULL
          WHERE id = ? AND status IN ('queued', 'running')`,
      )
      .bind(nowIso, runId),
    db
      .prepare(
        `UPDATE integrations SET status = 'error'
          WHERE last_sync_id = ? AND EXISTS (SELECT 1 FROM sync_runs WHERE id = ? AND error_code = 'abandoned')`,
      )
      .bind(runId, runId),
  ]);
}
