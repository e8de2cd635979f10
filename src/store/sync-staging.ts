/**
 * SQL for a staged sync's own tables (docs/sync.md#staged-sync, docs/storage.md): the members listed
 * page by page (sync_staging), the pages done (sync_staged_pages, the checkpoint), the chunked
 * diff's results (sync_staged_writes), the unlisted members confirmed gone (sync_staged_gone),
 * and discarding them once a run is over.
 */
import type { Member } from "../domain/member";
import { chunks, ROWS_PER_STATEMENT } from "./batching";

/** One listed page: its members and, for page 1, the listing's size. */
export interface StagedPage {
  runId: string;
  leaseToken: string;
  page: number;
  members: readonly Member[];
  totalCount: number | null;
  /** Set with the first page staged: the pages to list and the page size served. */
  expected?: { pages: number; perPage: number };
}

/**
 * Stages one page in one batch: the run's counter first, which aborts the batch when this attempt
 * no longer holds the lease (NULL into the NOT NULL status, as finishRunStatement does); then its
 * members (the first page that lists a member keeps it) and the page as done.
 */
export function stagePageStatements(db: D1Database, p: StagedPage): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `UPDATE sync_runs SET status = CASE WHEN lease_token = ?1 THEN status END, pages_listed = pages_listed + 1,
                staged_pages_expected = COALESCE(?2, staged_pages_expected), staged_per_page = COALESCE(?3, staged_per_page)
          WHERE id = ?4`,
      )
      .bind(p.leaseToken, p.expected?.pages ?? null, p.expected?.perPage ?? null, p.runId),
    db
      .prepare(
        `INSERT INTO sync_staging (run_id, id, page, value)
         SELECT ?1, j.value ->> 'id', ?2, j.value FROM json_each(?3) AS j
          WHERE true ON CONFLICT (run_id, id) DO NOTHING`,
      )
      .bind(p.runId, p.page, JSON.stringify(p.members)),
    db
      .prepare("INSERT INTO sync_staged_pages (run_id, page, members, total_count) VALUES (?, ?, ?, ?)")
      .bind(p.runId, p.page, p.members.length, p.totalCount),
  ];
}

/** The pages a staged run has listed: the next delivery asks for the others. */
export async function stagedPages(db: D1Database, runId: string): Promise<Set<number>> {
  const { results } = await db
    .prepare("SELECT page FROM sync_staged_pages WHERE run_id = ?")
    .bind(runId)
    .all<{ page: number }>();
  return new Set(results.map((r) => r.page));
}

/** A complete listing's figures: pages, the smallest and largest total_count reported, members once each. */
export interface StagedTotals {
  pages: number;
  minTotal: number | null;
  maxTotal: number | null;
  members: number;
}

export async function stagedTotals(db: D1Database, runId: string): Promise<StagedTotals> {
  const row = await db
    .prepare(
      `SELECT (SELECT COUNT(*) FROM sync_staged_pages WHERE run_id = ?1) AS pages,
              (SELECT MIN(total_count) FROM sync_staged_pages WHERE run_id = ?1) AS minTotal,
              (SELECT MAX(total_count) FROM sync_staged_pages WHERE run_id = ?1) AS maxTotal,
              (SELECT COUNT(*) FROM sync_staging WHERE run_id = ?1) AS members`,
    )
    .bind(runId)
    .first<StagedTotals>();
  return row ?? { pages: 0, minTotal: null, maxTotal: null, members: 0 };
}

/**
 * Stored members the listing did not list (docs/sync.md#churn-during-a-staged-listing): active
 * rows of the integration neither staged nor confirmed gone by this run, in id order, at most
 * `limit`; and how many this run has confirmed gone already.
 */
export async function unlistedMembers(
  db: D1Database,
  q: { runId: string; integrationId: string; limit: number },
): Promise<{ ids: string[]; confirmedGone: number }> {
  const [unlisted, gone] = await db.batch<Record<string, unknown>>([
    db
      .prepare(
        `SELECT u.id FROM user_accounts AS u
          WHERE u.integration_id = ?1 AND u.removed_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM sync_staging AS s WHERE s.run_id = ?2 AND s.id = u.id)
            AND NOT EXISTS (SELECT 1 FROM sync_staged_gone AS g WHERE g.run_id = ?2 AND g.id = u.id)
          ORDER BY u.id LIMIT ?3`,
      )
      .bind(q.integrationId, q.runId, q.limit),
    db.prepare("SELECT COUNT(*) AS n FROM sync_staged_gone WHERE run_id = ?").bind(q.runId),
  ]);
  return {
    ids: unlisted!.results.map((r) => r.id as string),
    confirmedGone: (gone!.results[0]?.n as number) ?? 0,
  };
}

/**
 * Aborts the batch it starts when this attempt no longer holds the run's lease (NULL into the NOT
 * NULL status, as finishRunStatement does).
 */
export function leaseGuardStatement(db: D1Database, runId: string, leaseToken: string): D1PreparedStatement {
  return db
    .prepare("UPDATE sync_runs SET status = CASE WHEN lease_token = ?1 THEN status END WHERE id = ?2")
    .bind(leaseToken, runId);
}

/**
 * Records what Cloudflare answered about unlisted members, in one lease-guarded batch: those it
 * still has are staged as if listed (page 0), those it no longer has are confirmed gone.
 */
export function stageConfirmedStatements(
  db: D1Database,
  c: { runId: string; leaseToken: string; found: readonly Member[]; gone: readonly string[] },
): D1PreparedStatement[] {
  return [
    leaseGuardStatement(db, c.runId, c.leaseToken),
    db
      .prepare(
        `INSERT INTO sync_staging (run_id, id, page, value)
         SELECT ?1, j.value ->> 'id', 0, j.value FROM json_each(?2) AS j
          WHERE true ON CONFLICT (run_id, id) DO NOTHING`,
      )
      .bind(c.runId, JSON.stringify(c.found)),
    db
      .prepare(
        `INSERT INTO sync_staged_gone (run_id, id)
         SELECT ?1, j.value FROM json_each(?2) AS j WHERE true ON CONFLICT (run_id, id) DO NOTHING`,
      )
      .bind(c.runId, JSON.stringify(c.gone)),
  ];
}

/** Staged members after `afterId`, in id order, at most `limit`. */
export async function readStagedChunk(
  db: D1Database,
  runId: string,
  afterId: string,
  limit: number,
): Promise<Member[]> {
  const { results } = await db
    .prepare("SELECT value FROM sync_staging WHERE run_id = ? AND id > ? ORDER BY id LIMIT ?")
    .bind(runId, afterId, limit)
    .all<{ value: string }>();
  return results.map((r) => JSON.parse(r.value) as Member);
}

/** Appends rows to a staged run's writes under `tag`, numbered from `firstSeq`. */
export function stageWriteStatements(
  db: D1Database,
  runId: string,
  tag: string,
  firstSeq: number,
  rows: readonly unknown[],
): D1PreparedStatement[] {
  return chunks(rows, ROWS_PER_STATEMENT).map((chunk, index) =>
    db
      .prepare(
        `INSERT INTO sync_staged_writes (run_id, tag, seq, value)
         SELECT ?1, ?2, ?3 + j.key, j.value FROM json_each(?4) AS j`,
      )
      .bind(runId, tag, firstSeq + index * ROWS_PER_STATEMENT, JSON.stringify(chunk)),
  );
}

/** Rows deleted per statement when staging is discarded: bounded, so no statement runs long. */
export const DISCARD_BATCH = 5_000;

/** A run's staging tables, emptied in this order: its pages (the checkpoint) go last. */
const STAGING_TABLES = [
  { table: "sync_staging", key: "run_id, id" },
  { table: "sync_staged_gone", key: "run_id, id" },
  { table: "sync_staged_writes", key: "run_id, tag, seq" },
  { table: "sync_staged_pages", key: "run_id, page" },
] as const;

/**
 * Deletes a run's staged writes (a final attempt that died before its switch left them), each
 * statement guarded by this attempt's lease: an attempt taken over never deletes its successor's.
 */
export async function discardStagedWrites(
  db: D1Database,
  runId: string,
  leaseToken: string,
): Promise<number> {
  const guard = leaseGuardStatement(db, runId, leaseToken);
  const all = Number.POSITIVE_INFINITY;
  return (await deleteRunRows(db, "sync_staged_writes", "run_id, tag, seq", runId, all, guard)).deleted;
}

/**
 * Deletes one run's staging rows, at most `maxBatches` statements per table; returns the rows
 * deleted. Its pages go only once everything else is gone, so a discard cut short is found again
 * by {@link inactiveStagedRuns}.
 */
export async function discardRunStaging(db: D1Database, runId: string, maxBatches: number): Promise<number> {
  let deleted = 0;
  for (const { table, key } of STAGING_TABLES) {
    const result = await deleteRunRows(db, table, key, runId, maxBatches);
    deleted += result.deleted;
    if (!result.done) break;
  }
  return deleted;
}

/**
 * Runs with staged pages that are no longer queued or running: of one integration (from its
 * runs, on sync_runs_by_integration), or of every integration when `integrationId` is null
 * (finished, failed, abandoned or pruned runs: one key lookup per staged run, never a scan of the
 * pages). One integration never has two active runs.
 */
export async function inactiveStagedRuns(db: D1Database, integrationId: string | null): Promise<string[]> {
  if (integrationId !== null) {
    const { results } = await db
      .prepare(
        `SELECT r.id FROM sync_runs AS r
          WHERE r.integration_id = ? AND r.status NOT IN ('queued', 'running')
            AND EXISTS (SELECT 1 FROM sync_staged_pages AS p WHERE p.run_id = r.id)`,
      )
      .bind(integrationId)
      .all<{ id: string }>();
    return results.map((r) => r.id);
  }
  const inactive: string[] = [];
  for (let after = ""; ; ) {
    const next = await db
      .prepare(
        `SELECT p.run_id, (SELECT status FROM sync_runs WHERE id = p.run_id) AS status
           FROM sync_staged_pages AS p WHERE p.run_id > ? ORDER BY p.run_id LIMIT 1`,
      )
      .bind(after)
      .first<{ run_id: string; status: string | null }>();
    if (!next) return inactive;
    if (next.status !== "queued" && next.status !== "running") inactive.push(next.run_id);
    after = next.run_id;
  }
}

/**
 * Discards the staging of inactive runs (of one integration, or all when null), at most
 * `maxBatches` statements per table and run; returns the rows deleted.
 */
export async function discardInactiveStaging(
  db: D1Database,
  integrationId: string | null,
  maxBatches: number,
): Promise<number> {
  let deleted = 0;
  for (const runId of await inactiveStagedRuns(db, integrationId)) {
    deleted += await discardRunStaging(db, runId, maxBatches);
  }
  return deleted;
}

async function deleteRunRows(
  db: D1Database,
  table: string,
  key: string,
  runId: string,
  maxBatches: number,
  guard?: D1PreparedStatement,
) {
  let deleted = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const statement = db
      .prepare(
        `DELETE FROM ${table} WHERE (${key}) IN (SELECT ${key} FROM ${table} WHERE run_id = ?1 LIMIT ?2)`,
      )
      .bind(runId, DISCARD_BATCH);
    const results = await db.batch(guard ? [guard, statement] : [statement]);
    const n = results[results.length - 1]!.meta.changes ?? 0;
    deleted += n;
    if (n < DISCARD_BATCH) return { deleted, done: true };
  }
  return { deleted, done: false };
}
