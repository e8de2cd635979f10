/** SQL for the sync_runs table (docs/api.md#sync-runs): creation, the lease, results, listing. */
import type { ErrorCode, Failure } from "../lib/errors";
import { syncFailedFindingStatement } from "./findings";

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
  /** Requests and outcome per source; null until the run finished successfully. */
  sources: Record<string, SourceStats> | null;
  /** A staged run's listing so far (docs/sync.md#staged-sync); null for a run listed in one invocation. */
  progress: { pagesListed: number; pagesExpected: number } | null;
}

export interface SourceStats {
  requests: number;
  state: string;
  entries?: number;
  matched?: number;
  skipped?: number;
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
  source_stats: string | null;
  staged_pages_expected: number | null;
  staged_per_page: number | null;
  pages_listed: number;
  resume_at: number | null;
  pacer_state: string | null;
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
    sources: row.source_stats ? (JSON.parse(row.source_stats) as Record<string, SourceStats>) : null,
    progress:
      row.staged_pages_expected === null || row.staged_pages_expected === undefined
        ? null
        : { pagesListed: row.pages_listed, pagesExpected: row.staged_pages_expected },
  };
}

/** A run about to be created: which integration, and when it was queued. */
export interface QueuedRun {
  runId: string;
  integrationId: string;
  queuedAt: string;
}

/**
 * Creates a queued run for each integration whose latest run has finished, in one transaction:
 * the integration is pointed at the new run only if its latest run is not queued or running, and
 * the run row is inserted only where that claim succeeded. So a cron tick and a manual request
 * racing for one integration create one run. Returns the runs created, in input order.
 */
export async function createQueuedRuns(
  db: D1Database,
  runs: readonly QueuedRun[],
  trigger: SyncTrigger,
): Promise<QueuedRun[]> {
  const statements = runs.flatMap((run) => [
    db
      .prepare(
        `UPDATE integrations SET last_sync_id = ?1
          WHERE id = ?2 AND NOT EXISTS (
            SELECT 1 FROM sync_runs r WHERE r.id = integrations.last_sync_id AND r.status IN ('queued', 'running'))
         RETURNING id`,
      )
      .bind(run.runId, run.integrationId),
    db
      .prepare(
        `INSERT INTO sync_runs (id, integration_id, trigger, status, queued_at)
         SELECT ?1, ?2, ?3, 'queued', ?4 WHERE EXISTS (SELECT 1 FROM integrations WHERE id = ?2 AND last_sync_id = ?1)`,
      )
      .bind(run.runId, run.integrationId, trigger, run.queuedAt),
  ]);
  if (statements.length === 0) return [];
  const results = await db.batch<{ id: string }>(statements);
  return runs.filter((_, index) => (results[index * 2]?.results.length ?? 0) > 0);
}

/** Fails runs whose queue message could not be sent, so they do not sit queued until abandoned. */
export async function failUnsentRuns(db: D1Database, runIds: readonly string[], finishedAt: string) {
  await db.batch(
    runIds.map((runId) =>
      db
        .prepare(
          `UPDATE sync_runs SET status = 'failed', finished_at = ?, error_code = 'internal',
                  error_message = 'The sync could not be queued; try again.' WHERE id = ? AND status = 'queued'`,
        )
        .bind(finishedAt, runId),
    ),
  );
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

/**
 * Gives the run back to the queue (long Retry-After): queued again, lease released, due again at
 * `resumeAt` (the cron resends a staged run only once that has long passed).
 */
export async function requeueRun(
  db: D1Database,
  runId: string,
  leaseToken: string,
  r: { apiRequests: number; resumeAt: number },
) {
  await db
    .prepare(
      `UPDATE sync_runs SET status = 'queued', lease_token = NULL, lease_until = NULL, api_requests = api_requests + ?,
              resume_at = ?
        WHERE id = ? AND lease_token = ?`,
    )
    .bind(r.apiRequests, r.resumeAt, runId, leaseToken)
    .run();
}

/**
 * Hands a staged run to its next delivery (docs/sync.md#continuation): queued again, lease
 * released, its requests and its pacer's bucket kept, and when the continuation is due, so the
 * cron can send it again if the queue loses the message. Returns false when the lease was lost.
 */
export async function continueRun(
  db: D1Database,
  c: { runId: string; leaseToken: string; apiRequests: number; resumeAt: number; pacerState: string },
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE sync_runs SET status = 'queued', lease_token = NULL, lease_until = NULL, api_requests = api_requests + ?,
              resume_at = ?, pacer_state = ?
        WHERE id = ? AND lease_token = ? AND status = 'running'`,
    )
    .bind(c.apiRequests, c.resumeAt, c.pacerState, c.runId, c.leaseToken)
    .run();
  return (result.meta.changes ?? 0) > 0;
}

/**
 * Staged runs whose next delivery is overdue by `graceMs` (its message lost, or its attempt died
 * holding the lease): their runs and integrations, for the cron to queue again. Each is marked due
 * again from `now`, so one tick sends it once.
 */
export async function takeOverdueStagedRuns(
  db: D1Database,
  now: number,
  graceMs: number,
): Promise<{ runId: string; integrationId: string }[]> {
  const { results } = await db
    .prepare(
      `UPDATE sync_runs SET resume_at = ?1
        WHERE staged_pages_expected IS NOT NULL
          AND ((status = 'queued' AND COALESCE(resume_at, 0) < ?2)
            OR (status = 'running' AND (lease_until IS NULL OR lease_until < ?2)))
       RETURNING id, integration_id`,
    )
    .bind(now, now - graceMs)
    .all<{ id: string; integration_id: string }>();
  return results.map((r) => ({ runId: r.id, integrationId: r.integration_id }));
}

/** A successful run's figures, as finishRunStatement records them. */
export interface RunSuccess {
  runId: string;
  /** The lease this attempt holds; the batch aborts if another attempt took the run over. */
  leaseToken: string;
  finishedAt: string;
  counts: SyncCounts;
  pages: number;
  apiRequests: number;
  sources: Record<string, SourceStats>;
}

/**
 * Finishes the run as succeeded, only if this attempt still holds the lease: otherwise it writes
 * NULL into the NOT NULL status column, which aborts the whole batch it is the first of.
 */
export function finishRunStatement(db: D1Database, r: RunSuccess): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE sync_runs
          SET status = CASE WHEN lease_token = ? THEN 'succeeded' END,
              finished_at = ?, seen = ?, added = ?, updated = ?, removed = ?, unchanged = ?,
              pages = ?, api_requests = api_requests + ?, error_code = NULL, error_message = NULL,
              lease_token = NULL, lease_until = NULL, source_stats = ?
        WHERE id = ?`,
    )
    .bind(
      r.leaseToken,
      r.finishedAt,
      r.counts.seen,
      r.counts.added,
      r.counts.updated,
      r.counts.removed,
      r.counts.unchanged,
      r.pages,
      r.apiRequests,
      JSON.stringify(r.sources),
      r.runId,
    );
}

/** True when a batch failed because another attempt had taken the run over (finishRunStatement). */
export function isLeaseLost(e: unknown): boolean {
  return e instanceof Error && /NOT NULL constraint failed: sync_runs\.status/.test(e.message);
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
 * integration `error`, opening its sync_stale finding; user accounts are not touched (docs/sync.md#never-a-partial-list).
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
    syncFailedFindingStatement(db, {
      integrationId: f.integrationId,
      runId: f.runId,
      finishedAt: f.finishedAt,
    }),
  ]);
}

/**
 * Runs stuck `queued` or `running` past their bound (message exhausted, invocation died) are
 * failed `abandoned` so the integration can sync again (docs/sync.md#leases-redelivery-and-abandoned-runs).
 * Returns how many.
 */
export async function abandonStuckRuns(
  db: D1Database,
  now: number,
  queuedBeforeIso: string,
  runningLeaseExpiredBefore: number,
  /** Staged runs resume after crashes and lost messages (takeOverdueStagedRuns); only age ends them. */
  stagedStartedBeforeIso: string,
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
          WHERE (staged_pages_expected IS NULL AND (
                  (status = 'queued' AND queued_at < ?)
                  OR (status = 'running' AND (lease_until IS NULL OR lease_until < ?))))
             OR (staged_pages_expected IS NOT NULL AND status IN ('queued', 'running') AND started_at < ?)
         RETURNING id`,
      )
      .bind(nowIso, code, message, queuedBeforeIso, runningLeaseExpiredBefore, stagedStartedBeforeIso),
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
