/**
 * SQL for the events table (docs/api.md#change-events): the feed, oldest first, keyset-paged on
 * the table's primary key (integration, occurredAt, ordinal); the inserts of one sync; and the
 * actors the audit log names, attached to the events they explain.
 */
import type { Actor, MembershipChange } from "../domain/audit";
import { EVENT_TYPES_OF } from "../domain/audit";
import type { ChangeEvent, EventType, NewEvent } from "../domain/event";
import { chunks, ROWS_PER_STATEMENT } from "./batching";
import { type RowSource, rowSourceSql } from "./row-source";
import { emailFromColumn, emailToColumn } from "./user-accounts-row";

/** Keyset position in the feed: (occurredAt, ordinal) of the last event served. */
export type EventPosition = [string, number];

/** An `events` row as D1 returns it. */
export interface EventRow {
  ordinal: number;
  id: string;
  type: EventType;
  /** Membership id, or token id for api_token.* events. */
  account_id: string;
  /** Member email ('' for none), or token name. */
  email: string;
  changes: string | null;
  sync_id: string;
  occurred_at: string;
  actor: string | null;
  audit_log_id: string | null;
}

/** An events row as the feed serves it (also the data of an account.* or api_token.* webhook). */
export function eventFromRow(r: EventRow): ChangeEvent {
  const token = r.type.startsWith("api_token.");
  return {
    id: r.id,
    type: r.type,
    userAccountId: token ? null : r.account_id,
    email: token ? null : emailFromColumn(r.email),
    apiTokenId: token ? r.account_id : null,
    tokenName: token ? r.email : null,
    changes: r.changes ? JSON.parse(r.changes) : null,
    actor: r.actor ? (JSON.parse(r.actor) as Actor) : null,
    auditLogId: r.audit_log_id,
    syncId: r.sync_id,
    occurredAt: r.occurred_at,
  };
}

/**
 * A page of the feed. `subjectId` narrows it to one membership's (or API token's) events: the
 * console's account timeline. That walk reads the integration's events in key order and skips
 * the others — no index on the subject, a trade-off for a page an admin opens one at a time.
 */
export async function listEvents(
  db: D1Database,
  integrationId: string,
  since: string | null,
  after: EventPosition | null,
  limit: number,
  subjectId: string | null = null,
): Promise<{ events: ChangeEvent[]; last: EventPosition | null; more: boolean }> {
  const { results } = await db
    .prepare(
      `SELECT * FROM events
        WHERE integration_id = ?1 AND occurred_at >= ?2 AND (occurred_at, ordinal) > (?3, ?4)
          AND (?6 IS NULL OR account_id = ?6)
        ORDER BY occurred_at, ordinal LIMIT ?5`,
    )
    .bind(integrationId, since ?? "", after?.[0] ?? "", after?.[1] ?? 0, limit + 1, subjectId)
    .all<EventRow>();
  const more = results.length > limit;
  const page = results.slice(0, limit);
  return {
    events: page.map(eventFromRow),
    last: page.length > 0 ? [page[page.length - 1]!.occurred_at, page[page.length - 1]!.ordinal] : null,
    more,
  };
}

/** Inserts one sync's events; they share occurred_at and `ordinal` (position in the run) orders them. */
export function insertEventStatements(
  db: D1Database,
  w: EventInsert,
  events: readonly NewEvent[],
  firstOrdinal = 0,
): D1PreparedStatement[] {
  return chunks(events.map(eventRow), ROWS_PER_STATEMENT).map((chunk, index) =>
    insertEventsFrom(db, w, { json: JSON.stringify(chunk) }, firstOrdinal + index * ROWS_PER_STATEMENT),
  );
}

export interface EventInsert {
  integrationId: string;
  runId: string;
  occurredAt: string;
}

/** An event as the JSON object insertEventsFrom reads. */
export const eventRow = (e: NewEvent) => ({ ...e, label: emailToColumn(e.label) });

/** Inserts the events `source` holds (eventRow's shape); ordinal = base + position in the source. */
export function insertEventsFrom(
  db: D1Database,
  w: EventInsert,
  source: RowSource,
  base: number,
): D1PreparedStatement {
  const src = rowSourceSql(source, 5);
  return db
    .prepare(
      `INSERT INTO events (integration_id, occurred_at, ordinal, id, type, account_id, email, changes, sync_id,
                           actor, audit_log_id)
       SELECT ?1, ?3, ?4 + ${src.position}, j.value ->> 'id', j.value ->> 'type', j.value ->> 'subjectId',
              j.value ->> 'label', j.value -> 'changes', ?2, j.value -> 'actor', j.value ->> 'auditLogId'
         FROM ${src.from} WHERE ${src.where}`,
    )
    .bind(w.integrationId, w.runId, w.occurredAt, base, ...src.binds);
}

/**
 * Names the actor of each membership change on the event it explains: the first event of a
 * matching type for that membership at or after the change, that has no actor yet. An entry
 * already attached (read again because audit reads overlap) is not attached twice. Events of the
 * same batch are visible, so an entry finds the event this sync has just written.
 */
export function attachActorStatements(
  db: D1Database,
  integrationId: string,
  changes: readonly MembershipChange[],
): D1PreparedStatement[] {
  return changes.map((c) => {
    const types = EVENT_TYPES_OF[c.kind];
    return db
      .prepare(
        `UPDATE events SET actor = ?1, audit_log_id = ?2
          WHERE (integration_id, occurred_at, ordinal) = (
                  SELECT integration_id, occurred_at, ordinal FROM events
                   WHERE integration_id = ?3 AND occurred_at >= ?4 AND account_id = ?5
                     AND type IN (SELECT value FROM json_each(?6)) AND actor IS NULL
                   ORDER BY occurred_at, ordinal LIMIT 1)
            AND NOT EXISTS (SELECT 1 FROM events WHERE integration_id = ?3 AND audit_log_id = ?2)`,
      )
      .bind(JSON.stringify(c.actor), c.auditLogId, integrationId, c.time, c.memberId, JSON.stringify(types));
  });
}
