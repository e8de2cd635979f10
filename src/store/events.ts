/**
 * SQL for change events (SPEC §3 "Change events"): the feed, oldest first, keyset-paged on the
 * table's primary key (integration, occurredAt, ordinal).
 */

export type EventType = "account.added" | "account.updated" | "account.removed" | "account.restored";

/** Keyset position in the feed: (occurredAt, ordinal) of the last event served. */
export type EventPosition = [string, number];

export interface ChangeEvent {
  id: string;
  type: EventType;
  accountId: string;
  email: string;
  changes: Record<string, { from: unknown; to: unknown }> | null;
  syncId: string;
  occurredAt: string;
}

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
      accountId: r.account_id,
      email: r.email,
      changes: r.changes ? JSON.parse(r.changes) : null,
      syncId: r.sync_id,
      occurredAt: r.occurred_at,
    })),
    last: page.length > 0 ? [page[page.length - 1]!.occurred_at, page[page.length - 1]!.ordinal] : null,
    more,
  };
}
