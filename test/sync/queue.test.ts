import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { api } from "../support/api";
import { expectLogged } from "../support/logs";
import { rawMember, setupAccount, sim } from "../support/simulator";
import { connectAndSync, runQueueMessage, storedAccounts, storedEvents, waitForRun } from "../support/sync";

/** A queued run written straight to D1, so only the handler under test (not the live queue) runs it. */
async function queuedRun(integrationId: string, queuedAt = new Date().toISOString()) {
  const runId = crypto.randomUUID();
  await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO sync_runs (id, integration_id, trigger, status, queued_at) VALUES (?, ?, 'manual', 'queued', ?)",
    ).bind(runId, integrationId, queuedAt),
    env.DB.prepare("UPDATE integrations SET last_sync_id = ? WHERE id = ?").bind(runId, integrationId),
  ]);
  return runId;
}

const deliver = (runId: string, integrationId: string, attempts = 1, queue = "connector-sync") =>
  runQueueMessage({}, { runId, integrationId }, { attempts, queue });

const runRow = (id: string) => env.DB.prepare("SELECT * FROM sync_runs WHERE id = ?").bind(id).first<any>();

/** Everything a sync's batch writes: the run, the integration, its user accounts and events. */
async function snapshot(integrationId: string, runId: string) {
  return {
    run: await runRow(runId),
    integration: await env.DB.prepare("SELECT * FROM integrations WHERE id = ?").bind(integrationId).first(),
    accounts: await storedAccounts(integrationId),
    events: await storedEvents(integrationId),
  };
}

/** Polls until `condition` holds (at most 10 s). */
async function until(condition: () => Promise<boolean>) {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met within 10 s");
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function tick(scheduledTime = Date.now()) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime, cron: "*/15 * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe("queue consumer", () => {
  it("hands a long Retry-After back to the queue with that delay, then finishes on redelivery", async () => {
    const account = await setupAccount({ generateMembers: 30 });
    const { integration } = await connectAndSync(account);
    await sim.fault(
      { accountId: account.accountId, path: "members", page: 1 },
      { kind: "rate_limit", retryAfter: 120 },
      1,
    );
    const runId = await queuedRun(integration.id);
    const first = await deliver(runId, integration.id, 1);
    expect(first.retryMessages.map((m) => m.msgId)).toEqual([`msg-${runId}-1`]);
    expect(first.delays).toEqual([120]);
    expect(await runRow(runId)).toMatchObject({ status: "queued", lease_token: null });
    const second = await deliver(runId, integration.id, 2);
    expect(second.retryMessages).toEqual([]);
    expect(second.explicitAcks).toEqual([`msg-${runId}-2`]);
    expect(await runRow(runId)).toMatchObject({ status: "succeeded", unchanged: 30 });
  });

  it("fails cloudflare_rate_limited once the attempts are used up", async () => {
    const account = await setupAccount({ generateMembers: 5 });
    const { integration } = await connectAndSync(account);
    await sim.fault(
      { accountId: account.accountId, path: "members" },
      { kind: "rate_limit", retryAfter: 300 },
    );
    const runId = await queuedRun(integration.id);
    const result = await deliver(runId, integration.id, 5);
    expect(result.retryMessages).toEqual([]);
    expect(await runRow(runId)).toMatchObject({ status: "failed", error_code: "cloudflare_rate_limited" });
  });

  it("lets exactly one of two simultaneous deliveries write, and ignores a late redelivery", async () => {
    const account = await setupAccount({ generateMembers: 80 });
    const { integration } = await connectAndSync(account);
    await sim.addMembers(account.accountId, [
      { id: "f".repeat(32), email: "new@example.com", status: "pending", user: { email: "new@example.com" } },
    ]);
    const runId = await queuedRun(integration.id);
    const [a, b] = await Promise.all([deliver(runId, integration.id, 1), deliver(runId, integration.id, 2)]);
    // One ran it; the other saw the live lease and asked to come back later.
    expect([a.retryMessages.length, b.retryMessages.length].sort()).toEqual([0, 1]);
    const late = await deliver(runId, integration.id, 3);
    expect(late.retryMessages).toEqual([]);
    const added = (await storedEvents(integration.id)).filter((e) => e.account_id === "f".repeat(32));
    expect(added).toHaveLength(1);
    expect(await runRow(runId)).toMatchObject({ status: "succeeded", added: 1, attempts: 1 });
  });

  it("takes over a crashed run once its lease has expired", async () => {
    const account = await setupAccount({ generateMembers: 10 });
    const { integration } = await connectAndSync(account);
    const runId = await queuedRun(integration.id);
    await env.DB.prepare(
      "UPDATE sync_runs SET status = 'running', lease_token = 'crashed', lease_until = ? WHERE id = ?",
    )
      .bind(Date.now() - 1000, runId)
      .run();
    await deliver(runId, integration.id, 2);
    expect(await runRow(runId)).toMatchObject({ status: "succeeded", unchanged: 10 });
  });

  it("marks a dead-lettered run abandoned so the integration can sync again", async () => {
    const account = await setupAccount({ generateMembers: 3 });
    const { integration } = await connectAndSync(account);
    const runId = await queuedRun(integration.id);
    await deliver(runId, integration.id, 11, "connector-sync-dlq");
    expect(await runRow(runId)).toMatchObject({ status: "failed", error_code: "abandoned" });
    expect((await api("GET", `/v1/integrations/${integration.id}`)).body.status).toBe("error");
    const again = await api("POST", `/v1/integrations/${integration.id}/sync`);
    expect(again.status).toBe(202);
    expect(await waitForRun(again.body.id)).toMatchObject({ status: "succeeded" });
  });
});

describe("races", () => {
  it("lets exactly one run write when a cron tick, a manual sync and a redelivery race", async () => {
    const account = await setupAccount({ generateMembers: 40 });
    const { integration } = await connectAndSync(account);
    await sim.addMembers(account.accountId, [
      {
        id: "e".repeat(32),
        email: "race@example.com",
        status: "pending",
        user: { email: "race@example.com" },
      },
    ]);
    const [, manualA, manualB] = await Promise.all([
      tick(),
      api("POST", `/v1/integrations/${integration.id}/sync`),
      api("POST", `/v1/integrations/${integration.id}/sync`),
    ]);
    const runs = (await api("GET", `/v1/integrations/${integration.id}/syncs`)).body.data;
    // One new run in all: whichever of the three got there first; the others were refused.
    expect(runs).toHaveLength(2);
    const winner = runs[0];
    expect([manualA.status, manualB.status].filter((s) => s === 202).length).toBeLessThanOrEqual(1);
    // The live queue delivers it; a duplicate delivery races it.
    await deliver(winner.id, integration.id, 2);
    expect(await waitForRun(winner.id)).toMatchObject({ status: "succeeded" });
    const added = (await storedEvents(integration.id)).filter((e) => e.account_id === "e".repeat(32));
    expect(added).toHaveLength(1);
  });

  it("makes a late attempt's batch change nothing once another attempt has taken its lease", async () => {
    const account = await setupAccount({ members: Array.from({ length: 120 }, (_, i) => rawMember(i + 1)) });
    const { integration } = await connectAndSync(account);
    // person1@ sorts first: it is on page 1, which attempt A reads before anything changes.
    const first = rawMember(1);
    // A's page 2 answers 429 with Retry-After 2 once: A waits 2 s in the middle of its listing.
    await sim.fault(
      { accountId: account.accountId, path: "members", page: 2 },
      { kind: "rate_limit", retryAfter: 2 },
      1,
    );
    const runId = await queuedRun(integration.id);
    const attemptA = deliver(runId, integration.id, 1);
    await until(async () =>
      (await sim.requests({ accountId: account.accountId })).some(
        (r) => r.status === 429 && /(^|&)page=2(&|$)/.test(r.query),
      ),
    );
    expect(await runRow(runId)).toMatchObject({ status: "running", attempts: 1 });

    // Cloudflare changes a member A has already read; A's lease runs out (as if A were stuck for
    // the whole lease) and attempt B takes the run over and finishes it.
    await sim.patchMember(account.accountId, first.id, { user: { first_name: "Renamed" } });
    await env.DB.prepare("UPDATE sync_runs SET lease_until = ? WHERE id = ?")
      .bind(Date.now() - 1, runId)
      .run();
    const attemptB = await deliver(runId, integration.id, 2);
    expect(attemptB.explicitAcks).toEqual([`msg-${runId}-2`]);
    const afterB = await snapshot(integration.id, runId);
    expect(afterB.run).toMatchObject({ status: "succeeded", updated: 1, attempts: 2, lease_token: null });
    expect(afterB.accounts.find((a) => a.id === first.id)).toMatchObject({ first_name: "Renamed" });

    // A wakes up, finishes listing with its stale page 1 and sends its batch: it changes nothing.
    const late = await attemptA;
    expect(late.explicitAcks).toEqual([`msg-${runId}-1`]);
    expect(await snapshot(integration.id, runId)).toEqual(afterB);
    expectLogged("info", "sync_run", { runId, status: "superseded" });
  });
});

describe("cron", () => {
  it("queues a sync for each enabled integration and none for a disabled one", async () => {
    const on = await connectAndSync(await setupAccount({ generateMembers: 4 }), "On");
    const off = await connectAndSync(await setupAccount({ generateMembers: 4 }), "Off");
    const patched = await api("PATCH", `/v1/integrations/${off.integration.id}`, {
      body: { enabled: false },
    });
    expect(patched.body.enabled).toBe(false);
    await tick();
    const runs = async (id: string) =>
      (await api("GET", `/v1/integrations/${id}/syncs`)).body.data.map((r: any) => r.trigger);
    expect(await runs(on.integration.id)).toEqual(["cron", "create"]);
    expect(await runs(off.integration.id)).toEqual(["create"]);
    const cronRun = (await api("GET", `/v1/integrations/${on.integration.id}/syncs`)).body.data[0];
    expect(await waitForRun(cronRun.id)).toMatchObject({ status: "succeeded", trigger: "cron" });
  });

  it("fails runs stuck in the queue as abandoned so the integration can sync again", async () => {
    const account = await setupAccount({ generateMembers: 2 });
    const { integration } = await connectAndSync(account);
    const stuck = await queuedRun(integration.id, new Date(Date.now() - 3 * 3600_000).toISOString());
    const blocked = await api("POST", `/v1/integrations/${integration.id}/sync`);
    expect(blocked.status).toBe(409);
    await env.DB.prepare("UPDATE integrations SET enabled = 0 WHERE id = ?").bind(integration.id).run();
    await tick();
    const row = await runRow(stuck);
    expect(row).toMatchObject({ status: "failed", error_code: "abandoned" });
    expect(row.error_message).toMatch(/did not finish/);
    const retry = await api("POST", `/v1/integrations/${integration.id}/sync`);
    expect(retry.status).toBe(202);
  });

  it("prunes history older than RETENTION_DAYS but keeps recent rows and the latest run", async () => {
    const account = await setupAccount({ generateMembers: 2 });
    const { integration, run } = await connectAndSync(account);
    const old = "2020-01-01T00:00:00.000Z";
    await env.DB.batch([
      env.DB.prepare(
        "INSERT INTO sync_runs (id, integration_id, trigger, status, queued_at, finished_at) VALUES ('old-run', ?, 'cron', 'succeeded', ?, ?)",
      ).bind(integration.id, old, old),
      env.DB.prepare(
        "INSERT INTO events (id, integration_id, type, account_id, email, sync_id, occurred_at) VALUES ('old-event', ?, 'account.added', 'a', 'a@example.com', 'old-run', ?)",
      ).bind(integration.id, old),
      env.DB.prepare(
        "INSERT INTO user_accounts (integration_id, id, email, status, first_seen_at, last_seen_at, removed_at) VALUES (?, 'gone', 'gone@example.com', 'accepted', ?, ?, ?)",
      ).bind(integration.id, old, old, old),
      env.DB.prepare("UPDATE integrations SET enabled = 0 WHERE id = ?").bind(integration.id),
    ]);
    await tick();
    expect(await runRow("old-run")).toBeNull();
    expect(await runRow(run.id)).not.toBeNull();
    const events = await storedEvents(integration.id);
    expect(events.map((e) => e.id)).not.toContain("old-event");
    expect(events).toHaveLength(2);
    const gone = await env.DB.prepare("SELECT 1 FROM user_accounts WHERE id = 'gone'").first();
    expect(gone).toBeNull();
  });
});
