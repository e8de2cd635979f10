/**
 * Fault matrix for one sync (docs/sync.md#never-a-partial-list: "A sync that does not finish listing every page changes no
 * user account"): every step of a sync × every fault that applies to it. Each case gets its own
 * account of 120 members (3 pages of 50), synced once; then one member is deleted in Cloudflare,
 * so a sync that trusted partial data would show up as a removal. For each case:
 *   - the list served before (all pages, removed members included) is served unchanged after,
 *   - no change event is recorded,
 *   - the run says what failed (or, for a long Retry-After, is queued again and its message is
 *     redelivered after that delay; or, when D1 itself fails while recording the outcome, the
 *     message is redelivered so the run can finish later),
 *   - the next run, with the fault cleared, succeeds and applies the pending removal.
 */
import { env } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_RATE_LIMITED_ATTEMPTS } from "../../src/sync/run";
import { seal } from "../../src/vault/envelope";
import { loadKeyring } from "../../src/vault/keyring";
import { api } from "../support/api";
import { TEST_SECRETS } from "../support/constants";
import { expectLogged } from "../support/logs";
import { setupAccount, sim } from "../support/simulator";
import { connectAndSync, type Delivery, deliver, runOf, runRow, startSync } from "../support/sync";
import { injectD1Error, servedEvents, servedList, sql } from "./harness";

const MEMBERS = 120;
const LONG_RETRY_AFTER = 120;
/** Longer than CLOUDFLARE_TIMEOUT_MS (1.5 s in tests), so every try times out. */
const HANG_MS = 4_000;
/** A key that is not in the Worker's ENCRYPTION_KEYS. */
const FOREIGN_KEY = `k9:${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;

interface Case {
  integrationId: string;
  accountId: string;
  token: string;
  runId: string;
}

type Expected =
  /** The run is failed with this error code. */
  | { kind: "failed"; code: string }
  /** The run is queued again and the message redelivered after Retry-After. */
  | { kind: "requeued"; delaySeconds: number }
  /** D1 failed while the run's outcome was being recorded: the message is redelivered. */
  | { kind: "redelivered"; runStatus: "queued" | "running" };

interface FaultCase {
  step: string;
  fault: string;
  /** Breaks the step; returns what clears the fault again. */
  inject: (c: Case) => Promise<() => Promise<void>>;
  expected: Expected;
  /** Delivery number of the faulty attempt (the rate-limit budget is counted per run). */
  attempts?: number;
  /** Environment of the healing delivery (e.g. the missing key put back into ENCRYPTION_KEYS). */
  healEnv?: Record<string, string>;
  /** The error line the faulty attempt logs: D1 failing is unexpected, so it is logged as an error. */
  logsError?: "sync_write_failed" | "sync_crashed";
}

const clearSim = (c: Case) => () => sim.clearFaults({ accountId: c.accountId });

/** A Cloudflare fault on one page of the member listing. */
function pageFault(page: number, fault: Record<string, unknown>, times?: number) {
  return async (c: Case) => {
    await sim.fault({ accountId: c.accountId, path: "members", page }, fault, times);
    return clearSim(c);
  };
}

const PAGES = [
  { step: "first page", page: 1 },
  { step: "middle page", page: 2 },
  { step: "last page", page: 3 },
];

const PAGE_FAULTS: { fault: string; spec: Record<string, unknown>; expected: Expected; attempts?: number }[] =
  [
    {
      fault: "503 on every try",
      spec: { kind: "status", status: 503 },
      expected: { kind: "failed", code: "cloudflare_unavailable" },
    },
    {
      fault: "timeout on every try",
      spec: { kind: "timeout", ms: HANG_MS },
      expected: { kind: "failed", code: "cloudflare_unavailable" },
    },
    {
      fault: "connection reset on every try",
      spec: { kind: "reset" },
      expected: { kind: "failed", code: "cloudflare_unavailable" },
    },
    {
      fault: "malformed JSON",
      spec: { kind: "malformed_json" },
      expected: { kind: "failed", code: "cloudflare_invalid_response" },
    },
    {
      fault: "result that is not a list",
      spec: { kind: "invalid_schema", shape: "not_array" },
      expected: { kind: "failed", code: "cloudflare_invalid_response" },
    },
    {
      fault: "members without an id",
      spec: { kind: "invalid_schema", shape: "missing_id" },
      expected: { kind: "failed", code: "cloudflare_invalid_response" },
    },
    {
      fault: "total_count that moves",
      spec: { kind: "total_count", delta: 5 },
      expected: { kind: "failed", code: "cloudflare_invalid_response" },
    },
    {
      fault: "429 with a long Retry-After",
      spec: { kind: "rate_limit", retryAfter: LONG_RETRY_AFTER },
      expected: { kind: "requeued", delaySeconds: LONG_RETRY_AFTER },
    },
    {
      fault: "429 with a long Retry-After on the last allowed attempt",
      spec: { kind: "rate_limit", retryAfter: LONG_RETRY_AFTER },
      expected: { kind: "failed", code: "cloudflare_rate_limited" },
      attempts: MAX_RATE_LIMITED_ATTEMPTS,
    },
  ];

const credentialKey = (id: string) => `credential:${id}`;

/** Replaces the stored credential; returns what puts the original back. */
async function replaceCredential(c: Case, value: string | null) {
  const original = await env.CREDENTIALS.get(credentialKey(c.integrationId));
  expect(original).not.toBeNull();
  if (value === null) await env.CREDENTIALS.delete(credentialKey(c.integrationId));
  else await env.CREDENTIALS.put(credentialKey(c.integrationId), value);
  return () => env.CREDENTIALS.put(credentialKey(c.integrationId), original!);
}

const DECRYPT_FAULTS: FaultCase[] = [
  {
    step: "decrypt",
    fault: "KV record that is not JSON",
    inject: (c) => replaceCredential(c, '{"v":1,"kid":"k2","iv":'),
    expected: { kind: "failed", code: "internal" },
  },
  {
    step: "decrypt",
    fault: "KV record with a tampered ciphertext",
    inject: async (c) => {
      const record = JSON.parse((await env.CREDENTIALS.get(credentialKey(c.integrationId)))!);
      const ct = atob(record.ct);
      const flipped = String.fromCharCode(ct.charCodeAt(0) ^ 1) + ct.slice(1);
      return replaceCredential(c, JSON.stringify({ ...record, ct: btoa(flipped) }));
    },
    expected: { kind: "failed", code: "internal" },
  },
  {
    step: "decrypt",
    fault: "KV record missing",
    inject: (c) => replaceCredential(c, null),
    expected: { kind: "failed", code: "internal" },
  },
  {
    step: "decrypt",
    fault: "record sealed with a key not in ENCRYPTION_KEYS",
    inject: async (c) => {
      const foreign = await loadKeyring(FOREIGN_KEY);
      if (!foreign.ok) throw new Error(foreign.error);
      const record = await seal(foreign.value, c.integrationId, c.token);
      await env.CREDENTIALS.put(credentialKey(c.integrationId), JSON.stringify(record));
      // Healed by putting the key back into ENCRYPTION_KEYS (healEnv), not by touching KV.
      return async () => {};
    },
    expected: { kind: "failed", code: "internal" },
    healEnv: { ENCRYPTION_KEYS: `${TEST_SECRETS.ENCRYPTION_KEYS},${FOREIGN_KEY}` },
  },
];

/** D1 errors at each statement of the sync's one transactional batch. */
const BATCH_FAULTS: FaultCase[] = [
  {
    step: "D1 batch",
    fault: "D1 error finishing the run",
    inject: (c) =>
      injectD1Error("sync_runs", "UPDATE", `NEW.id = ${sql.literal(c.runId)} AND NEW.status = 'succeeded'`),
    expected: { kind: "failed", code: "internal" },
    logsError: "sync_write_failed",
  },
  {
    step: "D1 batch",
    fault: "D1 error marking the member removed",
    inject: (c) =>
      injectD1Error("user_accounts", "UPDATE", `NEW.integration_id = ${sql.literal(c.integrationId)}`),
    expected: { kind: "failed", code: "internal" },
    logsError: "sync_write_failed",
  },
  {
    step: "D1 batch",
    fault: "D1 error recording the event",
    inject: (c) => injectD1Error("events", "INSERT", `NEW.integration_id = ${sql.literal(c.integrationId)}`),
    expected: { kind: "failed", code: "internal" },
    logsError: "sync_write_failed",
  },
  {
    step: "D1 batch",
    fault: "D1 error updating the integration (last statement)",
    inject: (c) =>
      injectD1Error(
        "integrations",
        "UPDATE",
        `NEW.id = ${sql.literal(c.integrationId)} AND NEW.last_successful_sync_at IS NOT OLD.last_successful_sync_at`,
      ),
    expected: { kind: "failed", code: "internal" },
    logsError: "sync_write_failed",
  },
];

/** D1 errors around the lease: taking it, handing the run back on a long 429, recording a failure. */
const LEASE_FAULTS: FaultCase[] = [
  {
    step: "lease",
    fault: "D1 error taking the lease",
    inject: (c) =>
      injectD1Error("sync_runs", "UPDATE", `NEW.id = ${sql.literal(c.runId)} AND NEW.status = 'running'`),
    expected: { kind: "redelivered", runStatus: "queued" },
    logsError: "sync_crashed",
  },
  {
    step: "lease release",
    fault: "D1 error handing the run back after a long 429",
    inject: async (c) => {
      const drop = await injectD1Error(
        "sync_runs",
        "UPDATE",
        `NEW.id = ${sql.literal(c.runId)} AND NEW.status = 'queued'`,
      );
      await sim.fault(
        { accountId: c.accountId, path: "members", page: 2 },
        { kind: "rate_limit", retryAfter: LONG_RETRY_AFTER },
      );
      return async () => {
        await drop();
        await sim.clearFaults({ accountId: c.accountId });
      };
    },
    expected: { kind: "redelivered", runStatus: "running" },
    logsError: "sync_crashed",
  },
  {
    step: "run finalisation",
    fault: "D1 error recording a failed run",
    inject: async (c) => {
      const drop = await injectD1Error(
        "sync_runs",
        "UPDATE",
        `NEW.id = ${sql.literal(c.runId)} AND NEW.status = 'failed'`,
      );
      await sim.fault({ accountId: c.accountId, path: "members", page: 2 }, { kind: "status", status: 503 });
      return async () => {
        await drop();
        await sim.clearFaults({ accountId: c.accountId });
      };
    },
    expected: { kind: "redelivered", runStatus: "running" },
    logsError: "sync_crashed",
  },
];

const MATRIX: FaultCase[] = [
  ...DECRYPT_FAULTS,
  ...PAGES.flatMap(({ step, page }) =>
    PAGE_FAULTS.map(
      (f): FaultCase => ({
        step,
        fault: f.fault,
        inject: pageFault(page, f.spec),
        expected: f.expected,
        attempts: f.attempts,
      }),
    ),
  ),
  ...BATCH_FAULTS,
  ...LEASE_FAULTS,
];

const steps = new Set(MATRIX.map((c) => c.step));
afterAll(() => {
  console.log(
    `fault matrix: ${MATRIX.length} cases over ${steps.size} steps (${[...steps].join(", ")}); pages × ${PAGE_FAULTS.length} faults each`,
  );
});

function expectOutcome(delivery: Delivery, run: any, row: Record<string, any> | null, expected: Expected) {
  switch (expected.kind) {
    case "failed":
      expect(delivery, "the message is done, not retried").toMatchObject({ acked: true, retried: false });
      expect(run.status).toBe("failed");
      expect(run.error?.code).toBe(expected.code);
      expect(run.error.message.length).toBeGreaterThan(20);
      break;
    case "requeued":
      expect(delivery).toMatchObject({ acked: false, retried: true, delays: [expected.delaySeconds] });
      expect(run.status).toBe("queued");
      expect(row).toMatchObject({ lease_token: null });
      break;
    case "redelivered":
      expect(delivery).toMatchObject({ acked: false, retried: true });
      expect(run.status).toBe(expected.runStatus);
      break;
  }
}

describe.concurrent("a fault in any step of a sync changes nothing and the next sync heals", () => {
  it.each(MATRIX.map((c) => [c.step, c.fault, c] as const))("%s: %s", async (_step, _fault, fc) => {
    const account = await setupAccount({ generateMembers: MEMBERS });
    const { integration } = await connectAndSync(account);
    const listBefore = await servedList(integration.id);
    const eventsBefore = await servedEvents(integration.id);
    expect(listBefore).toHaveLength(MEMBERS);
    // Pending change: if the faulty run trusted partial data, someone would be marked removed.
    const gone = (await sim.members(account.accountId))[0]!;
    await sim.deleteMember(account.accountId, gone.id);

    const message = await startSync(integration.id);
    const c: Case = {
      integrationId: integration.id,
      accountId: account.accountId,
      token: account.token,
      runId: message.runId,
    };
    const clear = await fc.inject(c);
    const attempts = fc.attempts ?? 1;
    const delivery = await deliver(message, attempts);
    if (fc.logsError) expectLogged("error", fc.logsError, { runId: message.runId });

    // What the consumer sees after the faulty attempt: the same list, no events, a reason.
    expect(await servedList(integration.id)).toEqual(listBefore);
    expect(await servedEvents(integration.id)).toEqual(eventsBefore);
    const run = await runOf(message.runId);
    expectOutcome(delivery, run, await runRow(message.runId), fc.expected);
    const detail = (await api("GET", `/v1/integrations/${integration.id}`)).body;
    expect(detail.accountCount).toBe(MEMBERS);
    if (fc.expected.kind === "failed") {
      expect(detail).toMatchObject({ status: "error", lastSync: { id: message.runId } });
      expect(detail.lastSync.error.code).toBe(fc.expected.code);
    }

    // Heal: clear the fault; the next run succeeds and applies the pending removal.
    await clear();
    let healRunId: string;
    if (fc.expected.kind === "failed") {
      const next = await startSync(integration.id);
      healRunId = next.runId;
      expect(await deliver(next, 1, fc.healEnv)).toMatchObject({ acked: true, retried: false });
    } else {
      if (fc.expected.kind === "redelivered" && fc.expected.runStatus === "running") {
        // The crashed attempt gave its lease back, so the queue's redelivery runs the sync at once
        // instead of waiting out the 16-minute lease.
        expect((await runRow(message.runId))?.lease_until).toBeLessThanOrEqual(Date.now());
      }
      healRunId = message.runId;
      expect(await deliver(message, attempts + 2, fc.healEnv)).toMatchObject({
        acked: true,
        retried: false,
      });
    }
    const healed = await runOf(healRunId);
    expect(healed, JSON.stringify(healed.error)).toMatchObject({
      status: "succeeded",
      counts: { seen: MEMBERS - 1, added: 0, updated: 0, removed: 1, unchanged: MEMBERS - 1 },
    });
    const listAfter = await servedList(integration.id);
    expect(listAfter.map((a) => a.id)).toEqual(listBefore.map((a) => a.id));
    expect(listAfter.filter((a) => a.removedAt !== null).map((a) => a.id)).toEqual([gone.id]);
    const newEvents = (await servedEvents(integration.id)).slice(eventsBefore.length);
    expect(newEvents.map((e) => [e.type, e.userAccountId, e.syncId])).toEqual([
      ["account.removed", gone.id, healRunId],
    ]);
    const after = (await api("GET", `/v1/integrations/${integration.id}`)).body;
    expect(after).toMatchObject({ status: "ok", accountCount: MEMBERS - 1 });
  });
});

/** The account read (2FA enforcement) is optional: its failure must neither fail nor stall a sync. */
const ACCOUNT_READ_FAULTS: { fault: string; spec: Record<string, unknown> }[] = [
  { fault: "503 on every try", spec: { kind: "status", status: 503 } },
  { fault: "malformed JSON", spec: { kind: "malformed_json" } },
  { fault: "result that is not an account", spec: { kind: "invalid_schema", shape: "not_array" } },
];

describe.concurrent("a fault in the optional account read still lets the sync finish", () => {
  it.each(ACCOUNT_READ_FAULTS.map((f) => [f.fault, f] as const))("account read: %s", async (_fault, f) => {
    const account = await setupAccount({ generateMembers: MEMBERS, enforceTwoFactor: true });
    const { integration } = await connectAndSync(account);
    expect(integration.enforceTwoFactor).toBe(true);
    const gone = (await sim.members(account.accountId))[0]!;
    await sim.deleteMember(account.accountId, gone.id);
    await sim.fault({ accountId: account.accountId, path: "account" }, f.spec);

    const message = await startSync(integration.id);
    expect(await deliver(message)).toMatchObject({ acked: true, retried: false });
    const run = await runOf(message.runId);
    expect(run, JSON.stringify(run.error)).toMatchObject({ status: "succeeded", counts: { removed: 1 } });
    // What was last seen of the account's settings stays; it is not overwritten with "unknown".
    const detail = (await api("GET", `/v1/integrations/${integration.id}`)).body;
    expect(detail).toMatchObject({ status: "ok", enforceTwoFactor: true, accountCount: MEMBERS - 1 });
    await sim.clearFaults({ accountId: account.accountId });
  });
});
