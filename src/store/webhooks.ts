/**
 * SQL for change webhooks (docs/webhooks.md, tables in migrations/0007_webhooks.sql): endpoints,
 * the outbox the triggers fill, each endpoint's delivery state and lease, and the delivery record.
 */
import type { WebhookEventPattern, WebhookEventType } from "../domain/webhook";
import { type EventRow, eventFromRow } from "./events";
import { type FindingEventRow, findingEventFromRow, resolveWebhookFindingsStatement } from "./findings";
import { type SyncRunRow, syncRunFromRow } from "./sync-runs";

export interface WebhookRow {
  id: string;
  url: string;
  description: string | null;
  events: string;
  event_types: string;
  enabled: number;
  secret_sealed: string;
  secret_key_id: string;
  created_at: string;
  updated_at: string;
  disabled_at: string | null;
  disabled_reason: string | null;
  cursor_seq: number;
  attempts: number;
  head_since: number | null;
  next_attempt_at: number | null;
  failing_since: number | null;
  last_success_at: string | null;
  lease_token: string | null;
  lease_until: number | null;
}

/** An endpoint as the API serves it: never its secret. */
export interface Webhook {
  id: string;
  url: string;
  description: string | null;
  events: WebhookEventPattern[];
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
  disabledAt: string | null;
  disabledReason: string | null;
  lastSuccessAt: string | null;
  failingSince: string | null;
  nextAttemptAt: string | null;
}

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const webhookFromRow = (r: WebhookRow): Webhook => ({
  id: r.id,
  url: r.url,
  description: r.description,
  events: JSON.parse(r.events) as WebhookEventPattern[],
  enabled: r.enabled === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  disabledAt: r.disabled_at,
  disabledReason: r.disabled_reason,
  lastSuccessAt: r.last_success_at,
  failingSince: isoOrNull(r.failing_since),
  nextAttemptAt: isoOrNull(r.next_attempt_at),
});

/** The newest outbox position: a new or re-enabled endpoint starts after it. */
const OUTBOX_END = "(SELECT COALESCE(MAX(seq), 0) FROM webhook_outbox)";

export async function insertWebhook(
  db: D1Database,
  w: {
    id: string;
    url: string;
    description: string | null;
    events: readonly WebhookEventPattern[];
    types: readonly WebhookEventType[];
    sealed: string;
    keyId: string;
    now: string;
  },
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO webhook_endpoints (id, url, description, events, event_types, enabled, secret_sealed,
                                      secret_key_id, created_at, updated_at, cursor_seq)
       VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8, ?8, ${OUTBOX_END})`,
    )
    .bind(
      w.id,
      w.url,
      w.description,
      JSON.stringify(w.events),
      JSON.stringify(w.types),
      w.sealed,
      w.keyId,
      w.now,
    )
    .run();
}

export function getWebhookRow(db: D1Database, id: string): Promise<WebhookRow | null> {
  return db.prepare("SELECT * FROM webhook_endpoints WHERE id = ?").bind(id).first<WebhookRow>();
}

export async function listWebhooks(db: D1Database): Promise<Webhook[]> {
  const { results } = await db
    .prepare("SELECT * FROM webhook_endpoints ORDER BY created_at, id")
    .all<WebhookRow>();
  return results.map(webhookFromRow);
}

export interface WebhookPatch {
  url?: string | undefined;
  description?: string | null | undefined;
  events?: { patterns: readonly WebhookEventPattern[]; types: readonly WebhookEventType[] } | undefined;
  enabled?: boolean | undefined;
}

/**
 * Applies a PATCH. A new URL is tried at once (the backoff was about the old one). Turning a
 * disabled endpoint back on starts it afresh after the newest event, and resolves its
 * webhook_disabled findings: what happened meanwhile is in the feeds, not replayed.
 */
export async function updateWebhook(db: D1Database, id: string, patch: WebhookPatch, now: string) {
  const statements = [
    db
      .prepare(
        `UPDATE webhook_endpoints SET
           url = COALESCE(?2, url),
           description = CASE WHEN ?3 = 1 THEN ?4 ELSE description END,
           events = COALESCE(?5, events), event_types = COALESCE(?6, event_types),
           cursor_seq = CASE WHEN ?7 = 1 AND enabled = 0 THEN ${OUTBOX_END} ELSE cursor_seq END,
           attempts = CASE WHEN ?7 = 1 AND enabled = 0 THEN 0 ELSE attempts END,
           head_since = CASE WHEN ?7 = 1 AND enabled = 0 THEN NULL ELSE head_since END,
           next_attempt_at = CASE WHEN (?7 = 1 AND enabled = 0) OR ?2 IS NOT NULL THEN NULL ELSE next_attempt_at END,
           failing_since = CASE WHEN ?7 = 1 AND enabled = 0 THEN NULL ELSE failing_since END,
           disabled_at = CASE WHEN ?7 = 1 THEN NULL WHEN ?7 = 0 THEN COALESCE(disabled_at, ?8) ELSE disabled_at END,
           disabled_reason = CASE WHEN ?7 = 1 THEN NULL WHEN ?7 = 0 AND enabled = 1 THEN 'disabled by PATCH'
                                  ELSE disabled_reason END,
           enabled = COALESCE(?7, enabled),
           updated_at = ?8
         WHERE id = ?1`,
      )
      .bind(
        id,
        patch.url ?? null,
        patch.description === undefined ? 0 : 1,
        patch.description ?? null,
        patch.events ? JSON.stringify(patch.events.patterns) : null,
        patch.events ? JSON.stringify(patch.events.types) : null,
        patch.enabled === undefined ? null : Number(patch.enabled),
        now,
      ),
  ];
  if (patch.enabled === true) statements.push(resolveWebhookFindingsStatement(db, id, now));
  await db.batch(statements);
}

/** Deletes an endpoint and its delivery record; its webhook_disabled findings resolve. */
export async function deleteWebhook(db: D1Database, id: string, now: string): Promise<void> {
  await db.batch([
    db.prepare("DELETE FROM webhook_endpoints WHERE id = ?").bind(id),
    resolveWebhookFindingsStatement(db, id, now),
  ]);
}

/**
 * Takes the endpoint's delivery lease: one conditional UPDATE, so two deliveries of the same
 * queue message never both send. Returns the row as leased, or null (disabled, gone, or held).
 */
export async function takeWebhookLease(
  db: D1Database,
  id: string,
  token: string,
  now: number,
  leaseMs: number,
): Promise<WebhookRow | null> {
  return db
    .prepare(
      `UPDATE webhook_endpoints SET lease_token = ?2, lease_until = ?3
        WHERE id = ?1 AND enabled = 1 AND (lease_until IS NULL OR lease_until < ?4)
        RETURNING *`,
    )
    .bind(id, token, now + leaseMs, now)
    .first<WebhookRow>();
}

export async function releaseWebhookLease(db: D1Database, id: string, token: string): Promise<void> {
  await db
    .prepare(
      "UPDATE webhook_endpoints SET lease_token = NULL, lease_until = NULL WHERE id = ? AND lease_token = ?",
    )
    .bind(id, token)
    .run();
}

export interface OutboxRow {
  seq: number;
  type: WebhookEventType;
  event_id: string;
  integration_id: string | null;
  ref_time: string | null;
  ref_ordinal: number | null;
  created_at: string;
}

/** The next outbox rows after `afterSeq` of the types an endpoint subscribes to, in delivery order. */
export async function nextOutboxRows(
  db: D1Database,
  afterSeq: number,
  eventTypes: string,
  limit: number,
): Promise<OutboxRow[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM webhook_outbox
        WHERE seq > ?1 AND type IN (SELECT value FROM json_each(?2))
        ORDER BY seq LIMIT ?3`,
    )
    .bind(afterSeq, eventTypes, limit)
    .all<OutboxRow>();
  return results;
}

/**
 * The event an outbox row points at, as its feed serves it, with the time it happened; null when
 * the feed row is gone (its integration was deleted, or retention pruned it).
 */
export async function outboxEvent(
  db: D1Database,
  row: OutboxRow,
): Promise<{ timestamp: string; data: unknown } | null> {
  if (row.type.startsWith("finding.")) {
    const found = await db
      .prepare("SELECT * FROM finding_events WHERE ordinal = ?")
      .bind(row.ref_ordinal)
      .first<FindingEventRow>();
    return found && { timestamp: found.occurred_at, data: findingEventFromRow(found) };
  }
  if (row.type === "sync.failed") {
    const run = await db
      .prepare("SELECT * FROM sync_runs WHERE id = ?")
      .bind(row.event_id)
      .first<SyncRunRow>();
    return run && { timestamp: run.finished_at ?? row.created_at, data: syncRunFromRow(run) };
  }
  const event = await db
    .prepare("SELECT * FROM events WHERE integration_id = ? AND occurred_at = ? AND ordinal = ?")
    .bind(row.integration_id, row.ref_time, row.ref_ordinal)
    .first<EventRow>();
  return event && { timestamp: event.occurred_at, data: eventFromRow(event) };
}

/** The endpoint's delivery state after an attempt (or a skipped row). */
export interface DeliveryState {
  cursorSeq: number;
  attempts: number;
  headSince: number | null;
  nextAttemptAt: number | null;
  failingSince: number | null;
  lastSuccessAt: string | null;
  /** Set when this attempt disables the endpoint. */
  disabled?: { at: string; reason: string };
}

/**
 * Writes the endpoint's new state, only while `leaseToken` still holds its lease: otherwise it
 * writes NULL into the NOT NULL cursor_seq, which aborts the batch it is the first of.
 */
export function deliveryStateStatement(
  db: D1Database,
  id: string,
  leaseToken: string,
  s: DeliveryState,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE webhook_endpoints
          SET cursor_seq = CASE WHEN lease_token = ?2 THEN ?3 END,
              attempts = ?4, head_since = ?5, next_attempt_at = ?6, failing_since = ?7,
              last_success_at = COALESCE(?8, last_success_at),
              enabled = CASE WHEN ?9 IS NULL THEN enabled ELSE 0 END,
              disabled_at = COALESCE(?9, disabled_at), disabled_reason = COALESCE(?10, disabled_reason)
        WHERE id = ?1`,
    )
    .bind(
      id,
      leaseToken,
      s.cursorSeq,
      s.attempts,
      s.headSince,
      s.nextAttemptAt,
      s.failingSince,
      s.lastSuccessAt,
      s.disabled?.at ?? null,
      s.disabled?.reason ?? null,
    );
}

/** True when a batch failed because the lease was lost (deliveryStateStatement). */
export function isWebhookLeaseLost(e: unknown): boolean {
  return e instanceof Error && /NOT NULL constraint failed: webhook_endpoints\.cursor_seq/.test(e.message);
}

export type DeliveryOutcome = "delivered" | "retrying" | "failed";

export interface DeliveryRecord {
  webhookId: string;
  eventId: string;
  eventType: string;
  attempt: number;
  attemptedAt: string;
  statusCode: number | null;
  durationMs: number;
  outcome: DeliveryOutcome;
  nextAttemptAt: string | null;
  error: string | null;
}

/** Records one attempt; the same attempt recorded again (a redelivered message) changes nothing. */
export function insertDeliveryStatement(db: D1Database, d: DeliveryRecord): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, attempt, attempted_at, status_code,
                                       duration_ms, outcome, next_attempt_at, error)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
       ON CONFLICT (webhook_id, event_id, attempt) DO NOTHING
       RETURNING ordinal`,
    )
    .bind(
      d.webhookId,
      d.eventId,
      d.eventType,
      d.attempt,
      d.attemptedAt,
      d.statusCode,
      d.durationMs,
      d.outcome,
      d.nextAttemptAt,
      d.error,
    );
}

/** A delivery as the API serves it. */
export type Delivery = Omit<DeliveryRecord, "webhookId"> & { id: string };

interface DeliveryRow {
  ordinal: number;
  event_id: string;
  event_type: string;
  attempt: number;
  attempted_at: string;
  status_code: number | null;
  duration_ms: number;
  outcome: DeliveryOutcome;
  next_attempt_at: string | null;
  error: string | null;
}

const deliveryFromRow = (r: DeliveryRow): Delivery => ({
  id: String(r.ordinal),
  eventId: r.event_id,
  eventType: r.event_type,
  attempt: r.attempt,
  attemptedAt: r.attempted_at,
  statusCode: r.status_code,
  durationMs: r.duration_ms,
  outcome: r.outcome,
  nextAttemptAt: r.next_attempt_at,
  error: r.error,
});

/** Keyset position: the ordinal of the last delivery served. */
export type DeliveryPosition = [ordinal: number];

/** An endpoint's deliveries, newest first. */
export async function listDeliveries(
  db: D1Database,
  webhookId: string,
  after: DeliveryPosition | null,
  limit: number,
): Promise<{ items: Delivery[]; last: DeliveryPosition | null; more: boolean }> {
  const { results } = await db
    .prepare(
      `SELECT * FROM webhook_deliveries WHERE webhook_id = ?1 AND ordinal < ?2 ORDER BY ordinal DESC LIMIT ?3`,
    )
    .bind(webhookId, after?.[0] ?? Number.MAX_SAFE_INTEGER, limit + 1)
    .all<DeliveryRow>();
  const page = results.slice(0, limit);
  const lastRow = page.at(-1);
  return {
    items: page.map(deliveryFromRow),
    last: lastRow ? [lastRow.ordinal] : null,
    more: results.length > limit,
  };
}

/**
 * Endpoints with something to send now: enabled, not waiting for a retry, and with an outbox row
 * of a type they subscribe to after their cursor. One being delivered right now is included: its
 * invocation may have read the outbox before these rows committed, so the message it gets waits
 * for the lease and looks again.
 */
export async function webhooksWithPendingEvents(
  db: D1Database,
  now: number,
  limit: number,
): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT w.id FROM webhook_endpoints w
        WHERE w.enabled = 1 AND (w.next_attempt_at IS NULL OR w.next_attempt_at <= ?1)
          AND EXISTS (SELECT 1 FROM webhook_outbox o
                       WHERE o.seq > w.cursor_seq AND o.type IN (SELECT value FROM json_each(w.event_types)))
        ORDER BY w.id LIMIT ?2`,
    )
    .bind(now, limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/** Endpoints whose secret is sealed under another key than `keyId` (rotation). */
export async function listWebhookSecretsNotUnderKey(
  db: D1Database,
  keyId: string,
  limit: number,
): Promise<{ id: string; secret_sealed: string }[]> {
  const { results } = await db
    .prepare("SELECT id, secret_sealed FROM webhook_endpoints WHERE secret_key_id <> ? ORDER BY id LIMIT ?")
    .bind(keyId, limit)
    .all<{ id: string; secret_sealed: string }>();
  return results;
}

export async function countWebhooksUnderKey(db: D1Database, keyId: string): Promise<number> {
  const row = await db
    .prepare("SELECT COUNT(*) AS n FROM webhook_endpoints WHERE secret_key_id = ?")
    .bind(keyId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** Stores a re-sealed secret, unless the secret changed since it was read (compare-and-set). */
export async function replaceWebhookSecret(
  db: D1Database,
  id: string,
  previous: string,
  next: { sealed: string; keyId: string },
): Promise<boolean> {
  const result = await db
    .prepare(
      "UPDATE webhook_endpoints SET secret_sealed = ?, secret_key_id = ? WHERE id = ? AND secret_sealed = ?",
    )
    .bind(next.sealed, next.keyId, id, previous)
    .run();
  return result.meta.changes > 0;
}
