/**
 * Findings (docs/findings.md): each type opens after a sync, resolves when its condition ends,
 * and reopens with a new openedAt; an unchanged re-sync writes no finding rows; the feed follows.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { recomputeFindingStatements, staleSyncFindingStatement } from "../../src/store/findings";
import { runScheduledTick } from "../../src/sync/schedule";
import { api, callWorker, walkPages } from "../support/api";
import { expectError } from "../support/errors";
import { loggedEvents } from "../support/logs";
import { type RawMember, rawMember, setupAccount, sim } from "../support/simulator";
import { capturingQueue, connectAndSync, deliver, startSync, syncNow } from "../support/sync";

const DAY_MS = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS).toISOString();

const findings = async (integrationId: string, query = "") =>
  (await walkPages(`/v1/integrations/${integrationId}/findings${query ? `?${query}` : ""}`, 500)).rows;

const ofType = async (integrationId: string, type: string) => findings(integrationId, `type=${type}`);

const storedFindings = async (integrationId: string) =>
  (
    await env.DB.prepare("SELECT * FROM findings WHERE integration_id = ? ORDER BY id")
      .bind(integrationId)
      .all<Record<string, any>>()
  ).results;

const feedOf = async (integrationId: string) =>
  (await walkPages("/v1/findings/events", 500)).rows.filter((e) => e.finding.integrationId === integrationId);

const withTwoFactor = (m: RawMember, on: boolean) => ({
  user: { ...m.user, two_factor_authentication_enabled: on },
});

const SUPER_ADMIN = [
  { id: "r-super", name: "Super Administrator - All Privileges", description: "All", permissions: {} },
];

/**
 * Drives one finding through its lifecycle: `open` makes the condition hold, `close` ends it.
 * Checks open → resolved → reopened with a new openedAt, one id throughout, and the feed.
 */
async function expectLifecycle(
  integrationId: string,
  type: string,
  open: () => Promise<unknown>,
  close: () => Promise<unknown>,
) {
  const [first] = await ofType(integrationId, type);
  expect(first, `${type} opened`).toMatchObject({ type, status: "open", resolvedAt: null, integrationId });
  expect(first.remediation.length).toBeGreaterThan(20);

  await close();
  const [resolved] = await ofType(integrationId, type);
  expect(resolved).toMatchObject({ id: first.id, status: "resolved", openedAt: first.openedAt });
  expect(resolved.resolvedAt > first.openedAt).toBe(true);

  await open();
  const [reopened] = await ofType(integrationId, type);
  expect(reopened).toMatchObject({ id: first.id, status: "open", resolvedAt: null });
  expect(reopened.openedAt > resolved.resolvedAt).toBe(true);

  const feed = (await feedOf(integrationId)).filter((e) => e.finding.id === first.id);
  expect(feed.map((e) => [e.type, e.occurredAt])).toEqual([
    ["finding.opened", first.openedAt],
    ["finding.resolved", resolved.resolvedAt],
    ["finding.opened", reopened.openedAt],
  ]);
  return first;
}

describe("findings from a sync", () => {
  it("member_without_2fa: an accepted member without 2FA on an account that does not enforce it", async () => {
    const noTwoFactor = rawMember(1);
    const account = await setupAccount({
      members: [noTwoFactor, rawMember(2), rawMember(3, { status: "pending" })],
      enforceTwoFactor: false,
    });
    const { integration } = await connectAndSync(account);
    const [only, ...others] = await ofType(integration.id, "member_without_2fa");
    expect(others).toEqual([]);
    expect(only).toMatchObject({
      severity: "high",
      subject: { kind: "account", id: noTwoFactor.id, email: noTwoFactor.email },
    });
    await expectLifecycle(
      integration.id,
      "member_without_2fa",
      async () => {
        await sim.patchMember(account.accountId, noTwoFactor.id, withTwoFactor(noTwoFactor, false));
        await syncNow(integration.id);
      },
      async () => {
        await sim.patchMember(account.accountId, noTwoFactor.id, withTwoFactor(noTwoFactor, true));
        await syncNow(integration.id);
      },
    );
    // An account that enforces 2FA: no member finding, whatever the members' own setting.
    await sim.patchAccount(account.accountId, { enforceTwoFactor: true });
    await syncNow(integration.id);
    expect((await findings(integration.id, "status=open")).map((f) => f.type)).toEqual([]);
  });

  it("two_factor_not_enforced: the account's enforce-2FA setting is off", async () => {
    const account = await setupAccount({ members: [rawMember(2)], enforceTwoFactor: false });
    const { integration } = await connectAndSync(account);
    const finding = await expectLifecycle(
      integration.id,
      "two_factor_not_enforced",
      async () => {
        await sim.patchAccount(account.accountId, { enforceTwoFactor: false });
        await syncNow(integration.id);
      },
      async () => {
        await sim.patchAccount(account.accountId, { enforceTwoFactor: true });
        await syncNow(integration.id);
      },
    );
    expect(finding).toMatchObject({
      id: `two_factor_not_enforced:${integration.id}:integration:${integration.id}`,
      severity: "medium",
      subject: { kind: "integration", id: integration.id },
    });
  });

  it("stale_invitation: a pending member invited longer ago than STALE_INVITATION_DAYS", async () => {
    const invite = rawMember(4, { status: "pending" });
    const account = await setupAccount({ members: [rawMember(2), invite], enforceTwoFactor: true });
    const { integration } = await connectAndSync(account);
    expect(await ofType(integration.id, "stale_invitation")).toEqual([]);
    // Invited 13 days ago: not yet stale at the default 14.
    const age = (days: number) =>
      env.DB.prepare("UPDATE user_accounts SET first_seen_at = ? WHERE integration_id = ? AND id = ?")
        .bind(daysAgo(days), integration.id, invite.id)
        .run();
    await age(13);
    await syncNow(integration.id);
    expect(await ofType(integration.id, "stale_invitation")).toEqual([]);
    await age(15);
    await syncNow(integration.id);
    const [finding] = await ofType(integration.id, "stale_invitation");
    expect(finding).toMatchObject({ severity: "low", subject: { id: invite.id, email: invite.email } });
    expect(finding.detail).toContain(daysAgo(15).slice(0, 10));
    await expectLifecycle(
      integration.id,
      "stale_invitation",
      async () => {
        await sim.patchMember(account.accountId, invite.id, { status: "pending" });
        await syncNow(integration.id);
      },
      async () => {
        await sim.patchMember(account.accountId, invite.id, { status: "accepted" });
        await syncNow(integration.id);
      },
    );
  });

  it("too_many_super_admins: more than MAX_SUPER_ADMINS current members allowed Super Administrator", async () => {
    const admins = [10, 12, 14, 16].map((n) => rawMember(n, { roles: SUPER_ADMIN }));
    const account = await setupAccount({ members: [...admins, rawMember(2)], enforceTwoFactor: true });
    const { integration } = await connectAndSync(account);
    const [finding] = await ofType(integration.id, "too_many_super_admins");
    expect(finding).toMatchObject({
      severity: "medium",
      subject: { kind: "integration", id: integration.id },
    });
    expect(finding.detail).toContain("4 members");
    expect(finding.detail).toContain(admins[0]!.email);
    await expectLifecycle(
      integration.id,
      "too_many_super_admins",
      async () => {
        await sim.addMembers(account.accountId, [admins[3]!]);
        await syncNow(integration.id);
      },
      async () => {
        await sim.deleteMember(account.accountId, admins[3]!.id);
        await syncNow(integration.id);
      },
    );
  });

  it("too_many_super_admins follows MAX_SUPER_ADMINS from the configuration", async () => {
    const admins = [10, 12].map((n) => rawMember(n, { roles: SUPER_ADMIN }));
    const account = await setupAccount({ members: admins, enforceTwoFactor: true });
    const { integration } = await connectAndSync(account);
    expect(await ofType(integration.id, "too_many_super_admins")).toEqual([]);
    const delivery = await deliver(await startSync(integration.id), 1, { MAX_SUPER_ADMINS: "1" });
    expect(delivery.acked).toBe(true);
    const [finding] = await ofType(integration.id, "too_many_super_admins");
    expect(finding.detail).toContain("at most 1 expected");
  });

  it("external_member: a member whose email domain is not in allowedEmailDomains (empty: off)", async () => {
    const outsider = rawMember(6, {
      email: "pat@contractor.io",
      user: { ...rawMember(6).user, email: "pat@contractor.io" },
    });
    const account = await setupAccount({ members: [rawMember(2), outsider], enforceTwoFactor: true });
    const { integration } = await connectAndSync(account);
    expect(await ofType(integration.id, "external_member")).toEqual([]);
    const allow = async (domains: string[]) => {
      const patched = await api("PATCH", `/v1/integrations/${integration.id}`, {
        body: { allowedEmailDomains: domains },
      });
      expect(patched.status, patched.text).toBe(200);
      expect(patched.body.allowedEmailDomains).toEqual(domains);
      await syncNow(integration.id);
    };
    await allow(["example.com"]);
    const [finding, ...others] = await ofType(integration.id, "external_member");
    expect(others).toEqual([]);
    expect(finding).toMatchObject({ subject: { id: outsider.id, email: "pat@contractor.io" } });
    await expectLifecycle(
      integration.id,
      "external_member",
      () => allow(["example.com"]),
      () => allow(["example.com", "contractor.io"]),
    );
    await allow([]);
    expect(await findings(integration.id, "type=external_member&status=open")).toEqual([]);
  });

  it("PATCH allowedEmailDomains recomputes external_member at once, leaving sync_stale as it is", async () => {
    const outsider = rawMember(6, {
      email: "pat@contractor.io",
      user: { ...rawMember(6).user, email: "pat@contractor.io" },
    });
    const account = await setupAccount({ members: [rawMember(2), outsider], enforceTwoFactor: true });
    const { integration } = await connectAndSync(account);
    await sim.patchToken(account.token, { revoked: true });
    expect((await syncNow(integration.id)).status).toBe("failed");
    const patch = (domains: string[]) =>
      api("PATCH", `/v1/integrations/${integration.id}`, { body: { allowedEmailDomains: domains } });
    expect((await patch(["example.com"])).status).toBe(200);
    const open = await findings(integration.id, "status=open");
    expect(open.map((f) => f.type).sort()).toEqual(["external_member", "sync_stale"]);
    expect((await patch(["contractor.io", "example.com"])).status).toBe(200);
    expect((await findings(integration.id, "status=open")).map((f) => f.type)).toEqual(["sync_stale"]);
  });

  it("refuses allowedEmailDomains that are not lower-case domains, naming the entry", async () => {
    const account = await setupAccount({ members: [rawMember(2)] });
    const { integration } = await connectAndSync(account);
    for (const domains of [
      ["Example.com"],
      ["@example.com"],
      ["example.com", "example.com"],
      "example.com",
    ]) {
      const response = await api("PATCH", `/v1/integrations/${integration.id}`, {
        body: { allowedEmailDomains: domains },
      });
      const error = expectError(response, 400, "validation_failed");
      expect(error.details[0]!.path).toMatch(/^allowedEmailDomains/);
    }
    expect((await api("GET", `/v1/integrations/${integration.id}`)).body.allowedEmailDomains).toEqual([]);
  });

  it("api_token_stale and api_token_no_expiry: active account tokens unused for 90 days or without expiry", async () => {
    const account = await setupAccount({ members: [rawMember(2)], enforceTwoFactor: true });
    const old = await sim.createToken({
      kind: "account",
      accountIds: [account.accountId],
      name: "old-ci",
      lastUsedOn: daysAgo(100),
    });
    await sim.createToken({
      kind: "account",
      accountIds: [account.accountId],
      name: "fresh",
      lastUsedOn: daysAgo(1),
      expiresOn: new Date(Date.now() + 30 * DAY_MS).toISOString(),
    });
    const { integration } = await connectAndSync(account);
    const open = await findings(integration.id, "status=open");
    expect(open.map((f) => `${f.type} ${f.title}`).sort()).toEqual([
      "api_token_no_expiry API token never expires: old-ci",
      "api_token_stale API token unused: old-ci",
    ]);
    expect(open[0].subject.kind).toBe("api_token");
    await expectLifecycle(
      integration.id,
      "api_token_stale",
      async () => {
        await sim.patchToken(old, { lastUsedOn: daysAgo(91) } as object);
        await syncNow(integration.id);
      },
      async () => {
        await sim.patchToken(old, { lastUsedOn: daysAgo(0) } as object);
        await syncNow(integration.id);
      },
    );
    await expectLifecycle(
      integration.id,
      "api_token_no_expiry",
      async () => {
        await sim.patchToken(old, { expiresOn: null } as object);
        await syncNow(integration.id);
      },
      async () => {
        await sim.patchToken(old, { expiresOn: new Date(Date.now() + DAY_MS).toISOString() } as object);
        await syncNow(integration.id);
      },
    );
  });

  it("sync_stale: opens when a run fails, resolves on the next successful sync", async () => {
    const account = await setupAccount({ members: [rawMember(2)], enforceTwoFactor: true });
    const { integration } = await connectAndSync(account);
    expect(await ofType(integration.id, "sync_stale")).toEqual([]);
    const fail = async () => {
      await sim.patchToken(account.token, { revoked: true });
      expect((await syncNow(integration.id)).status).toBe("failed");
    };
    await fail();
    const [finding] = await ofType(integration.id, "sync_stale");
    expect(finding).toMatchObject({ severity: "high", subject: { kind: "integration", id: integration.id } });
    expect(finding.detail).toContain("failed");
    await expectLifecycle(integration.id, "sync_stale", fail, async () => {
      await sim.patchToken(account.token, { revoked: false });
      expect((await syncNow(integration.id)).status).toBe("succeeded");
    });
  });
});

const storedFeed = async (integrationId: string) =>
  (
    await env.DB.prepare("SELECT * FROM finding_events WHERE integration_id = ? ORDER BY ordinal")
      .bind(integrationId)
      .all<Record<string, any>>()
  ).results;

/** An account that yields an open finding of most types on its first sync. */
async function troubledAccount() {
  const account = await setupAccount({
    members: [
      rawMember(1),
      rawMember(3, { status: "pending" }),
      ...[10, 12, 14, 16].map((n) => rawMember(n, { roles: SUPER_ADMIN })),
    ],
    enforceTwoFactor: false,
  });
  await sim.createToken({
    kind: "account",
    accountIds: [account.accountId],
    name: "old-ci",
    lastUsedOn: daysAgo(100),
  });
  const { integration } = await connectAndSync(account);
  await env.DB.prepare(
    "UPDATE user_accounts SET first_seen_at = ? WHERE integration_id = ? AND status = 'pending'",
  )
    .bind(daysAgo(30), integration.id)
    .run();
  await syncNow(integration.id);
  return { account, integration };
}

/** Runs the recompute on its own, as the end of a sync's batch would, and sums the rows it wrote. */
async function recomputeRowsWritten(integrationId: string) {
  const results = await env.DB.batch(
    recomputeFindingStatements(env.DB, {
      integrationId,
      now: new Date().toISOString(),
      thresholds: { staleInvitationDays: 14, maxSuperAdmins: 3 },
    }),
  );
  return results.reduce((sum, r) => sum + (r.meta.rows_written ?? 0), 0);
}

describe("recomputing findings", () => {
  it("an unchanged re-sync leaves findings and their feed as they were, writing no finding rows", async () => {
    const { integration } = await troubledAccount();
    const before = await storedFindings(integration.id);
    expect(new Set(before.map((f) => f.type))).toEqual(
      new Set([
        "member_without_2fa",
        "two_factor_not_enforced",
        "stale_invitation",
        "too_many_super_admins",
        "api_token_stale",
        "api_token_no_expiry",
      ]),
    );
    const feed = await storedFeed(integration.id);
    expect(feed).toHaveLength(before.length);
    await syncNow(integration.id);
    expect(await storedFindings(integration.id)).toEqual(before);
    expect(await storedFeed(integration.id)).toEqual(feed);
    expect(await recomputeRowsWritten(integration.id)).toBe(0);
    // The run's own figure: lease, run result and integration, as before findings existed.
    const last = loggedEvents("sync_run")
      .filter((l) => l.integrationId === integration.id && l.status === "succeeded")
      .at(-1);
    expect(last?.rowsWritten).toBe(3);
  });

  it("a change writes only the findings it changes (and their feed rows)", async () => {
    const { account, integration } = await troubledAccount();
    await sim.patchMember(account.accountId, rawMember(1).id, withTwoFactor(rawMember(1), true));
    await syncNow(integration.id);
    const resolved = (await storedFindings(integration.id)).filter((f) => f.status === "resolved");
    expect(resolved.map((f) => f.type)).toEqual(["member_without_2fa"]);
    expect(await recomputeRowsWritten(integration.id)).toBe(0);
  });

  it("an open finding whose wording changes is rewritten in place, with no new feed event", async () => {
    const { account, integration } = await troubledAccount();
    const [before] = await ofType(integration.id, "too_many_super_admins");
    const feed = await storedFeed(integration.id);
    await sim.addMembers(account.accountId, [rawMember(18, { roles: SUPER_ADMIN })]);
    await syncNow(integration.id);
    const [after] = await ofType(integration.id, "too_many_super_admins");
    expect(after).toMatchObject({ id: before.id, status: "open", openedAt: before.openedAt });
    expect(after.detail).toContain("5 members");
    expect(await storedFeed(integration.id)).toEqual(feed);
  });

  it("deleting an integration deletes its findings and their feed", async () => {
    const { integration } = await troubledAccount();
    expect((await api("DELETE", `/v1/integrations/${integration.id}`)).status).toBe(204);
    expect(await storedFindings(integration.id)).toEqual([]);
    expect(await storedFeed(integration.id)).toEqual([]);
  });
});

describe("finding routes", () => {
  it("filters by status, severity and type, across integrations or for one, with cursors and CSV", async () => {
    const { account, integration } = await troubledAccount();
    await sim.patchMember(account.accountId, rawMember(1).id, withTwoFactor(rawMember(1), true));
    await syncNow(integration.id);
    const all = await findings(integration.id);
    expect(all).toHaveLength(6);
    expect(all.map((f) => f.id)).toEqual([...all.map((f) => f.id)].sort());
    const walked = await walkPages(`/v1/integrations/${integration.id}/findings`, 2);
    expect(walked.pages).toBe(3);
    expect(walked.rows).toEqual(all);
    expect((await findings(integration.id, "status=resolved")).map((f) => f.type)).toEqual([
      "member_without_2fa",
    ]);
    expect((await findings(integration.id, "status=open")).map((f) => f.type)).not.toContain(
      "member_without_2fa",
    );
    expect((await findings(integration.id, "severity=low&status=open")).map((f) => f.type).sort()).toEqual([
      "api_token_no_expiry",
      "api_token_stale",
      "stale_invitation",
    ]);
    const across = await walkPages(`/v1/findings?integrationId=${integration.id}&severity=medium`, 1);
    expect(across.rows.map((f) => f.type).sort()).toEqual([
      "too_many_super_admins",
      "two_factor_not_enforced",
    ]);
    const csv = await api(
      "GET",
      `/v1/integrations/${integration.id}/findings?format=csv&type=stale_invitation`,
    );
    expect(csv.headers.get("Content-Type")).toMatch(/^text\/csv/);
    const lines = csv.text.trim().split("\r\n");
    expect(lines[0]).toBe(
      "id,type,severity,status,integration_id,subject_kind,subject_id,subject_email,title,detail,remediation,opened_at,resolved_at",
    );
    expect(lines).toHaveLength(2);
  });

  it("refuses unknown filter values with 400 naming the parameter", async () => {
    const account = await setupAccount({ members: [rawMember(2)] });
    const { integration } = await connectAndSync(account);
    for (const [query, path] of [
      ["type=leaver", "type"],
      ["severity=critical", "severity"],
      ["status=closed", "status"],
      ["integrationId=nope", "integrationId"],
    ]) {
      const error = expectError(await api("GET", `/v1/findings?${query}`), 400, "validation_failed");
      expect(error.details.map((d) => d.path)).toEqual([path]);
    }
    const error = expectError(
      await api("GET", `/v1/integrations/${integration.id}/findings?type=bogus`),
      400,
      "validation_failed",
    );
    expect(error.details[0]!.path).toBe("type");
    const cursor = await api("GET", `/v1/findings?cursor=forged`);
    expect(expectError(cursor, 400, "validation_failed").details[0]!.path).toBe("cursor");
    const since = await api("GET", "/v1/findings/events?since=yesterday");
    expect(expectError(since, 400, "validation_failed").details[0]!.path).toBe("since");
    expectError(await api("GET", "/v1/integrations/nope/findings"), 404, "not_found");
  });

  it("serves the feed oldest first, from since, with cursors", async () => {
    const { integration } = await troubledAccount();
    const feed = await feedOf(integration.id);
    expect(feed).toHaveLength(6);
    expect(feed.every((e) => e.type === "finding.opened")).toBe(true);
    const ids = (await walkPages("/v1/findings/events", 1)).rows.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const later = feed.at(-1)!.occurredAt;
    const since = await walkPages(`/v1/findings/events?since=${encodeURIComponent(later)}`, 500);
    expect(since.rows.every((e) => e.occurredAt >= later)).toBe(true);
    expect(since.rows.map((e) => e.id)).toContain(feed.at(-1)!.id);
    const future = await api("GET", `/v1/findings/events?since=2999-01-01T00:00:00Z`);
    expect(future.body).toEqual({ data: [], nextCursor: null });
  });
});

/** The cron's work, run directly with the queue captured (no sync is delivered); returns the queued ids. */
async function cronTick(now = Date.now()) {
  const config = await loadConfig(env);
  if (!config.ok) throw new Error(config.error);
  const { queue, messages } = capturingQueue();
  await runScheduledTick({ db: env.DB, queue: queue as unknown as Queue, config: config.value }, now);
  return messages.map((m) => m.integrationId);
}

describe("sync_stale from the cron", () => {
  it("opens when no sync succeeded for 3 cron intervals, and leaves an open one unwritten", async () => {
    const account = await setupAccount({ members: [rawMember(2)], enforceTwoFactor: true });
    const { integration } = await connectAndSync(account);
    // The cron's statement, run on its own: the tick would also queue a sync.
    const check = () =>
      staleSyncFindingStatement(
        env.DB,
        new Date().toISOString(),
        new Date(Date.now() - 45 * 60_000).toISOString(),
      ).run();
    await check();
    expect(await ofType(integration.id, "sync_stale")).toEqual([]);
    const lastSuccess = new Date(Date.now() - 46 * 60_000).toISOString();
    await env.DB.prepare("UPDATE integrations SET last_successful_sync_at = ? WHERE id = ?")
      .bind(lastSuccess, integration.id)
      .run();
    await check();
    const [finding] = await ofType(integration.id, "sync_stale");
    expect(finding.status).toBe("open");
    expect(finding.detail).toContain(`since ${lastSuccess}`);
    const before = await storedFindings(integration.id);
    const feed = await storedFeed(integration.id);
    expect((await check()).meta.rows_written).toBe(0);
    expect(await storedFindings(integration.id)).toEqual(before);
    expect(await storedFeed(integration.id)).toEqual(feed);
    await syncNow(integration.id);
    expect((await ofType(integration.id, "sync_stale"))[0].status).toBe("resolved");
  });

  it("opens for an integration whose latest run failed, in the words failRun used", async () => {
    const account = await setupAccount({ members: [rawMember(2)], enforceTwoFactor: true });
    const { integration } = await connectAndSync(account);
    await sim.patchToken(account.token, { revoked: true });
    expect((await syncNow(integration.id)).status).toBe("failed");
    // Disabled, so the tick queues no new run for it: its latest run stays the failed one.
    expect(
      (await api("PATCH", `/v1/integrations/${integration.id}`, { body: { enabled: false } })).status,
    ).toBe(200);
    const [opened] = await storedFindings(integration.id);
    const feed = await storedFeed(integration.id);
    await cronTick();
    expect(await storedFindings(integration.id)).toEqual([opened]);
    expect(await storedFeed(integration.id)).toEqual(feed);
    // Lost (say, before the findings existed): the cron opens it from the failed run.
    await env.DB.prepare("DELETE FROM findings WHERE integration_id = ?").bind(integration.id).run();
    await cronTick();
    expect(await storedFindings(integration.id)).toMatchObject([
      { type: "sync_stale", detail: opened!.detail },
    ]);
  });
});

describe("finding thresholds", () => {
  it("refuses STALE_INVITATION_DAYS and MAX_SUPER_ADMINS that are not whole numbers, naming the setting", async () => {
    for (const [name, value] of [
      ["STALE_INVITATION_DAYS", "two weeks"],
      ["STALE_INVITATION_DAYS", "-1"],
      ["MAX_SUPER_ADMINS", "1.5"],
    ] as const) {
      const error = expectError(
        await callWorker({ [name]: value }, "GET", "/v1/findings"),
        503,
        "not_configured",
      );
      expect(error.message).toContain(`${name} must be a whole number`);
    }
    expect(
      (await callWorker({ STALE_INVITATION_DAYS: "", MAX_SUPER_ADMINS: "5" }, "GET", "/v1/findings")).status,
    ).toBe(200);
  });
});
