/**
 * The optional sources of a sync (docs/sources.md): who made each membership change (the audit
 * log), the account's API tokens, dashboard SSO. Each is optional and never partial: a source the
 * token may not read, or that fails, changes nothing of its own and nothing of the members.
 */
import { describe, expect, it } from "vitest";
import { api, walkPages } from "../support/api";
import { rawMember, setupAccount, sim, uniqueName } from "../support/simulator";
import { connectAndSync, storedEvents, syncNow } from "../support/sync";

const ADMIN_EMAIL = "it-admin@example.com";

const events = async (integrationId: string) =>
  (await walkPages(`/v1/integrations/${integrationId}/events`, 500)).rows;

describe("audit-log actors", () => {
  it("names the admin who added a member on its account.added event, and invitedAt/invitedBy on the invitation", async () => {
    const account = await setupAccount({ members: [rawMember(1)] });
    const { integration } = await connectAndSync(account);
    const invite = rawMember(2, { status: "pending", user: { email: "new.hire@example.com" } });
    await sim.addMembers(account.accountId, [invite], ADMIN_EMAIL);
    await sim.unrelatedAuditEntry(account.accountId);
    const run = await syncNow(integration.id);
    expect(run.sources.auditLog).toMatchObject({ state: "ok", matched: 1, skipped: 0 });

    const added = (await events(integration.id)).find(
      (e) => e.type === "account.added" && e.userAccountId === invite.id,
    );
    expect(added.actor).toMatchObject({ email: ADMIN_EMAIL, type: "user", context: "dash" });
    const [entry] = (await sim.audit(account.accountId)).filter((e) => e.resource.id === invite.id);
    expect(added.auditLogId).toBe(entry!.id);

    const pending = await api("GET", `/v1/integrations/${integration.id}/accounts?status=pending`);
    expect(pending.body.data[0]).toMatchObject({
      id: invite.id,
      invitedAt: entry!.action.time,
      invitedBy: ADMIN_EMAIL,
    });
    expect(
      (await api("GET", `/v1/integrations/${integration.id}/accounts?pendingOlderThanDays=1`)).body.data,
    ).toEqual([]);
    expect(
      (await api("GET", `/v1/integrations/${integration.id}/accounts?pendingOlderThanDays=0`)).body.data.map(
        (a: any) => a.id,
      ),
    ).toEqual([invite.id]);
  });

  it("pages through pendingOlderThanDays with cursors, the filter the same on every page", async () => {
    const invites = [3, 4, 5].map((n) => rawMember(n, { status: "pending" }));
    const account = await setupAccount({ members: [rawMember(1), ...invites] });
    const { integration } = await connectAndSync(account);
    const walked = await walkPages(`/v1/integrations/${integration.id}/accounts?pendingOlderThanDays=0`, 1);
    expect(walked.pages).toBe(3);
    expect(walked.rows.map((r) => r.id).sort()).toEqual(invites.map((m) => m.id).sort());
  });

  it("attaches an entry that arrives late to the event an earlier sync wrote, once", async () => {
    const account = await setupAccount({ members: [rawMember(1), rawMember(2)] });
    const { integration } = await connectAndSync(account);
    await sim.patchAccount(account.accountId, { auditLagSeconds: 3600 });
    await sim.deleteMember(account.accountId, rawMember(2).id, ADMIN_EMAIL);
    await syncNow(integration.id);
    const removed = () => events(integration.id).then((all) => all.find((e) => e.type === "account.removed"));
    expect((await removed()).actor).toBeNull();

    await sim.patchAccount(account.accountId, { auditLagSeconds: 0 });
    await syncNow(integration.id);
    expect((await removed()).actor?.email).toBe(ADMIN_EMAIL);
    // Read again by the next sync's overlapping window: not attached to anything else.
    const before = await storedEvents(integration.id);
    await syncNow(integration.id);
    expect(await storedEvents(integration.id)).toEqual(before);
  });

  it("an entry read again by an overlapping window never names the actor of a later change", async () => {
    const account = await setupAccount({ members: [rawMember(1), rawMember(2)] });
    const { integration } = await connectAndSync(account);
    await sim.deleteMember(account.accountId, rawMember(2).id, "first@example.com");
    await syncNow(integration.id);
    await sim.addMembers(account.accountId, [rawMember(2)], "second@example.com");
    await syncNow(integration.id);
    // The next read serves the first removal's entry again (windows overlap), and not yet the
    // entry of the removal that follows.
    const [firstRemoval] = (await sim.audit(account.accountId)).filter((e) => e.action.type === "delete");
    await sim.fault(
      { accountId: account.accountId, path: "audit" },
      {
        kind: "replay",
        status: 200,
        body: {
          success: true,
          errors: [],
          messages: [],
          result: [firstRemoval],
          result_info: { count: "1", cursor: "" },
        },
      },
      1,
    );
    await sim.deleteMember(account.accountId, rawMember(2).id, "third@example.com");
    await syncNow(integration.id);
    const removals = (await events(integration.id)).filter((e) => e.type === "account.removed");
    expect(removals.map((e) => e.actor?.email ?? null)).toEqual(["first@example.com", null]);
  });

  it("without audit-log permission, members still sync and the source says what to add", async () => {
    const name = uniqueName("No audit");
    const accountId = await sim.createAccount({ name, generateMembers: 3 });
    const token = await sim.createToken({
      kind: "user",
      accountIds: [accountId],
      permissions: { auditLogs: false },
    });
    const { integration, run } = await connectAndSync({ name, token });
    expect(run).toMatchObject({ status: "succeeded", counts: { seen: 3 } });
    expect(run.sources.auditLog.state).toBe("permission_missing");
    const shown = (await api("GET", `/v1/integrations/${integration.id}`)).body;
    expect(shown.sources).toEqual({
      members: "ok",
      auditLog: "permission_missing",
      apiTokens: "ok",
      sso: "ok",
    });
    expect(shown.sourceMessages.auditLog).toMatch(/Account Settings: Read/);
    expect(shown.status).toBe("ok");
  });

  it("skips malformed and unrelated entries, counting the malformed ones", async () => {
    const account = await setupAccount({ members: [rawMember(1)] });
    const { integration } = await connectAndSync(account);
    await sim.fault(
      { accountId: account.accountId, path: "audit" },
      {
        kind: "replay",
        status: 200,
        body: {
          success: true,
          errors: [],
          messages: [],
          result: [
            { id: "no-time", action: {} },
            "not an entry",
            {
              id: "unrelated",
              action: { time: new Date().toISOString(), type: "create" },
              raw: { method: "POST", uri: "/zones/x/dns_records" },
            },
          ],
          result_info: { count: "3", cursor: "" },
        },
      },
      1,
    );
    const run = await syncNow(integration.id);
    expect(run.status).toBe("succeeded");
    expect(run.sources.auditLog).toMatchObject({ state: "ok", entries: 1, matched: 0, skipped: 2 });
  });
});

describe("API token inventory", () => {
  it("lists the account's API tokens with lastUsedOn, ipRestricted and access, and feeds api_token events", async () => {
    const account = await setupAccount({ members: [rawMember(1)] });
    const lastUsed = "2026-11-20T08:00:00Z";
    await sim.createToken({
      kind: "account",
      accountIds: [account.accountId],
      name: "terraform-ci",
      lastUsedOn: lastUsed,
      ipRestricted: true,
      policies: [
        {
          id: "p1",
          effect: "allow",
          permission_groups: [{ id: "4755a26eedb94da69e1066d98aa820be", name: "DNS Write" }],
          resources: { "com.cloudflare.api.account.zone.0123456789abcdef0123456789abcdef": "*" },
        },
      ],
    });
    await sim.createToken({ kind: "account", accountIds: [account.accountId], name: "backup-reader" });
    const { integration } = await connectAndSync(account);
    const listed = await walkPages(`/v1/integrations/${integration.id}/api-tokens`, 1);
    expect(listed.pages).toBe(2);
    expect(listed.rows.map((t) => [t.name, t.lastUsedOn, t.ipRestricted])).toEqual([
      ["backup-reader", null, false],
      ["terraform-ci", lastUsed, true],
    ]);
    expect(listed.rows[1].access).toEqual([
      { name: "DNS Write", effect: "allow", scope: "resources", resources: 1 },
    ]);
    expect(JSON.stringify(listed.rows)).not.toMatch(/cfat_/);
    const tokenEvents = (await events(integration.id)).filter((e) => e.type.startsWith("api_token."));
    expect(tokenEvents.map((e) => `${e.type} ${e.tokenName}`).sort()).toEqual([
      "api_token.added backup-reader",
      "api_token.added terraform-ci",
    ]);
    const all = await api("GET", `/v1/api-tokens?integrationId=${integration.id}&format=csv`);
    expect(all.text.split("\r\n")[0]).toBe(
      "integration_id,id,name,status,issued_on,modified_on,expires_on,last_used_on,ip_restricted,access,first_seen_at,removed_at",
    );
    expect(all.text).toContain("DNS Write (allow, 1 resource)");
  });

  it("a token listing that fails midway changes no stored token; members sync; the state says why", async () => {
    const account = await setupAccount({ members: [rawMember(1)] });
    // 51 tokens: two pages of 50, so a failure can hit the second.
    for (let i = 0; i < 51; i++)
      await sim.createToken({ kind: "account", accountIds: [account.accountId], name: `t${i}` });
    const { integration } = await connectAndSync(account);
    const before = await walkPages(`/v1/integrations/${integration.id}/api-tokens`, 100);
    expect(before.rows).toHaveLength(51);
    await sim.addMembers(account.accountId, [rawMember(2)]);
    await sim.fault(
      { accountId: account.accountId, path: "tokens", page: 2 },
      { kind: "status", status: 500 },
    );
    await sim.createToken({ kind: "account", accountIds: [account.accountId], name: "t-new" });
    const run = await syncNow(integration.id);
    expect(run).toMatchObject({ status: "succeeded", counts: { added: 1 } });
    expect(run.sources.apiTokens.state).toBe("unavailable");
    expect((await walkPages(`/v1/integrations/${integration.id}/api-tokens`, 100)).rows).toEqual(before.rows);
    const shown = (await api("GET", `/v1/integrations/${integration.id}`)).body;
    expect(shown.sources.apiTokens).toBe("unavailable");
    expect(shown.sourceMessages.apiTokens).toMatch(/next sync/);
    await sim.clearFaults({ accountId: account.accountId });
  });

  it("a 429 on an optional source defers it without failing the member sync", async () => {
    const account = await setupAccount({ members: [rawMember(1)] });
    const { integration } = await connectAndSync(account);
    await sim.fault({ accountId: account.accountId, path: "sso" }, { kind: "rate_limit", retryAfter: 60 }, 1);
    const run = await syncNow(integration.id);
    expect(run.status).toBe("succeeded");
    expect(run.sources.sso.state).toBe("unavailable");
  });
});

describe("SSO", () => {
  it("shows whether the account uses dashboard SSO and for which email domains", async () => {
    const accountId = await sim.createAccount({
      name: uniqueName("SSO"),
      generateMembers: 1,
      ssoConnectors: [{ emailDomain: "example.com" }, { emailDomain: "old.example", enabled: false }],
    });
    const name = (await sim.patchAccount(accountId, {})).name as string;
    const token = await sim.createToken({ kind: "user", accountIds: [accountId] });
    const { integration } = await connectAndSync({ name, token });
    const shown = (await api("GET", `/v1/integrations/${integration.id}`)).body;
    expect(shown.sso).toEqual({ enabled: true, emailDomains: ["example.com"] });
  });
});
