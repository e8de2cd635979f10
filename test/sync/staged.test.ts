/**
 * Staged syncs (docs/sync.md#staged-sync) on small accounts: tests stage above 2 pages and list
 * at most 2 pages per delivery, so a 6-page account takes several deliveries. Each delivery is
 * run by hand; the continuation messages are captured, so crashes and lost messages are ours.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { abandonRun } from "../../src/store/sync-runs";
import type { SyncMessage } from "../../src/sync/enqueue";
import { runScheduledTick } from "../../src/sync/schedule";
import { api, callWorker } from "../support/api";
import { rawMember, setupAccount, sim } from "../support/simulator";
import {
  capturingQueue,
  countMemberWrites,
  memberWrites,
  runOf,
  runQueueMessage,
  storedAccounts,
  storedEvents,
} from "../support/sync";

// Chunks of 7 members: every staged diff here crosses dozens of chunk boundaries.
const STAGED = {
  STAGED_SYNC_MIN_PAGES: "2",
  STAGED_SYNC_PAGES_PER_INVOCATION: "2",
  STAGED_SYNC_DIFF_CHUNK: "7",
};
const IN_MEMORY = { STAGED_SYNC_MIN_PAGES: "1000" };
const MEMBERS = 260; // 6 pages of 50

/** Runs one delivery of `message` with the continuation it sends captured. */
async function deliverStaged(message: SyncMessage, overrides: Record<string, string> = STAGED, attempts = 1) {
  const { queue, messages } = capturingQueue();
  const result = await runQueueMessage({ ...overrides, SYNC_QUEUE: queue }, message, { attempts });
  return {
    continuation: messages[0] ?? null,
    retried: result.retryMessages.length > 0,
    delays: result.delays,
  };
}

/** Delivers a run's messages until it ends; returns how many deliveries it took. */
async function deliverUntilDone(first: SyncMessage, overrides: Record<string, string> = STAGED) {
  let message: SyncMessage | null = first;
  let deliveries = 0;
  while (message) {
    deliveries++;
    const { continuation } = await deliverStaged(message, overrides);
    message = continuation;
    expect(deliveries).toBeLessThan(20);
  }
  return deliveries;
}

/** Connects with the first sync's message captured. */
async function connectCaptured(account: { name: string; token: string }) {
  const { queue, messages } = capturingQueue();
  const created = await callWorker({ SYNC_QUEUE: queue }, "POST", "/v1/integrations", {
    body: { label: "Big", organizationName: account.name, apiToken: account.token },
  });
  expect(created.status, created.text).toBe(201);
  return { integration: created.body, message: messages[0]! };
}

/** A staged account of MEMBERS members, connected and synced once: the start of a re-sync test. */
async function syncedAccount() {
  const account = await setupAccount({ generateMembers: MEMBERS });
  const { integration, message } = await connectCaptured(account);
  await deliverUntilDone(message);
  return { account, integration };
}

/** A manual sync with its message captured. */
async function startCaptured(integrationId: string) {
  const { queue, messages } = capturingQueue();
  const started = await callWorker({ SYNC_QUEUE: queue }, "POST", `/v1/integrations/${integrationId}/sync`);
  expect(started.status, started.text).toBe(202);
  return messages[0]!;
}

/** The sync's member page requests (the connect check asks for a smaller page). */
const memberRequests = async (accountId: string) =>
  (await sim.requests({ accountId })).filter(
    (r) => /\/members$/.test(r.path) && /(^|&)per_page=50(&|$)/.test(r.query),
  ).length;

const stagingRows = async (runId: string) =>
  (await env.DB.prepare(
    `SELECT (SELECT COUNT(*) FROM sync_staging WHERE run_id = ?1) + (SELECT COUNT(*) FROM sync_staged_pages WHERE run_id = ?1)
          + (SELECT COUNT(*) FROM sync_staged_writes WHERE run_id = ?1)
          + (SELECT COUNT(*) FROM sync_staged_gone WHERE run_id = ?1) AS n`,
  )
    .bind(runId)
    .first<{ n: number }>())!.n;

/** The simulator's members in the order a sync lists them (order=user.email). */
const membersByEmail = async (accountId: string) =>
  (await sim.members(accountId)).sort((a, b) => ((a.user as any).email < (b.user as any).email ? -1 : 1));

// Counts every row written to user_accounts, independently of the code under test.
beforeAll(countMemberWrites);

/** A stored row without what differs between two integrations or two sync times. */
const comparable = (rows: Record<string, any>[]) =>
  rows.map(
    ({ integration_id, first_seen_at, last_seen_at, removed_at, search_rowid, invited_at, ...rest }) => ({
      ...rest,
      removed: removed_at !== null,
      invited: invited_at !== null,
    }),
  );

/** Events as content: type, subject, label and changes, in a stable order. */
const eventContent = (events: Record<string, any>[]) =>
  events
    .map((e) => ({
      type: e.type,
      account: e.account_id,
      email: e.email,
      changes: e.changes,
      actor: e.actor && JSON.parse(e.actor).email,
    }))
    .sort((a, b) => `${a.account}${a.type}`.localeCompare(`${b.account}${b.type}`));

/** The same 1–2% change applied to an account: renamed, re-roled, removed and new members. */
async function changeSome(accountId: string) {
  const members = await sim.members(accountId);
  await sim.patchMember(accountId, members[3]!.id, { user: { ...members[3]!.user, first_name: "Renamed" } });
  await sim.patchMember(accountId, members[77]!.id, {
    roles: [{ id: "r-ro", name: "Administrator Read Only", description: "", permissions: {} }],
  });
  await sim.deleteMember(accountId, members[150]!.id);
  await sim.deleteMember(accountId, members[240]!.id);
  await sim.addMembers(accountId, [rawMember(91_001), rawMember(91_002)]);
}

describe("staged sync", () => {
  it("lists across deliveries and a crashed attempt, asking for each page once, and ends with the exact list", async () => {
    const account = await setupAccount({ generateMembers: MEMBERS });
    const { integration, message } = await connectCaptured(account);
    const first = await deliverStaged(message);
    // The continuation is a new message (acknowledged, not retried): it never counts as a rate-limited attempt.
    expect(first.continuation).toEqual(message);
    expect(first.retried).toBe(false);
    expect((await runOf(message.runId)).progress).toEqual({ pagesListed: 3, pagesExpected: 6 });
    const shown = await api("GET", `/v1/integrations/${integration.id}`);
    expect(shown.body.lastSync).toMatchObject({
      status: "queued",
      progress: { pagesListed: 3, pagesExpected: 6 },
    });
    expect(await storedAccounts(integration.id)).toHaveLength(0);

    // An attempt that dies holding the lease: the next delivery waits for the lease, then continues.
    await env.DB.prepare(
      "UPDATE sync_runs SET status = 'running', lease_token = 'dead', lease_until = ? WHERE id = ?",
    )
      .bind(Date.now() + 60_000, message.runId)
      .run();
    const blocked = await deliverStaged(first.continuation!);
    expect(blocked.retried).toBe(true);
    await env.DB.prepare("UPDATE sync_runs SET lease_until = 1 WHERE id = ?").bind(message.runId).run();

    // Pages 4–5, then page 6: that attempt used its allowance, so the diff and switch get a delivery of their own.
    const deliveries = await deliverUntilDone(first.continuation!);
    expect(deliveries).toBe(3);
    const run = await runOf(message.runId);
    expect(run).toMatchObject({
      status: "succeeded",
      counts: { seen: MEMBERS, added: MEMBERS, updated: 0, removed: 0, unchanged: 0 },
      progress: { pagesListed: 6, pagesExpected: 6 },
    });
    expect(await memberRequests(account.accountId)).toBe(Math.ceil(MEMBERS / 50));
    // Every delivery's requests count for the members source, not only the last one's.
    expect(run.sources.members.requests).toBeGreaterThanOrEqual(Math.ceil(MEMBERS / 50));
    const stored = await storedAccounts(integration.id);
    const served = (await sim.members(account.accountId)).map((m) => m.id).sort();
    expect(stored.map((r) => r.id).sort()).toEqual(served);
    const events = await storedEvents(integration.id);
    expect(
      events
        .filter((e) => e.type === "account.added")
        .map((e) => e.account_id)
        .sort(),
    ).toEqual(served);
    expect(events.map((e) => e.ordinal)).toEqual(events.map((_, i) => i));
    expect((await api("GET", `/v1/integrations/${integration.id}`)).body.accountCount).toBe(MEMBERS);
    expect(await stagingRows(message.runId)).toBe(0);
  });

  it("discards a dead run's staging at the next run, serving the previous list meanwhile", async () => {
    const { account, integration } = await syncedAccount();
    const before = await storedAccounts(integration.id);
    await sim.deleteMember(account.accountId, before[0]!.id);
    await sim.addMembers(account.accountId, [rawMember(90_001)]);

    const dead = await startCaptured(integration.id);
    await deliverStaged(dead);
    expect(await stagingRows(dead.runId)).toBeGreaterThan(100);
    expect(await storedAccounts(integration.id)).toEqual(before);
    await abandonRun(env.DB, dead.runId, Date.now());

    const next = await startCaptured(integration.id);
    const { continuation } = await deliverStaged(next);
    expect(await stagingRows(dead.runId)).toBe(0);
    expect(await storedAccounts(integration.id)).toEqual(before);
    await deliverUntilDone(continuation!);
    expect(await runOf(next.runId)).toMatchObject({
      status: "succeeded",
      counts: { seen: MEMBERS, added: 1, removed: 1, unchanged: MEMBERS - 1 },
    });
    expect(await stagingRows(next.runId)).toBe(0);
  });

  it("completes a listing that lost a member to churn: the unlisted member is asked for by its id", async () => {
    const { account, integration } = await syncedAccount();
    const before = await storedAccounts(integration.id);
    const eventsBefore = await storedEvents(integration.id);
    const byEmail = await membersByEmail(account.accountId);

    // Pages 1–3 (members 1–150 by email) are staged; then member 10 leaves, so member 151 moves
    // to page 3, already read, and page 4 starts with member 152: no page lists member 151.
    const run = await startCaptured(integration.id);
    const { continuation } = await deliverStaged(run);
    await sim.deleteMember(account.accountId, byEmail[9]!.id as string);
    await deliverUntilDone(continuation!);

    expect(await runOf(run.runId)).toMatchObject({
      status: "succeeded",
      counts: { seen: MEMBERS, added: 0, updated: 0, removed: 0, unchanged: MEMBERS },
    });
    expect(await storedAccounts(integration.id)).toEqual(before);
    expect(await storedEvents(integration.id)).toEqual(eventsBefore);
    // One request for the one member no page listed; member 10 was listed before it left.
    const asked = (await sim.requests({ accountId: account.accountId })).filter((r) =>
      /\/members\/[^/]+$/.test(r.path),
    );
    expect(asked.map((r) => r.path.split("/").pop())).toEqual([byEmail[150]!.id]);
    expect(await stagingRows(run.runId)).toBe(0);

    // The next sync does not list member 10: asked for, Cloudflare answers 404, and it is removed.
    const next = await startCaptured(integration.id);
    await deliverUntilDone(next);
    expect(await runOf(next.runId)).toMatchObject({
      status: "succeeded",
      counts: { seen: MEMBERS - 1, removed: 1, unchanged: MEMBERS - 1 },
    });
    const removed = (await storedAccounts(integration.id)).filter((r) => r.removed_at !== null);
    expect(removed.map((r) => r.id)).toEqual([byEmail[9]!.id]);
    const events = (await storedEvents(integration.id)).filter((e) => e.sync_id === next.runId);
    expect(events.map((e) => [e.type, e.account_id])).toEqual([["account.removed", byEmail[9]!.id]]);
  });

  it("fails as inconsistent, changing nothing, when more members went unlisted than it asks about and the total moved", async () => {
    const { account, integration } = await syncedAccount();
    const before = await storedAccounts(integration.id);
    const eventsBefore = await storedEvents(integration.id);
    const byEmail = await membersByEmail(account.accountId);
    const NO_CONFIRMATIONS = { ...STAGED, STAGED_SYNC_CONFIRM_MAX: "0" };

    const run = await startCaptured(integration.id);
    const { continuation } = await deliverStaged(run, NO_CONFIRMATIONS);
    await sim.deleteMember(account.accountId, byEmail[9]!.id as string);
    await deliverUntilDone(continuation!, NO_CONFIRMATIONS);
    const ended = await runOf(run.runId);
    expect(ended).toMatchObject({ status: "failed", error: { code: "cloudflare_invalid_response" } });
    expect(ended.error.message).toMatch(
      /changed while it was being read .* more than 0 stored members were not listed/,
    );
    expect(await storedAccounts(integration.id)).toEqual(before);
    expect(await storedEvents(integration.id)).toEqual(eventsBefore);
    expect(await stagingRows(run.runId)).toBe(0);

    // Removed before the next run starts, the total holds still: the listing is trusted as is.
    await sim.deleteMember(account.accountId, byEmail[20]!.id as string);
    const next = await startCaptured(integration.id);
    await deliverUntilDone(next, NO_CONFIRMATIONS);
    expect(await runOf(next.runId)).toMatchObject({ status: "succeeded", counts: { removed: 2 } });
    const asked = (await sim.requests({ accountId: account.accountId })).filter((r) =>
      /\/members\/[^/]+$/.test(r.path),
    );
    expect(asked).toEqual([]);
  });

  it("removes nothing when asking for an unlisted member meets a path Cloudflare cannot route", async () => {
    const { account, integration } = await syncedAccount();
    const before = await storedAccounts(integration.id);
    await sim.deleteMember(account.accountId, before[7]!.id);
    // 404 with 7003 "Could not route": says nothing about the member, unlike 404 / 1003.
    await sim.fault({ accountId: account.accountId, path: "member" }, { kind: "no_route", status: 404 });

    const run = await startCaptured(integration.id);
    await deliverUntilDone(run);
    const ended = await runOf(run.runId);
    expect(ended.status).toBe("failed");
    expect(ended.error.message).toMatch(/Could not route/);
    expect(await storedAccounts(integration.id)).toEqual(before);
    expect(await stagingRows(run.runId)).toBe(0);
  });

  it("removes nothing on a 404 without Cloudflare's error envelope", async () => {
    const { account, integration } = await syncedAccount();
    const before = await storedAccounts(integration.id);
    await sim.deleteMember(account.accountId, before[7]!.id);
    // A proxy's or a wrong base URL's 404: a body that is no envelope.
    await sim.fault(
      { accountId: account.accountId, path: "member" },
      { kind: "replay", status: 404, body: "<html>Not Found</html>" },
    );

    const run = await startCaptured(integration.id);
    await deliverUntilDone(run);
    expect((await runOf(run.runId)).status).toBe("failed");
    expect(await storedAccounts(integration.id)).toEqual(before);
  });

  it("spreads its questions about unlisted members over deliveries, asking each member once", async () => {
    const { account, integration } = await syncedAccount();
    const byEmail = await membersByEmail(account.accountId);
    // Three leave before the run (404s); during it one more leaves from a page already read, so
    // member 152 (index 151) is not listed (a 200). At 2 requests per delivery, 4 questions take 2 deliveries.
    const gone = [byEmail[40]!, byEmail[200]!, byEmail[250]!].map((m) => m.id as string);
    for (const id of gone) await sim.deleteMember(account.accountId, id);
    const run = await startCaptured(integration.id);
    const { continuation } = await deliverStaged(run);
    await sim.deleteMember(account.accountId, byEmail[9]!.id as string);
    const deliveries = await deliverUntilDone(continuation!);
    expect(deliveries).toBeGreaterThanOrEqual(4);

    expect(await runOf(run.runId)).toMatchObject({ status: "succeeded", counts: { removed: 3 } });
    const asked = (await sim.requests({ accountId: account.accountId }))
      .filter((r) => /\/members\/[^/]+$/.test(r.path))
      .map((r) => r.path.split("/").pop())
      .sort();
    expect(asked).toEqual([...gone, byEmail[151]!.id].sort());
    const removed = (await storedAccounts(integration.id))
      .filter((r) => r.removed_at !== null)
      .map((r) => r.id);
    expect(removed.sort()).toEqual([...gone].sort());
  });

  it("keeps a staged run rate-limited without a Ratelimit header from being resent before its Retry-After", async () => {
    const account = await setupAccount({ generateMembers: MEMBERS });
    const { message } = await connectCaptured(account);
    const first = await deliverStaged(message);
    await sim.fault(
      { accountId: account.accountId, path: "members", page: 4 },
      {
        kind: "replay",
        status: 429,
        body: {
          success: false,
          errors: [{ code: 971, message: "Please wait and consider throttling your request speed" }],
          messages: [],
          result: null,
        },
        headers: { "Retry-After": "600" },
      },
      1,
    );
    const limited = await deliverStaged(first.continuation!);
    expect(limited.retried).toBe(true);
    expect(limited.delays).toContain(600);
    const config = await loadConfig(env as never);
    if (!config.ok) throw new Error(config.error);
    const { queue, messages } = capturingQueue();
    const tick = { db: env.DB, queue: queue as unknown as Queue, config: config.value };
    // Past the 2-minute grace but within the Retry-After: the queue's own retry is still due.
    await runScheduledTick(tick, Date.now() + 5 * 60_000);
    expect(messages.filter((m) => m.runId === message.runId)).toHaveLength(0);
    await runScheduledTick(tick, Date.now() + 13 * 60_000);
    expect(messages.filter((m) => m.runId === message.runId)).toHaveLength(1);
  });

  it("resumes a run whose continuation message was lost, from the cron tick", async () => {
    const account = await setupAccount({ generateMembers: MEMBERS });
    const { message } = await connectCaptured(account);
    const lost = await deliverStaged(message);
    expect(lost.continuation).not.toBeNull();
    const config = await loadConfig(env as never);
    if (!config.ok) throw new Error(config.error);
    const { queue, messages } = capturingQueue();
    const tick = { db: env.DB, queue: queue as unknown as Queue, config: config.value };
    await runScheduledTick(tick, Date.now());
    expect(messages.filter((m) => m.runId === message.runId)).toHaveLength(0);
    await runScheduledTick(tick, Date.now() + 5 * 60_000);
    const resent = messages.filter((m) => m.runId === message.runId);
    expect(resent).toHaveLength(1);
    await deliverUntilDone(resent[0]!);
    expect(await runOf(message.runId)).toMatchObject({ status: "succeeded", counts: { seen: MEMBERS } });
    expect(await memberRequests(account.accountId)).toBe(Math.ceil(MEMBERS / 50));
  });

  it("stages an account page 1 reveals as large, without asking for a page twice", async () => {
    const account = await setupAccount({ generateMembers: MEMBERS });
    const { integration, message } = await connectCaptured(account);
    // No size known in advance: the listing starts in memory and switches to staging at page 1.
    await deliverUntilDone({ runId: message.runId, integrationId: integration.id });
    expect(await runOf(message.runId)).toMatchObject({
      status: "succeeded",
      counts: { seen: MEMBERS, added: MEMBERS },
      progress: { pagesListed: 6, pagesExpected: 6 },
    });
    expect(await memberRequests(account.accountId)).toBe(6);
  });

  it("writes no member rows and no events for an unchanged account, and the same as in memory for a changed one", async () => {
    const members = Array.from({ length: MEMBERS }, (_, i) => rawMember(i + 1));
    const memoryAccount = await setupAccount({ members });
    const stagedAccount = await setupAccount({ members });
    const memory = await connectCaptured(memoryAccount);
    const staged = await connectCaptured(stagedAccount);
    await deliverUntilDone(memory.message, IN_MEMORY);
    await deliverUntilDone(staged.message);
    expect(comparable(await storedAccounts(staged.integration.id))).toEqual(
      comparable(await storedAccounts(memory.integration.id)),
    );

    const rows = await storedAccounts(staged.integration.id);
    const events = await storedEvents(staged.integration.id);
    const writes = await memberWrites();
    const unchanged = await startCaptured(staged.integration.id);
    await deliverUntilDone(unchanged);
    expect(await runOf(unchanged.runId)).toMatchObject({
      status: "succeeded",
      counts: { seen: MEMBERS, added: 0, updated: 0, removed: 0, unchanged: MEMBERS },
    });
    expect(await memberWrites()).toBe(writes);
    expect(await storedAccounts(staged.integration.id)).toEqual(rows);
    expect(await storedEvents(staged.integration.id)).toEqual(events);

    await changeSome(memoryAccount.accountId);
    await changeSome(stagedAccount.accountId);
    const memoryRun = await startCaptured(memory.integration.id);
    const stagedRun = await startCaptured(staged.integration.id);
    await deliverUntilDone(memoryRun, IN_MEMORY);
    await deliverUntilDone(stagedRun);
    const memoryResult = await runOf(memoryRun.runId);
    expect(memoryResult.progress).toBeNull();
    expect((await runOf(stagedRun.runId)).counts).toEqual(memoryResult.counts);
    expect(memoryResult.counts).toMatchObject({ added: 2, updated: 2, removed: 2 });
    expect(comparable(await storedAccounts(staged.integration.id))).toEqual(
      comparable(await storedAccounts(memory.integration.id)),
    );
    const since = (e: Record<string, any>[], runId: string) => e.filter((x) => x.sync_id === runId);
    expect(eventContent(since(await storedEvents(staged.integration.id), stagedRun.runId))).toEqual(
      eventContent(since(await storedEvents(memory.integration.id), memoryRun.runId)),
    );
  });

  it("changes nothing when the lease is taken over before the switch", async () => {
    const account = await setupAccount({ generateMembers: MEMBERS });
    const { integration, message } = await connectCaptured(account);
    let next: SyncMessage | null = message;
    // Pages 1–3, 4–5, then 6; the last delivery reads the sources: slowed, so the lease moves meanwhile.
    for (let i = 0; i < 3; i++) next = (await deliverStaged(next!)).continuation;
    for (const route of ["audit", "tokens", "sso"]) {
      await sim.fault({ accountId: account.accountId, path: route }, { kind: "timeout", ms: 1000 }, 1);
    }
    const last = deliverStaged(next!);
    const status = () => env.DB.prepare("SELECT status FROM sync_runs WHERE id = ?").bind(message.runId);
    while ((await status().first<{ status: string }>())!.status !== "running") {
      await new Promise((r) => setTimeout(r, 10));
    }
    await env.DB.prepare("UPDATE sync_runs SET lease_token = 'another attempt' WHERE id = ?")
      .bind(message.runId)
      .run();
    await last;
    expect(await storedAccounts(integration.id)).toEqual([]);
    expect(await storedEvents(integration.id)).toEqual([]);
    expect(await runOf(message.runId)).toMatchObject({ status: "running", counts: { seen: 0 } });
  });
});
