/**
 * SQL for a staged sync's own tables (docs/sync.md#staged-sync, docs/storage.md): the members listed
 * page by page (sync_staging), the pages done (sync_staged_pages, the checkpoint), the chunked
 * diff's results (sync_staged_writes), and discarding all three once a run is over.
 */
import type { StoredAccount } from "../domain/diff";
import type { Member } from "../domain/member";
import { chunks, ROWS_PER_STATEMENT } from "./batching";
import { memberFromRow, type StoredMemberRow } from "./user-accounts-row";

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

/** What a staged run has listed so far: its pages, the largest total_count they reported, and members once each. */
export async function stagedProgress(
  db: D1Database,
  runId: string,
): Promise<{ pages: Set<number>; maxTotal: number | null; members: number }> {
  const [pages, members] = await db.batch<Record<string, number | null>>([
    db.prepare("SELECT page, total_count FROM sync_staged_pages WHERE run_id = ?").bind(runId),
    db.prepare("SELECT COUNT(*) AS n FROM sync_staging WHERE run_id = ?").bind(runId),
  ]);
  const totals = pages!.results.map((r) => r.total_count).filter((n): n is number => typeof n === "number");
  return {
    pages: new Set(pages!.results.map((r) => r.page as number)),
    maxTotal: totals.length > 0 ? Math.max(...totals) : null,
    members: (members!.results[0]?.n as number) ?? 0,
  };
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

/**
 * The stored rows (removed ones included) with afterId < id ≤ uptoId (no upper bound when null),
 * handed to `onPage` `pageRows` at a time.
 */
export async function forEachStoredInRange(
  db: D1Database,
  integrationId: string,
  range: { afterId: string; uptoId: string | null },
  onPage: (rows: StoredAccount[]) => void,
  pageRows: number,
): Promise<void> {
  let after = range.afterId;
  for (;;) {
    const { results } = await db
      .prepare(
        `SELECT id, user_id, email, first_name, last_name, status, roles, policies, two_factor_enabled,
                api_access_enabled, shape, removed_at
           FROM user_accounts WHERE integration_id = ?1 AND id > ?2 AND (?3 IS NULL OR id <= ?3) ORDER BY id LIMIT ?4`,
      )
      .bind(integrationId, after, range.uptoId, pageRows)
      .all<StoredMemberRow>();
    onPage(results.map(memberFromRow));
    if (results.length < pageRows) return;
    after = results[results.length - 1]!.id;
  }
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

const STAGING_TABLES = [
  { table: "sync_staging", key: "run_id, id" },
  { table: "sync_staged_pages", key: "run_id, page" },
  { table: "sync_staged_writes", key: "run_id, tag, seq" },
] as const;

/** Deletes a run's staged writes (a final attempt that died before its switch left them). */
export async function discardStagedWrites(db: D1Database, runId: string): Promise<number> {
  return deleteInBatches(
    db,
    `DELETE FROM sync_staged_writes WHERE (run_id, tag, seq) IN (
       SELECT run_id, tag, seq FROM sync_staged_writes WHERE run_id = ?1 LIMIT ?2)`,
    [runId],
    Number.POSITIVE_INFINITY,
  );
}

/**
 * Deletes the staging rows of every run that is no longer queued or running (finished, failed,
 * abandoned or pruned), at most `maxBatches` statements per table; returns the rows deleted.
 * One integration never has two active runs, so this never touches a live run's rows.
 */
export async function discardInactiveStaging(db: D1Database, maxBatches: number): Promise<number> {
  let deleted = 0;
  for (const { table, key } of STAGING_TABLES) {
    deleted += await deleteInBatches(
      db,
      `DELETE FROM ${table} WHERE (${key}) IN (
         SELECT ${key} FROM ${table}
          WHERE run_id NOT IN (SELECT id FROM sync_runs WHERE status IN ('queued', 'running')) LIMIT ?1)`,
      [],
      maxBatches,
    );
  }
  return deleted;
}

async function deleteInBatches(db: D1Database, sql: string, binds: unknown[], maxBatches: number) {
  let deleted = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const result = await db
      .prepare(sql)
      .bind(...binds, DISCARD_BATCH)
      .run();
    const n = result.meta.changes ?? 0;
    deleted += n;
    if (n < DISCARD_BATCH) break;
  }
  return deleted;
}
