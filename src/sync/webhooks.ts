/**
 * Delivering change webhooks (docs/webhooks.md#delivery): queue messages only wake an endpoint;
 * what to send is always read from D1 — the outbox rows after the endpoint's cursor — under the
 * endpoint's lease, one event at a time in outbox order. A failed event holds back the events
 * after it for that endpoint only (order), and waits in the queue, never in an invocation.
 */
import {
  type AttemptResult,
  attemptError,
  planAfterFailure,
  WEBHOOK_TEST_EVENT,
  type WebhookEventType,
} from "../domain/webhook";
import { log } from "../lib/log";
import { redactSecrets } from "../lib/redact";
import { signingKey } from "../lib/standard-webhooks";
import { nowIso } from "../lib/time";
import { webhookDisabledFindingStatement } from "../store/findings";
import {
  type Delivery,
  type DeliveryOutcome,
  type DeliveryRecord,
  type DeliveryState,
  deliveryStateStatement,
  getWebhookRow,
  insertDeliveryStatement,
  isWebhookLeaseLost,
  nextOutboxRows,
  type OutboxRow,
  outboxEvent,
  releaseWebhookLease,
  takeWebhookLease,
  type WebhookRow,
  webhooksWithPendingEvents,
} from "../store/webhooks";
import type { Keyring } from "../vault/keyring";
import { openWebhookSecret } from "../vault/webhook-secrets";
import { sendSigned } from "./webhook-send";

/** The message on the webhook queue: look at this endpoint's outbox now. */
export interface WebhookMessage {
  webhookId: string;
}

/** Name of the webhook queue (wrangler.jsonc): its own consumer, so receivers never hold up syncs. */
export const WEBHOOK_QUEUE = "connector-webhooks";

/** Events sent per message: within the free plan's 50 subrequests, with room for D1. */
export const MAX_DELIVERIES_PER_MESSAGE = 25;
/** Stop starting attempts after this long; a continuation message carries on. */
const TIME_BUDGET_MS = 60_000;
/** The lease outlives the budget plus one attempt's timeout. */
export const WEBHOOK_LEASE_MS = 3 * 60_000;
/** Queues: a message can be delayed at most 12 hours; a later retry is woken again then. */
const MAX_QUEUE_DELAY_SECONDS = 12 * 3600;
/** Queues: sendBatch takes at most 100 messages. */
const SEND_BATCH_MAX = 100;
/**
 * A message that finds the endpoint leased looks again this soon (or when the lease expires, if
 * sooner): the holder usually finishes within seconds, and 10 looks (the queue's max_retries)
 * outlast one invocation's budget. A message that still runs out is covered by the cron.
 */
const LEASED_RETRY_MAX_SECONDS = 10;

export interface WebhookDeps {
  db: D1Database;
  queue: Queue<WebhookMessage>;
  keyring: Keyring;
  timeoutMs: number;
}

export type WebhookOutcome = { kind: "done" } | { kind: "retry"; delaySeconds: number };
const DONE: WebhookOutcome = { kind: "done" };

/** Handles one wake-up message for one endpoint. */
export async function deliverWebhook(deps: WebhookDeps, message: WebhookMessage): Promise<WebhookOutcome> {
  const token = crypto.randomUUID();
  const now = Date.now();
  const row = await takeWebhookLease(deps.db, message.webhookId, token, now, WEBHOOK_LEASE_MS);
  if (!row) {
    const current = await getWebhookRow(deps.db, message.webhookId);
    if (current?.enabled !== 1) return DONE;
    // Another invocation is delivering; it may have read the outbox before our events committed.
    const leaseLeft = Math.ceil(((current.lease_until ?? now) - now) / 1000);
    return { kind: "retry", delaySeconds: Math.min(LEASED_RETRY_MAX_SECONDS, Math.max(1, leaseLeft)) };
  }
  try {
    return await new EndpointDelivery(deps, row, token).run();
  } finally {
    await releaseWebhookLease(deps.db, row.id, token).catch(() => undefined);
  }
}

/** What one step decided: go on with the next event, or stop (waiting, disabled, lease lost). */
type Step = "next" | "stop";

class EndpointDelivery {
  private state: DeliveryState;
  private readonly started = Date.now();

  constructor(
    private readonly deps: WebhookDeps,
    private readonly row: WebhookRow,
    private readonly leaseToken: string,
  ) {
    this.state = {
      cursorSeq: row.cursor_seq,
      attempts: row.attempts,
      headSince: row.head_since,
      nextAttemptAt: row.next_attempt_at,
      failingSince: row.failing_since,
      lastSuccessAt: null,
    };
  }

  async run(): Promise<WebhookOutcome> {
    const key = await this.signingKey();
    if (!key) return DONE;
    let sent = 0;
    while (sent < MAX_DELIVERIES_PER_MESSAGE && Date.now() - this.started < TIME_BUDGET_MS) {
      const waitUntil = this.state.nextAttemptAt;
      if (waitUntil !== null && waitUntil > Date.now()) {
        await wakeLater(this.deps.queue, this.row.id, waitUntil);
        return DONE;
      }
      const rows = await nextOutboxRows(
        this.deps.db,
        this.state.cursorSeq,
        this.row.event_types,
        MAX_DELIVERIES_PER_MESSAGE - sent,
      );
      if (rows.length === 0) return DONE;
      for (const outbox of rows) {
        sent++;
        if ((await this.deliver(key, outbox)) === "stop") return DONE;
      }
    }
    // Budget spent with events left: carry on in a fresh invocation.
    await wakeLater(this.deps.queue, this.row.id, Date.now());
    return DONE;
  }

  private async signingKey(): Promise<CryptoKey | null> {
    const secret = await openWebhookSecret(this.deps.keyring, this.row.id, this.row.secret_sealed);
    const key = secret.ok ? await signingKey(secret.value) : null;
    if (!key) {
      const why = secret.ok ? "not a whsec_ secret" : secret.error.message;
      log("error", "webhook_secret_unreadable", { webhookId: this.row.id, message: why });
    }
    return key;
  }

  /** One attempt at one outbox row, and the state and record it leaves. */
  private async deliver(key: CryptoKey, outbox: OutboxRow): Promise<Step> {
    const event = await outboxEvent(this.deps.db, outbox);
    if (!event) {
      // The feed row is gone with its integration (or pruned): nothing to send, move past it.
      return this.write({ ...this.state, cursorSeq: outbox.seq, attempts: 0, headSince: null }, null);
    }
    const body = JSON.stringify({ type: outbox.type, timestamp: event.timestamp, data: event.data });
    const started = Date.now();
    const result = await sendSigned(this.row.url, key, { id: outbox.event_id, body }, this.deps.timeoutMs);
    const record = (outcome: DeliveryOutcome, nextAttemptAt: number | null): DeliveryRecord => ({
      webhookId: this.row.id,
      eventId: outbox.event_id,
      eventType: outbox.type,
      attempt: this.state.attempts + 1,
      attemptedAt: nowIso(started),
      statusCode: result.kind === "ok" || result.kind === "http" ? result.status : null,
      durationMs: Date.now() - started,
      outcome,
      nextAttemptAt: nextAttemptAt === null ? null : nowIso(nextAttemptAt),
      error: errorText(result, this.deps.timeoutMs),
    });
    if (result.kind === "ok") {
      const next = {
        cursorSeq: outbox.seq,
        attempts: 0,
        headSince: null,
        nextAttemptAt: null,
        failingSince: null,
      };
      return this.write({ ...next, lastSuccessAt: nowIso() }, record("delivered", null));
    }
    return this.failed(outbox, result, started, record);
  }

  private async failed(
    outbox: OutboxRow,
    result: AttemptResult,
    started: number,
    record: (outcome: DeliveryOutcome, nextAttemptAt: number | null) => DeliveryRecord,
  ): Promise<Step> {
    const now = Date.now();
    const s = {
      now,
      attempts: this.state.attempts + 1,
      headSince: this.state.headSince ?? started,
      failingSince: this.state.failingSince ?? started,
    };
    const plan = planAfterFailure(result, s);
    const base = { ...this.state, failingSince: s.failingSince, lastSuccessAt: null };
    if (plan.kind === "retry") {
      const step = await this.write(
        { ...base, attempts: s.attempts, headSince: s.headSince, nextAttemptAt: plan.at },
        record("retrying", plan.at),
      );
      if (step === "next") await wakeLater(this.deps.queue, this.row.id, plan.at);
      return "stop";
    }
    const moved = { ...base, cursorSeq: outbox.seq, attempts: 0, headSince: null, nextAttemptAt: null };
    if (plan.kind === "give_up") {
      const failed = record("failed", null);
      if (plan.reason === "window") failed.error = `${failed.error}; given up after 24 hours of retries`;
      return this.write(moved, failed);
    }
    return this.disable(moved, record("failed", null));
  }

  /** Five days without a success: the endpoint is turned off, logged and reported as a finding. */
  private async disable(state: DeliveryState, record: DeliveryRecord): Promise<Step> {
    const at = nowIso();
    const failingSince = nowIso(state.failingSince ?? Date.now());
    const reason = `no successful delivery since ${failingSince}`;
    const finding = webhookDisabledFindingStatement(this.deps.db, {
      webhookId: this.row.id,
      where: new URL(this.row.url).origin,
      failingSince,
      now: at,
    });
    const step = await this.write({ ...state, disabled: { at, reason } }, record, [finding]);
    if (step === "next") {
      log("warn", "webhook_disabled", { webhookId: this.row.id, failingSince, lastError: record.error });
    }
    return "stop";
  }

  /** Writes the new state and the attempt's record in one batch, while the lease holds. */
  private async write(
    state: DeliveryState,
    record: DeliveryRecord | null,
    extra: D1PreparedStatement[] = [],
  ): Promise<Step> {
    const { db } = this.deps;
    const statements = [deliveryStateStatement(db, this.row.id, this.leaseToken, state)];
    if (record) statements.push(insertDeliveryStatement(db, record));
    try {
      await db.batch([...statements, ...extra]);
    } catch (e) {
      if (isWebhookLeaseLost(e)) return "stop";
      throw e;
    }
    this.state = state;
    return "next";
  }
}

const errorText = (result: AttemptResult, timeoutMs: number) => {
  const text = attemptError(result, timeoutMs);
  return text === null ? null : redactSecrets(text).slice(0, 500);
};

/** Sends the endpoint's wake-up message to arrive at `at`; the cron tick covers a failed send. */
async function wakeLater(queue: Queue<WebhookMessage>, webhookId: string, at: number): Promise<void> {
  const delaySeconds = Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.ceil((at - Date.now()) / 1000)));
  try {
    await queue.send({ webhookId }, { delaySeconds });
  } catch (e) {
    log("warn", "webhook_wake_failed", { webhookId, error: e instanceof Error ? e.message : String(e) });
  }
}

/**
 * Wakes every endpoint with events to send now: after a sync's batch committed (its events are in
 * the outbox) and on every cron tick (which finds what a lost message left behind).
 */
export async function wakeWebhooks(
  db: D1Database,
  queue: Queue<WebhookMessage>,
  now = Date.now(),
): Promise<number> {
  const ids = await webhooksWithPendingEvents(db, now, SEND_BATCH_MAX);
  if (ids.length > 0) await queue.sendBatch(ids.map((webhookId) => ({ body: { webhookId } })));
  return ids.length;
}

/** wakeWebhooks after a commit: a failure is logged, never the sync's; the next cron tick sends. */
export async function wakeWebhooksAfterCommit(db: D1Database, queue: Queue<WebhookMessage> | undefined) {
  if (!queue) return;
  try {
    await wakeWebhooks(db, queue);
  } catch (e) {
    log("warn", "webhook_wake_failed", { error: e instanceof Error ? e.message : String(e) });
  }
}

/** POST /v1/webhooks/{id}/test: one signed `webhook.test` attempt now, recorded, never retried. */
export async function sendTestEvent(deps: Omit<WebhookDeps, "queue">, row: WebhookRow): Promise<Delivery> {
  const secret = await openWebhookSecret(deps.keyring, row.id, row.secret_sealed);
  const key = secret.ok ? await signingKey(secret.value) : null;
  if (!key) throw new Error(`webhook ${row.id}: stored secret unreadable`);
  const id = `test_${crypto.randomUUID()}`;
  const type: WebhookEventType | typeof WEBHOOK_TEST_EVENT = WEBHOOK_TEST_EVENT;
  const timestamp = nowIso();
  const body = JSON.stringify({
    type,
    timestamp,
    data: { webhookId: row.id, message: "Test event from the Cloudflare connector." },
  });
  const started = Date.now();
  const result = await sendSigned(row.url, key, { id, body }, deps.timeoutMs);
  const record: DeliveryRecord = {
    webhookId: row.id,
    eventId: id,
    eventType: type,
    attempt: 1,
    attemptedAt: nowIso(started),
    statusCode: result.kind === "ok" || result.kind === "http" ? result.status : null,
    durationMs: Date.now() - started,
    outcome: result.kind === "ok" ? "delivered" : "failed",
    nextAttemptAt: null,
    error: errorText(result, deps.timeoutMs),
  };
  const inserted = await insertDeliveryStatement(deps.db, record).first<{ ordinal: number }>();
  const { webhookId: _endpoint, ...delivery } = record;
  return { id: String(inserted?.ordinal ?? ""), ...delivery };
}
