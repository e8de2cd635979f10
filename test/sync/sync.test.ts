import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { forEachStoredPage } from "../../src/store/user-accounts-read";
import { api } from "../support/api";
import { rawMember, setupAccount, sim } from "../support/simulator";
import {
  connect,
  connectAndSync,
  countMemberWrites,
  memberWrites,
  storedAccounts,
  storedEvents,
  syncNow,
  waitForRun,
} from "../support/sync";

// Counts every row written to user_accounts, independently of the code under test.
beforeAll(countMemberWrites);

/** A pending invitation as Cloudflare returns it: no user id, no names. */
const pendingInvite = (n: number) => ({
  id: n.toString(16).padStart(32, "0"),
  email: `invitee${n}@example.com`,
  status: "pending",
  user: { email: `invitee${n}@example.com`, first_name: null, last_name: null },
  roles: [{ id: "r-ro", name: "Administrator Read Only", description: "", permissions: {} }],
  policies: null,
});

describe("first sync", () => {
  it("stores every member across several pages, including invites, null roles and missing 2FA", async () => {
    const members = [
      ...Array.from({ length: 117 }, (_, i) => rawMember(i + 1)),
      pendingInvite(1000),
      rawMember(1001, { roles: null, policies: null }),
      rawMember(1002, {
        user: { id: "u1002", email: "no2fa@example.com", first_name: "No", last_name: "Tfa" },
        email: "no2fa@example.com",
        policies: [
          {
            id: "p1",
            access: "allow",
            permission_groups: [{ id: "g1", name: "Zone Read", meta: { label: "zone_read" } }],
            resource_groups: [{ id: "rg1", scope: { key: "com.cloudflare.api.account.x", objects: [] } }],
          },
        ],
      }),
    ];
    const account = await setupAccount({ members });
    const { integration, run } = await connectAndSync(account);
    expect(run).toMatchObject({
      status: "succeeded",
      counts: { seen: 120, added: 120, updated: 0, removed: 0, unchanged: 0 },
    });
    // 3 member pages + the account read (the token verify at connect is not part of the run),
    // then one request per optional source: audit log, API tokens, SSO connectors.
    expect(run.sources).toMatchObject({
      members: { requests: 4, state: "ok" },
      auditLog: { requests: 1, state: "ok" },
      apiTokens: { requests: 1, state: "ok" },
      sso: { requests: 1, state: "ok" },
    });
    expect(run.apiRequests).toBe(7);
    const rows = await storedAccounts(integration.id);
    expect(rows).toHaveLength(120);
    const invite = rows.find((r) => r.id === pendingInvite(1000).id)!;
    expect(invite).toMatchObject({ user_id: null, first_name: null, last_name: null, status: "pending" });
    const noRoles = rows.find((r) => r.id === rawMember(1001).id)!;
    expect(JSON.parse(noRoles.roles)).toEqual([]);
    expect(JSON.parse(noRoles.policies)).toEqual([]);
    const no2fa = rows.find((r) => r.email === "no2fa@example.com")!;
    expect(no2fa.two_factor_enabled).toBeNull();
    expect(JSON.parse(no2fa.policies)[0].permission_groups[0].name).toBe("Zone Read");
    const events = await storedEvents(integration.id);
    expect(events).toHaveLength(120);
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(["account.added"]));
    const after = await api("GET", `/v1/integrations/${integration.id}`);
    expect(after.body).toMatchObject({
      status: "ok",
      accountCount: 120,
      lastSuccessfulSyncAt: run.finishedAt,
    });
    expect(after.body.lastSync).toMatchObject({ id: run.id, status: "succeeded" });
  });
});

describe("re-sync", () => {
  it("writes no member rows and records no events when nothing changed", async () => {
    const account = await setupAccount({ generateMembers: 260 });
    const { integration } = await connectAndSync(account);
    const writesBefore = await memberWrites();
    const eventsBefore = (await storedEvents(integration.id)).length;
    const run = await syncNow(integration.id);
    expect(run).toMatchObject({
      status: "succeeded",
      trigger: "manual",
      counts: { seen: 260, added: 0, updated: 0, removed: 0, unchanged: 260 },
    });
    expect(await memberWrites()).toBe(writesBefore);
    expect((await storedEvents(integration.id)).length).toBe(eventsBefore);
  });

  it("records each kind of change with the fields that changed", async () => {
    const members = Array.from({ length: 8 }, (_, i) => rawMember(i + 1));
    members.push(pendingInvite(50));
    const account = await setupAccount({ members });
    const { integration } = await connectAndSync(account);
    const id = (n: number) => rawMember(n).id;

    await sim.patchMember(account.accountId, id(1), {
      email: "renamed1@example.com",
      user: { email: "renamed1@example.com" },
    });
    await sim.patchMember(account.accountId, id(2), { user: { first_name: "Changed" } });
    await sim.patchMember(account.accountId, id(3), {
      roles: [{ id: "r-billing", name: "Billing", description: "", permissions: {} }],
    });
    await sim.patchMember(account.accountId, id(4), {
      policies: [
        {
          id: "p9",
          access: "allow",
          permission_groups: [{ id: "g9", name: "DNS Read" }],
          resource_groups: [],
        },
      ],
    });
    await sim.patchMember(account.accountId, id(5), { user: { two_factor_authentication_enabled: true } });
    await sim.patchMember(account.accountId, pendingInvite(50).id, {
      status: "accepted",
      user: { id: "u50", first_name: "Ina", last_name: "Vitee" },
    });
    await sim.deleteMember(account.accountId, id(6));
    await sim.addMembers(account.accountId, [rawMember(99)]);

    const run = await syncNow(integration.id);
    expect(run.counts).toEqual({ seen: 9, added: 1, updated: 6, removed: 1, unchanged: 2 });

    const feed = await api(
      "GET",
      `/v1/integrations/${integration.id}/events?since=${encodeURIComponent(run.startedAt)}`,
    );
    expect(feed.status).toBe(200);
    // Each event names its user account as userAccountId; accountId is an integration's Cloudflare account.
    for (const e of feed.body.data) {
      expect(Object.keys(e).sort()).toEqual([
        "actor",
        "apiTokenId",
        "auditLogId",
        "changes",
        "email",
        "id",
        "occurredAt",
        "syncId",
        "tokenName",
        "type",
        "userAccountId",
      ]);
    }
    const byAccount = new Map(feed.body.data.map((e: any) => [e.userAccountId, e]));
    expect(byAccount.get(id(1))).toMatchObject({
      type: "account.updated",
      email: "renamed1@example.com",
      changes: { email: { from: "person1@example.com", to: "renamed1@example.com" } },
      syncId: run.id,
    });
    expect(byAccount.get(id(2))).toMatchObject({ changes: { firstName: { from: "First2", to: "Changed" } } });
    expect((byAccount.get(id(3)) as any).changes.roles).toEqual({
      from: [{ id: "r-admin", name: "Administrator" }],
      to: [{ id: "r-billing", name: "Billing" }],
    });
    expect(Object.keys((byAccount.get(id(4)) as any).changes)).toEqual(["policies"]);
    expect((byAccount.get(id(5)) as any).changes).toEqual({ twoFactorEnabled: { from: false, to: true } });
    expect((byAccount.get(pendingInvite(50).id) as any).changes).toMatchObject({
      status: { from: "pending", to: "accepted" },
      firstName: { from: null, to: "Ina" },
      lastName: { from: null, to: "Vitee" },
    });
    expect(byAccount.get(id(6))).toMatchObject({ type: "account.removed", email: "person6@example.com" });
    expect(byAccount.get(rawMember(99).id)).toMatchObject({ type: "account.added", changes: null });

    const removed = (await storedAccounts(integration.id)).find((r) => r.id === id(6))!;
    expect(removed.removed_at).toBe(run.finishedAt);
    const after = await api("GET", `/v1/integrations/${integration.id}`);
    expect(after.body.accountCount).toBe(9);
  });

  it("stores changed emails, statuses and 2FA flags exactly as a fresh connection would, filters included", async () => {
    // Changes of indexed columns are written by statements that name only the columns that
    // changed (see syncWriteStatements); every combination must still land in full.
    const members = [...Array.from({ length: 12 }, (_, i) => rawMember(i + 1)), pendingInvite(60)];
    const account = await setupAccount({ members });
    const { integration } = await connectAndSync(account);
    const id = (n: number) => rawMember(n).id;
    await sim.patchMember(account.accountId, id(1), {
      email: "zed1@example.com",
      user: { email: "zed1@example.com" },
    });
    await sim.patchMember(account.accountId, id(2), { status: "pending" });
    await sim.patchMember(account.accountId, id(3), { user: { two_factor_authentication_enabled: true } });
    await sim.patchMember(account.accountId, id(4), {
      email: "aaron4@example.com",
      user: { email: "aaron4@example.com", two_factor_authentication_enabled: false },
    });
    await sim.patchMember(account.accountId, id(5), {
      status: "pending",
      user: { two_factor_authentication_enabled: null, last_name: "Changed" },
    });
    await sim.patchMember(account.accountId, id(6), {
      email: "mid6@example.com",
      status: "pending",
      user: { email: "mid6@example.com", two_factor_authentication_enabled: false },
      roles: [{ id: "r-billing", name: "Billing", description: "", permissions: {} }],
    });
    await sim.patchMember(account.accountId, pendingInvite(60).id, { status: "accepted" });
    await sim.patchMember(account.accountId, id(7), { user: { first_name: "OnlyName" } });
    await sim.patchMember(account.accountId, id(8), {
      email: "late8@example.com",
      status: "pending",
      user: { email: "late8@example.com" },
    });

    const run = await syncNow(integration.id);
    expect(run.counts).toMatchObject({ updated: 9, added: 0, removed: 0 });

    const fresh = await connectAndSync(account, "Fresh copy");
    const comparable = (rows: Record<string, any>[]) =>
      rows.map(({ integration_id, first_seen_at, last_seen_at, search_rowid, ...rest }) => rest);
    expect(comparable(await storedAccounts(integration.id))).toEqual(
      comparable(await storedAccounts(fresh.integration.id)),
    );

    // The filters read the indexes the changes rewrote.
    const emails = async (query: string) => {
      const r = await api("GET", `/v1/integrations/${integration.id}/accounts?limit=100${query}`);
      expect(r.status, r.text).toBe(200);
      return r.body.data.map((a: any) => a.email);
    };
    const raw = (await sim.members(account.accountId)) as any[];
    const expected = (keep: (m: any) => boolean) =>
      raw
        .filter(keep)
        .map((m) => m.user?.email ?? m.email)
        .sort();
    expect(await emails("")).toEqual(expected(() => true));
    expect(await emails("&status=pending")).toEqual(expected((m) => m.status === "pending"));
    expect(await emails("&twoFactor=true")).toEqual(
      expected((m) => m.user?.two_factor_authentication_enabled === true),
    );
    // twoFactor=false means "not known to have 2FA": unknown (null) counts.
    expect(await emails("&twoFactor=false")).toEqual(
      expected((m) => m.user?.two_factor_authentication_enabled !== true),
    );
  });

  it("reads the stored list in primary-key pages that cover every row exactly once", async () => {
    const account = await setupAccount({ generateMembers: 260 });
    const { integration } = await connectAndSync(account);
    const all = (await storedAccounts(integration.id)).map((r) => r.id).sort();
    for (const [pageRows, queries] of [
      [100, 3],
      [130, 3],
      [1000, 1],
    ] as const) {
      const seen: string[] = [];
      const made = await forEachStoredPage(
        env.DB,
        integration.id,
        (rows) => seen.push(...rows.map((r) => r.id)),
        pageRows,
      );
      expect(made).toBe(queries);
      expect(seen.sort()).toEqual(all);
    }
  });

  it("restores a removed member who returns, counting them as added", async () => {
    const account = await setupAccount({ members: [rawMember(1), rawMember(2)] });
    const { integration } = await connectAndSync(account);
    await sim.deleteMember(account.accountId, rawMember(2).id);
    const removal = await syncNow(integration.id);
    expect(removal.counts).toMatchObject({ removed: 1 });
    await sim.addMembers(account.accountId, [rawMember(2, { roles: [] })]);
    const back = await syncNow(integration.id);
    expect(back.counts).toEqual({ seen: 2, added: 1, updated: 0, removed: 0, unchanged: 1 });
    const row = (await storedAccounts(integration.id)).find((r) => r.id === rawMember(2).id)!;
    expect(row.removed_at).toBeNull();
    const events = await storedEvents(integration.id);
    const restored = events.filter((e) => e.type === "account.restored");
    expect(restored).toHaveLength(1);
    expect(JSON.parse(restored[0]!.changes)).toEqual({
      roles: { from: [{ id: "r-admin", name: "Administrator" }], to: [] },
    });
  });
});

describe("never half a list", () => {
  async function syncedWithRemovalPending(members = 150) {
    const account = await setupAccount({ generateMembers: members });
    const { integration } = await connectAndSync(account);
    const before = await storedAccounts(integration.id);
    // If the next sync trusted partial data, these would be marked removed.
    const all = await sim.members(account.accountId);
    await sim.deleteMember(account.accountId, all[0]!.id);
    return { account, integration, before };
  }

  it("fails the run and changes nothing when page 2 answers 500 on every retry", async () => {
    const { account, integration, before } = await syncedWithRemovalPending();
    await sim.fault(
      { accountId: account.accountId, path: "members", page: 2 },
      { kind: "status", status: 500 },
    );
    const run = await syncNow(integration.id);
    expect(run).toMatchObject({ status: "failed", error: { code: "cloudflare_unavailable" } });
    expect(run.error.message).toMatch(/500/);
    expect(await storedAccounts(integration.id)).toEqual(before);
    const detail = await api("GET", `/v1/integrations/${integration.id}`);
    expect(detail.body).toMatchObject({ status: "error", accountCount: 150 });
    expect(detail.body.lastSync.error.code).toBe("cloudflare_unavailable");
    // Bounded retries, not a storm: page 2 once in the first sync, then three tries.
    const page2 = (await sim.requests({ accountId: account.accountId })).filter(
      (r) => r.path.endsWith("/members") && /(^|&)page=2(&|$)/.test(r.query),
    );
    expect(page2.length).toBe(1 + 3);

    await sim.clearFaults({ accountId: account.accountId });
    const healed = await syncNow(integration.id);
    expect(healed).toMatchObject({ status: "succeeded", counts: { removed: 1 } });
    expect((await api("GET", `/v1/integrations/${integration.id}`)).body.status).toBe("ok");
  });

  it("fails with cloudflare_invalid_response on malformed JSON on the last page", async () => {
    const { account, integration, before } = await syncedWithRemovalPending();
    await sim.fault({ accountId: account.accountId, path: "members", page: 3 }, { kind: "malformed_json" });
    const run = await syncNow(integration.id);
    expect(run).toMatchObject({ status: "failed", error: { code: "cloudflare_invalid_response" } });
    expect(await storedAccounts(integration.id)).toEqual(before);
  });

  it("fails when a page does not match the member schema", async () => {
    const { account, integration, before } = await syncedWithRemovalPending();
    await sim.fault(
      { accountId: account.accountId, path: "members", page: 2 },
      { kind: "invalid_schema", shape: "missing_id" },
    );
    const run = await syncNow(integration.id);
    expect(run).toMatchObject({ status: "failed", error: { code: "cloudflare_invalid_response" } });
    expect(await storedAccounts(integration.id)).toEqual(before);
  });

  it("fails when the total moves mid-listing and leaves members unaccounted for", async () => {
    const { account, integration, before } = await syncedWithRemovalPending();
    await sim.fault(
      { accountId: account.accountId, path: "members", page: 3 },
      { kind: "total_count", delta: 5 },
    );
    const run = await syncNow(integration.id);
    expect(run).toMatchObject({ status: "failed", error: { code: "cloudflare_invalid_response" } });
    expect(run.error.message).toMatch(/changed while it was being read/);
    expect(await storedAccounts(integration.id)).toEqual(before);
  });

  it("fails on a timeout and on a dropped connection, then heals", async () => {
    const { account, integration, before } = await syncedWithRemovalPending();
    await sim.fault(
      { accountId: account.accountId, path: "members", page: 2 },
      { kind: "timeout", ms: 5_000 },
    );
    const timedOut = await syncNow(integration.id);
    expect(timedOut).toMatchObject({ status: "failed", error: { code: "cloudflare_unavailable" } });
    expect(timedOut.error.message).toMatch(/did not answer/);
    await sim.clearFaults({ accountId: account.accountId });
    await sim.fault({ accountId: account.accountId, path: "members", page: 3 }, { kind: "reset" });
    const reset = await syncNow(integration.id);
    expect(reset).toMatchObject({ status: "failed", error: { code: "cloudflare_unavailable" } });
    expect(await storedAccounts(integration.id)).toEqual(before);
    await sim.clearFaults({ accountId: account.accountId });
    expect(await syncNow(integration.id)).toMatchObject({ status: "succeeded", counts: { removed: 1 } });
  });
});

describe("rate limits", () => {
  it("waits out a short Retry-After twice and then succeeds", async () => {
    const account = await setupAccount({ generateMembers: 120 });
    const { integration } = await connectAndSync(account);
    await sim.fault(
      { accountId: account.accountId, path: "members", page: 2 },
      { kind: "rate_limit", retryAfter: 1 },
      2,
    );
    const run = await syncNow(integration.id);
    expect(run).toMatchObject({ status: "succeeded", counts: { seen: 120, unchanged: 120 } });
    // 3 pages + 2 refused tries + the account read, then the three optional sources
    expect(run.sources.members.requests).toBe(6);
    expect(run.apiRequests).toBe(9);
    // Each retry of page 2 came at least the Retry-After (1 s) after the 429 it answers.
    const page2 = (await sim.requests({ accountId: account.accountId }))
      .filter((r) => r.path.endsWith("/members") && /(^|&)page=2(&|$)/.test(r.query))
      .slice(-3);
    expect(page2.map((r) => r.status)).toEqual([429, 429, 200]);
    const gaps = page2.slice(1).map((r, i) => Date.parse(r.at) - Date.parse(page2[i]!.at));
    for (const gap of gaps) expect(gap, `waited ${gap} ms`).toBeGreaterThanOrEqual(950);
  });
});

describe("token trouble", () => {
  it("tells a revoked token from a lost permission, and recovers when fixed", async () => {
    const account = await setupAccount({ generateMembers: 10 });
    const { integration } = await connectAndSync(account);

    await sim.patchToken(account.token, { permissions: { accountSettingsRead: false } });
    const lost = await syncNow(integration.id);
    expect(lost).toMatchObject({ status: "failed", error: { code: "cloudflare_permission_missing" } });
    expect(lost.error.message).toMatch(/Account Settings: Read/);
    expect((await api("GET", `/v1/integrations/${integration.id}`)).body.status).toBe("error");

    await sim.patchToken(account.token, { permissions: { accountSettingsRead: true } });
    expect(await syncNow(integration.id)).toMatchObject({ status: "succeeded" });
    expect((await api("GET", `/v1/integrations/${integration.id}`)).body.status).toBe("ok");

    await sim.patchToken(account.token, { revoked: true });
    const revoked = await syncNow(integration.id);
    expect(revoked).toMatchObject({ status: "failed", error: { code: "cloudflare_token_invalid" } });
    expect(revoked.error.message).toMatch(/PATCH \/v1\/integrations/);
    expect(JSON.stringify(revoked)).not.toContain(account.token);
    // No retry storm: one listing call and one verify call for the failed run.
    expect(revoked.apiRequests).toBeLessThanOrEqual(4);
    expect(await storedAccounts(integration.id)).toHaveLength(10);
  });
});

describe("concurrency", () => {
  it("never runs two syncs of one integration at once", async () => {
    const account = await setupAccount({ generateMembers: 60 });
    const { integration } = await connectAndSync(account);
    const [a, b] = await Promise.all([
      api("POST", `/v1/integrations/${integration.id}/sync`),
      api("POST", `/v1/integrations/${integration.id}/sync`),
    ]);
    expect([a.status, b.status].sort()).toEqual([202, 409]);
    const conflict = a.status === 409 ? a : b;
    expect(conflict.body.error.code).toBe("conflict");
    const started = a.status === 202 ? a : b;
    expect(await waitForRun(started.body.id)).toMatchObject({ status: "succeeded" });
  });
});

describe("scale", () => {
  it("syncs an account of 10,000 members completely", async () => {
    const account = await setupAccount({ generateMembers: 10_000 });
    const integration = await connect(account);
    const started = Date.now();
    const run = await waitForRun(integration.lastSync!.id, 120_000);
    const durationMs = Date.now() - started;
    expect(run).toMatchObject({ status: "succeeded", counts: { seen: 10_000, added: 10_000 } });
    const memberRequests = (await sim.requests({ accountId: account.accountId })).filter(
      (r) => r.path.endsWith("/members") && !/per_page=5(&|$)/.test(r.query),
    ).length;
    expect(memberRequests).toBe(200);
    expect((await storedAccounts(integration.id)).length).toBe(10_000);
    const writesBefore = await memberWrites();
    const again = await syncNow(integration.id);
    expect(again.counts).toMatchObject({ unchanged: 10_000 });
    const rewrites = (await memberWrites()) - writesBefore;
    expect(rewrites).toBe(0);
    console.log(
      JSON.stringify({
        figure: "sync_10k",
        memberRequests,
        firstSyncMs: durationMs,
        unchangedResyncMemberRowWrites: rewrites,
      }),
    );
  });
});
