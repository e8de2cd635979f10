/**
 * SQL for the roster (docs/people.md#the-roster). An upload's people are staged under its own id
 * in bounded batches; one batch then retires the current roster and makes the upload current, so
 * a reader sees the old roster or the new one, never a part. Retired uploads, and staging left by
 * an upload that died, are deleted afterwards a bounded chunk at a time.
 */
import type { RosterPerson, RosterStatus } from "../domain/roster";
import { chunks } from "./batching";

/**
 * People per insert statement: one JSON value of ~100 bytes a person stays far under D1's 2 MB
 * per value; ten statements per batch keep each D1 call short whatever the roster's size.
 */
const PEOPLE_PER_STATEMENT = 5_000;
const STATEMENTS_PER_BATCH = 10;
/** Rows deleted per statement when purging an old upload. */
const PURGE_ROWS = 10_000;
/** Staging older than this belongs to an upload that died; it is purged. */
const ABANDONED_STAGING_MS = 60 * 60 * 1000;

export const CURRENT_ROSTER_ID = "SELECT id FROM roster_uploads WHERE state = 'current'";

export interface RosterSummary {
  id: string;
  activatedAt: string;
  people: number;
  leavers: number;
}

/** Stages every person of a new upload. Nothing is visible until activateRoster. */
export async function stageRoster(
  db: D1Database,
  upload: { id: string; createdAt: string },
  people: readonly RosterPerson[],
): Promise<void> {
  const leavers = people.filter((p) => p.status === "leaver").length;
  await db
    .prepare(
      `INSERT INTO roster_uploads (id, state, created_at, people, leavers) VALUES (?1, 'staging', ?2, ?3, ?4)`,
    )
    .bind(upload.id, upload.createdAt, people.length, leavers)
    .run();
  const inserts = chunks(people, PEOPLE_PER_STATEMENT).map((part) =>
    db
      .prepare(
        `INSERT INTO roster_people (upload_id, email, name, status)
         SELECT ?1, j.value ->> 'email', j.value ->> 'name', j.value ->> 'status' FROM json_each(?2) AS j`,
      )
      .bind(upload.id, JSON.stringify(part)),
  );
  for (const batch of chunks(inserts, STATEMENTS_PER_BATCH)) await db.batch(batch);
}

/**
 * Makes a staged upload the current roster, in one transaction, if all of its people are staged
 * (a purge running at the same time could not have taken any). False if it could not.
 */
export async function activateRoster(db: D1Database, uploadId: string, now: string): Promise<boolean> {
  const complete = `EXISTS (SELECT 1 FROM roster_uploads s WHERE s.id = ?1 AND s.state = 'staging'
                      AND s.people = (SELECT COUNT(*) FROM roster_people WHERE upload_id = ?1))`;
  const [, activated] = await db.batch([
    db
      .prepare(`UPDATE roster_uploads SET state = 'retired' WHERE state = 'current' AND ${complete}`)
      .bind(uploadId),
    db
      .prepare(`UPDATE roster_uploads SET state = 'current', activated_at = ?2 WHERE id = ?1 AND ${complete}`)
      .bind(uploadId, now),
  ]);
  return (activated?.meta.changes ?? 0) === 1;
}

/** Retires the current roster (DELETE /v1/roster). True if there was one. */
export async function retireRoster(db: D1Database): Promise<boolean> {
  const result = await db
    .prepare(`UPDATE roster_uploads SET state = 'retired' WHERE state = 'current'`)
    .run();
  return result.meta.changes > 0;
}

/**
 * Deletes the people of retired uploads and of staging abandoned before `now` less an hour, a
 * bounded chunk per statement, then the uploads themselves. Returns the people rows deleted.
 */
export async function purgeOldRosters(db: D1Database, now: number): Promise<number> {
  const abandoned = new Date(now - ABANDONED_STAGING_MS).toISOString();
  const { results } = await db
    .prepare(
      `SELECT id FROM roster_uploads WHERE state = 'retired' OR (state = 'staging' AND created_at < ?1)`,
    )
    .bind(abandoned)
    .all<{ id: string }>();
  let deleted = 0;
  for (const { id } of results) {
    for (;;) {
      const result = await db
        .prepare(
          `DELETE FROM roster_people WHERE upload_id = ?1
             AND email IN (SELECT email FROM roster_people WHERE upload_id = ?1 LIMIT ?2)`,
        )
        .bind(id, PURGE_ROWS)
        .run();
      deleted += result.meta.changes;
      if (result.meta.changes < PURGE_ROWS) break;
    }
    await db.prepare(`DELETE FROM roster_uploads WHERE id = ?1 AND state <> 'current'`).bind(id).run();
  }
  return deleted;
}

export async function currentRoster(db: D1Database): Promise<RosterSummary | null> {
  const row = await db
    .prepare(`SELECT id, activated_at, people, leavers FROM roster_uploads WHERE state = 'current'`)
    .first<{ id: string; activated_at: string; people: number; leavers: number }>();
  return row ? { id: row.id, activatedAt: row.activated_at, people: row.people, leavers: row.leavers } : null;
}

export interface RosterFilters {
  status: RosterStatus | null;
}

/** Keyset position: the last email served. */
export type RosterPosition = [email: string];

/** A page of the current roster in email order (empty when there is none). */
export async function listRoster(
  db: D1Database,
  filters: RosterFilters,
  after: RosterPosition | null,
  limit: number,
): Promise<{ people: RosterPerson[]; last: RosterPosition | null; more: boolean }> {
  const { results } = await db
    .prepare(
      `SELECT email, name, status FROM roster_people
        WHERE upload_id = (${CURRENT_ROSTER_ID}) AND email > ?1 ${filters.status ? "AND status = ?3" : ""}
        ORDER BY email LIMIT ?2`,
    )
    .bind(after?.[0] ?? "", limit + 1, ...(filters.status ? [filters.status] : []))
    .all<RosterPerson>();
  const page = results.slice(0, limit);
  const lastRow = page.at(-1);
  return { people: page, last: lastRow ? [lastRow.email] : null, more: results.length > limit };
}
