// Webhook delivery (docs/webhooks.md#delivery), one queue message at a time: syncs run by hand with
// the webhook queue captured, so each test decides when an endpoint is woken and when its retry
// time has passed. Every delivery the receivers accept is checked with two Standard Webhooks
// verifiers (one written from the specification, the official package).
import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import worker from "../../src/index";
import { api, modifiedEnv } from "../support/api";
import { expectLogged } from "../support/logs";
import { rawMember, setupAccount, sim } from "../support/simulator";
import { capturingQueue, connectAndSync, runQueueMessage, startSync } from "../support/sync";
import {
  capturingWebhookQueue,
  createWebhook,
  deliveriesOf,
  expectVerified,
  letRetryTimePass,
  receiver,
  receiverUrl,
  runWebhookBatch,
  runWebhookMessage,
  webhookRow,
} from "../support/webhooks";

// A live sync (connectAndSync) wakes every endpoint with pending events; endpoints of finished
// tests must not be delivered behind the next test's back.
afterEach(async () => {
  await env.DB.prepare("UPDATE webhook_endpoints SET enabled = 0").run();
});

let memberNumber = 1_000;

/** An account synced once, then an endpoint subscribed to it; the webhook queue is captured. */
async function subscribed(name: string, events: string[] = ["account.*"]) {
  const account = await setupAccount({ generateMembers: 2 });
  const { integration } = await connectAndSync(account);
  const hook = await createWebhook({ url: receiverUrl(name), events });
  const wakes = capturingWebhookQueue();
  const runIds: string[] = [];

  /** Adds `count` members in "Cloudflare" and syncs: `count` account.added events. */
  async function change(count = 1) {
    const members = Array.from({ length: count }, () => rawMember(memberNumber++));
    await sim.addMembers(account.accountId, members);
    const message = await startSync(integration.id);
    await runQueueMessage({ WEBHOOK_QUEUE: wakes.queue }, message);
    runIds.push(message.runId);
  }

  /** Delivers the wake-up messages sent so far (not those the deliveries send). */
  async function deliverWakes() {
    const pending = wakes.messages.splice(0);
    for (const m of pending) await runWebhookMessage({ WEBHOOK_QUEUE: wakes.queue }, m.body);
    return pending;
  }

  /** The ids of the events these syncs wrote, in feed order. */
  async function feedIds() {
    const feed = await api("GET", `/v1/integrations/${integration.id}/events?limit=500`);
    return feed.body.data.filter((e: any) => runIds.includes(e.syncId)).map((e: any) => e.id as string);
  }

  return { account, integration, hook, wakes, change, deliverWakes, feedIds };
}

describe("delivery", () => {
  it("sends each event after its sync committed, signed, in feed order, with the feed's body", async () => {
    const s = await subscribed("in-order");
    await s.change(3);
    expect(s.wakes.messages.map((m) => m.body)).toEqual([{ webhookId: s.hook.id }]);
    await s.deliverWakes();
    const accepted = await receiver.accepted("in-order");
    const ids = await s.feedIds();
    expect(ids).toHaveLength(3);
    expect(accepted.map((r) => r.headers["webhook-id"])).toEqual(ids);
    const feed = await api("GET", `/v1/integrations/${s.integration.id}/events?limit=500`);
    for (const delivery of accepted) {
      const body = await expectVerified(s.hook.secret, delivery);
      const event = feed.body.data.find((e: any) => e.id === delivery.headers["webhook-id"]);
      expect(body).toEqual({ type: "account.added", timestamp: event.occurredAt, data: event });
    }
    const deliveries = await deliveriesOf(s.hook.id);
    expect(deliveries.map((d) => [d.eventId, d.attempt, d.outcome, d.statusCode])).toEqual(
      [...ids].reverse().map((id) => [id, 1, "delivered", 204]),
    );
    expect(await webhookRow(s.hook.id)).toMatchObject({
      attempts: 0,
      failing_since: null,
      next_attempt_at: null,
    });
  });

  it("loses no event and keeps the order while the receiver is down for a while", async () => {
    // Plant seen failing: the cursor moved past an event on a retryable failure (the first event lost).
    const s = await subscribed("down-then-back");
    await receiver.script("down-then-back", [{ down: true }, { status: 503 }, { down: true }]);
    await s.change(2);
    await s.deliverWakes();
    let row = await webhookRow(s.hook.id);
    expect(row!.attempts).toBe(1);
    expect(row!.next_attempt_at).toBeGreaterThan(Date.now() + 20_000);
    // Its retry message waits in the queue, delayed until then.
    expect(s.wakes.messages.at(-1)!.delaySeconds).toBeGreaterThanOrEqual(20);
    // More changes while it is down: woken, but nothing is sent before the retry time.
    await s.change(1);
    await s.change(2);
    await s.deliverWakes();
    expect(await receiver.received("down-then-back")).toHaveLength(1);
    for (let i = 0; i < 3; i++) {
      await letRetryTimePass(s.hook.id);
      await runWebhookMessage({ WEBHOOK_QUEUE: s.wakes.queue }, { webhookId: s.hook.id });
    }
    const ids = await s.feedIds();
    expect(ids).toHaveLength(5);
    const accepted = await receiver.accepted("down-then-back");
    expect(accepted.map((r) => r.headers["webhook-id"])).toEqual(ids);
    for (const delivery of accepted) await expectVerified(s.hook.secret, delivery);
    const first = (await deliveriesOf(s.hook.id)).filter((d) => d.eventId === ids[0]).reverse();
    expect(first.map((d) => [d.attempt, d.outcome, d.statusCode])).toEqual([
      [1, "retrying", null],
      [2, "retrying", 503],
      [3, "retrying", null],
      [4, "delivered", 204],
    ]);
    expect(first[0]!.error).toMatch(/^could not connect: /);
    row = await webhookRow(s.hook.id);
    expect(row).toMatchObject({ attempts: 0, failing_since: null, next_attempt_at: null });
  });

  it("retries a 500 after about 30 s with jitter, and says so in the delivery record", async () => {
    const s = await subscribed("answers-500");
    await receiver.script("answers-500", [{ status: 500 }]);
    await s.change();
    const before = Date.now();
    await s.deliverWakes();
    const [delivery] = await deliveriesOf(s.hook.id);
    expect(delivery).toMatchObject({ attempt: 1, outcome: "retrying", statusCode: 500, error: "HTTP 500" });
    const next = Date.parse(delivery!.nextAttemptAt);
    expect(next - before).toBeGreaterThanOrEqual(24_000);
    expect(next - Date.now()).toBeLessThanOrEqual(36_000);
    // Its wake-up message is delayed until then.
    const [wake] = s.wakes.messages;
    expect(wake!.delaySeconds).toBeGreaterThanOrEqual(23);
    expect(wake!.delaySeconds).toBeLessThanOrEqual(36);
  });

  it("gives up on an attempt that gets no answer within the timeout, and retries it", async () => {
    const s = await subscribed("too-slow");
    await receiver.script("too-slow", [{ delayMs: 2_500 }]);
    await s.change();
    const started = Date.now();
    await s.deliverWakes();
    expect(Date.now() - started).toBeLessThan(2_400);
    const [delivery] = await deliveriesOf(s.hook.id);
    expect(delivery).toMatchObject({ outcome: "retrying", statusCode: null, error: "no answer within 1 s" });
    expect(delivery!.durationMs).toBeGreaterThanOrEqual(900);
    await letRetryTimePass(s.hook.id);
    await runWebhookMessage({ WEBHOOK_QUEUE: s.wakes.queue }, { webhookId: s.hook.id });
    expect((await deliveriesOf(s.hook.id))[0]).toMatchObject({ attempt: 2, outcome: "delivered" });
  });

  it("waits as long as a 429's Retry-After asks when that is longer than the backoff", async () => {
    // Plant seen failing: Retry-After ignored (the retry came after the 30 s backoff).
    const s = await subscribed("rate-limited");
    await receiver.script("rate-limited", [{ status: 429, retryAfter: "600" }]);
    await s.change();
    const before = Date.now();
    await s.deliverWakes();
    const [delivery] = await deliveriesOf(s.hook.id);
    expect(delivery).toMatchObject({ outcome: "retrying", statusCode: 429 });
    expect(Date.parse(delivery!.nextAttemptAt) - before).toBeGreaterThanOrEqual(600_000);
    expect(s.wakes.messages.at(-1)!.delaySeconds).toBeGreaterThanOrEqual(599);
  });

  it("treats a 410 as final: no retry, and the next event goes out at once", async () => {
    // Plant seen failing: every 4xx retried like a 5xx (the second event waited behind the first).
    const s = await subscribed("gone");
    await receiver.script("gone", [{ status: 410 }]);
    await s.change(2);
    await s.deliverWakes();
    const ids = await s.feedIds();
    const deliveries = (await deliveriesOf(s.hook.id)).reverse();
    expect(deliveries.map((d) => [d.eventId, d.attempt, d.outcome, d.statusCode])).toEqual([
      [ids[0], 1, "failed", 410],
      [ids[1], 1, "delivered", 204],
    ]);
    expect(deliveries[0]!.nextAttemptAt).toBeNull();
    expect(s.wakes.messages).toHaveLength(0);
    expect((await webhookRow(s.hook.id))!.failing_since).toBeNull();
  });

  it("records no attempt twice when the same queue message is delivered twice at once, or again later", async () => {
    // Plant seen failing: the lease taken whatever another delivery held (each event sent and recorded twice).
    const s = await subscribed("redelivered");
    await receiver.script("redelivered", [], { status: 204, delayMs: 200 });
    await s.change(3);
    const [wake] = s.wakes.messages.splice(0);
    await Promise.all([
      runWebhookMessage({ WEBHOOK_QUEUE: s.wakes.queue }, wake!.body, 1),
      runWebhookMessage({ WEBHOOK_QUEUE: s.wakes.queue }, wake!.body, 2),
    ]);
    // The copy that found the lease held comes back later: by then there is nothing left to send.
    await runWebhookMessage({ WEBHOOK_QUEUE: s.wakes.queue }, wake!.body, 3);
    const ids = await s.feedIds();
    expect((await receiver.received("redelivered")).map((r) => r.headers["webhook-id"])).toEqual(ids);
    expect((await deliveriesOf(s.hook.id)).map((d) => d.eventId).reverse()).toEqual(ids);
  });

  it("delivers every endpoint of a batch side by side: a slow receiver holds up no other", async () => {
    // Plant seen failing: the batch's messages delivered one after another (the fast endpoint got
    // its first event only after the slow one had all of its).
    const s = await subscribed("batch-slow");
    await receiver.script("batch-slow", [], { status: 204, delayMs: 400 });
    const fast = await createWebhook({ url: receiverUrl("batch-fast"), events: ["account.*"] });
    await s.change(4);
    s.wakes.messages.length = 0;
    await runWebhookBatch({ WEBHOOK_QUEUE: s.wakes.queue }, [
      { webhookId: s.hook.id },
      { webhookId: fast.id },
    ]);
    const slowGot = await receiver.accepted("batch-slow");
    const fastGot = await receiver.accepted("batch-fast");
    expect(slowGot).toHaveLength(4);
    expect(fastGot).toHaveLength(4);
    // The fast endpoint had every event before the slow one had its second.
    expect(Date.parse(fastGot[3]!.receivedAt)).toBeLessThan(Date.parse(slowGot[1]!.receivedAt));
    for (const delivery of fastGot) await expectVerified(fast.secret, delivery);
  });

  it("finds events committed without a queue message on the next cron tick", async () => {
    // Plant seen failing: the cron tick without its webhook wake-up (the events waited forever).
    const s = await subscribed("crash-after-commit");
    const broken = {
      send: async () => {
        throw new Error("queue unavailable");
      },
      sendBatch: async () => {
        throw new Error("queue unavailable");
      },
    };
    await sim.addMembers(s.account.accountId, [rawMember(memberNumber++)]);
    const message = await startSync(s.integration.id);
    await runQueueMessage({ WEBHOOK_QUEUE: broken }, message);
    expect((await api("GET", `/v1/syncs/${message.runId}`)).body.status).toBe("succeeded");
    expectLogged("warn", "webhook_wake_failed");
    expect(await receiver.received("crash-after-commit")).toHaveLength(0);

    const syncs = capturingQueue();
    const ctx = createExecutionContext();
    const controller = createScheduledController({ scheduledTime: Date.now(), cron: "*/15 * * * *" });
    await worker.scheduled(
      controller,
      modifiedEnv({ SYNC_QUEUE: syncs.queue, WEBHOOK_QUEUE: s.wakes.queue }),
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(s.wakes.messages.map((m) => m.body)).toContainEqual({ webhookId: s.hook.id });
    await s.deliverWakes();
    const [delivery] = await receiver.accepted("crash-after-commit");
    const body = await expectVerified(s.hook.secret, delivery!);
    expect(body.data.email).toBe(`person${memberNumber - 1}@example.com`);
  });

  it("gives an event up after 24 hours of retries and moves on to the next", async () => {
    // Plant seen failing: no retry window (the first event kept blocking the second).
    const s = await subscribed("window");
    await receiver.script("window", [{ status: 503 }, { status: 503 }]);
    await s.change(2);
    await s.deliverWakes();
    await env.DB.prepare("UPDATE webhook_endpoints SET head_since = ?, next_attempt_at = 0 WHERE id = ?")
      .bind(Date.now() - 24 * 3_600_000 + 60_000, s.hook.id)
      .run();
    await runWebhookMessage({ WEBHOOK_QUEUE: s.wakes.queue }, { webhookId: s.hook.id });
    const ids = await s.feedIds();
    const deliveries = (await deliveriesOf(s.hook.id)).reverse();
    expect(deliveries.map((d) => [d.eventId, d.attempt, d.outcome])).toEqual([
      [ids[0], 1, "retrying"],
      [ids[0], 2, "failed"],
      [ids[1], 1, "delivered"],
    ]);
    expect(deliveries[1]!.error).toBe("HTTP 503; given up after 24 hours of retries");
  });

  it("disables an endpoint that has failed for 5 days, with a log line and a finding per integration", async () => {
    // Plant seen failing: the disable check removed (the endpoint kept retrying, no finding).
    const s = await subscribed("five-days", ["account.*", "finding.opened"]);
    await receiver.script("five-days", [], { status: 500 });
    await s.change();
    await s.deliverWakes();
    const fiveDaysAgo = Date.now() - 5 * 86_400_000 - 1_000;
    await env.DB.prepare("UPDATE webhook_endpoints SET failing_since = ?, next_attempt_at = 0 WHERE id = ?")
      .bind(fiveDaysAgo, s.hook.id)
      .run();
    await runWebhookMessage({ WEBHOOK_QUEUE: s.wakes.queue }, { webhookId: s.hook.id });
    expectLogged("warn", "webhook_disabled", { webhookId: s.hook.id });
    const read = await api("GET", `/v1/webhooks/${s.hook.id}`);
    expect(read.body).toMatchObject({
      enabled: false,
      disabledReason: `no successful delivery since ${new Date(fiveDaysAgo).toISOString()}`,
    });
    const findings = await api("GET", `/v1/integrations/${s.integration.id}/findings?type=webhook_disabled`);
    expect(findings.body.data).toEqual([
      expect.objectContaining({
        id: `webhook_disabled:${s.integration.id}:webhook:${s.hook.id}`,
        severity: "high",
        status: "open",
        subject: { kind: "webhook", id: s.hook.id },
        title: "Webhook endpoint disabled: https://receiver.test",
      }),
    ]);
    expect(findings.text).not.toContain("/__hooks/");
    // A disabled endpoint is not woken; turned back on, its finding resolves.
    s.wakes.messages.length = 0;
    await s.change();
    expect(s.wakes.messages).toHaveLength(0);
    await api("PATCH", `/v1/webhooks/${s.hook.id}`, { body: { enabled: true } });
    const after = await api("GET", `/v1/integrations/${s.integration.id}/findings?type=webhook_disabled`);
    expect(after.body.data[0]).toMatchObject({ status: "resolved" });
  });

  it("sends sync.failed with the failed run, and the finding it opens", async () => {
    const s = await subscribed("sync-failed", ["sync.failed", "finding.opened"]);
    await sim.patchToken(s.account.token, { revoked: true });
    const message = await startSync(s.integration.id);
    await runQueueMessage({ WEBHOOK_QUEUE: s.wakes.queue }, message);
    await s.deliverWakes();
    const bodies = [];
    for (const delivery of await receiver.accepted("sync-failed"))
      bodies.push(await expectVerified(s.hook.secret, delivery));
    expect(bodies.map((b) => b.type).sort()).toEqual(["finding.opened", "sync.failed"]);
    const failed = bodies.find((b) => b.type === "sync.failed")!;
    const run = await api("GET", `/v1/syncs/${message.runId}`);
    expect(failed).toEqual({ type: "sync.failed", timestamp: run.body.finishedAt, data: run.body });
    expect(run.body.error.code).toBe("cloudflare_token_invalid");
    const opened = bodies.find((b) => b.type === "finding.opened")!;
    expect(opened.data.finding).toMatchObject({ type: "sync_stale", integrationId: s.integration.id });
  });
});
