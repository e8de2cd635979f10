/**
 * SQL for the events table (docs/api.md#change-events): the feed, oldest first, keyset-paged on
 * the table's primary key (integration, occurredAt, ordinal), and the inserts of one sync.
 */
import type { ChangeEvent, EventType, NewEvent } from "../domain/event";
import { chunks, ROWS_PER_STATEMENT } from "./batching";
import { emailFromColumn, emailToColumn } from "./user-accounts-row";

/** Keyset position in the feed: (occurredAt, ordinal) of the last event served. */
export type EventPosition = [string, number];

/** An `events` row as D1 returns it. */
interface EventRow {
  ordinal: number;
  id: string;
  type: EventType;
  account_id: string;
  email: string;
  changes: string | null;
  sync_id: string;
  occurred_at: string;
}

export async function listEvents(
  db: D1Database,
  integrationId: string,
  since: string | null,
  after: EventPosition | null,
  limit: number,
): Promise<{ events: ChangeEvent[]; last: EventPosition | null; more: boolean }> {
  const { results } = await db
    .prepare(
      `SELECT * FROM events
        WHERE integration_id = ? AND occurred_at >= ? AND (occurred_at, ordinal) > (?, ?)
        ORDER BY occurred_at, ordinal LIMIT ?`,
    )
    .bind(integrationId, since ?? "", after?.[0] ?? "", after?.[1] ?? 0, limit + 1)
    .all<EventRow>();
  const more = results.length > limit;
  const page = results.slice(0, limit);
  return {
    events: page.map((r) => ({
      id: r.id,
      type: r.type,
      userAccountId: r.account_id,
      email: emailFromColumn(r.email),
      changes: r.changes ? JSON.parse(r.changes) : null,
      syncId: r.sync_id,
      occurredAt: r.occurred_at,
    })),
    last: page.length > 0 ? [page[page.length - 1]!.occurred_at, page[page.length - 1]!.ordinal] : null,
    more,
  };
}

/** Inserts one sync's events; they share occurred_at and `ordinal` (position in the run) orders them. */
export function insertEventStatements(
  db: D1Database,
  w: { integrationId: string; runId: string; occurredAt: string },
  events: readonly NewEvent[],
): D1PreparedStatement[] {
  const rows = events.map((e) => ({ ...e, email: emailToColumn(e.email) }));
  return chunks(rows, ROWS_PER_STATEMENT).map((chunk, index) =>
    db
      .prepare(
        `INSERT INTO events (integration_id, occurred_at, ordinal, id, type, account_id, email, changes, sync_id)
         SELECT ?1, ?3, ?4 + j.key, j.value ->> 'id', j.value ->> 'type', j.value ->> 'userAccountId',
                j.value ->> 'email', j.value -> 'changes', ?2
           FROM json_each(?5) AS j`,
      )
      .bind(w.integrationId, w.runId, w.occurredAt, index * ROWS_PER_STATEMENT, JSON.stringify(chunk)),
  );
}
