/**
 * Conformance: Cloudflare's answers in the shapes recorded from the real API (fixtures.ts names
 * each source), replayed through the client, the connect checks and a full sync. Each case asserts
 * what the connector then serves, so a change that only works against our simulator's idea of
 * Cloudflare fails here. What the connector reads and why: docs/cloudflare.md.
 */
import { describe, expect, it } from "vitest";
import { injectD1Error, sql } from "../hardening/harness";
import { api, walkPages } from "../support/api";
import { expectError } from "../support/errors";
import { type RawMember, setupAccount, sim, uniqueName } from "../support/simulator";
import { connectAndSync, storedEvents, syncNow } from "../support/sync";
import { ERRORS, goSdkPage, policy, recordedMembers, recordedMembersPage } from "./fixtures";

/** Every current user account of an integration, as a consumer pages through them. */
const served = async (integrationId: string, query = "") =>
  (await walkPages(`/v1/integrations/${integrationId}/accounts?${query}`, 100)).rows;

/** Makes the members endpoint of `accountId` answer this status and body, verbatim, from now on. */
const replayMembers = (accountId: string, answer: { status: number; body: unknown }) =>
  sim.fault({ accountId, path: "members" }, { kind: "replay", ...answer });

describe("a members page as recorded from the real API", () => {
  it("serves every recorded member: email from user, null names kept, access from policies and roles", async () => {
    const account = await setupAccount();
    await replayMembers(account.accountId, {
      status: 200,
      body: recordedMembersPage(recordedMembers(account.accountId)),
    });
    const { integration, run } = await connectAndSync(account);
    expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
    const rows = await served(integration.id);
    expect(rows.map((r) => [r.email, r.name, r.status, r.apiAccessEnabled])).toEqual([
      ["ada.admin@example.com", "Ada Admin", "accepted", null],
      ["automation@example.com", "Tess Terraform", "accepted", null],
      ["no.name@example.com", null, "accepted", null],
    ]);
    const automation = rows.find((r) => r.email === "automation@example.com");
    // Roles and the policy's permission groups name the same grants: each appears once.
    expect(automation.access).toEqual(
      ["Administrator", "Billing", "Cloudflare Access", "Log Share"].map((name) => ({
        name,
        effect: "allow",
        scope: "account",
        resources: 0,
      })),
    );
    // The policy is served reduced to what decides access: no catalogue text, no ids that can be all zero.
    expect(JSON.stringify(automation.policies)).not.toMatch(/description|editable|0000000000000000/);
  });

  it("reads the Go SDK fixture: an invitation code, {read, edit} role grants, no policies, no total_pages", async () => {
    const account = await setupAccount();
    await replayMembers(account.accountId, { status: 200, body: goSdkPage() });
    const { integration, run } = await connectAndSync(account);
    expect(run.status).toBe("succeeded");
    const [row] = await served(integration.id);
    expect(row).toMatchObject({
      email: "user@example.com",
      roles: [{ id: "3536bcfad5faccb999b47003c79917fb", name: "Account Administrator" }],
      policies: [],
      access: [{ name: "Account Administrator", effect: "allow", scope: "account", resources: 0 }],
    });
  });

  it("treats `result: null` on a page as an empty page", async () => {
    const account = await setupAccount({ generateMembers: 7 });
    await sim.patchAccount(account.accountId, { emptyResult: "null", resultInfo: "no_totals" });
    const { integration, run } = await connectAndSync(account);
    expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
    expect(await served(integration.id)).toHaveLength(7);
  });
});

describe("access semantics", () => {
  const DNS_WRITE: [string, string] = ["4755a26eedb94da69e1066d98aa820be", "DNS Write"];
  const ZONE_READ: [string, string] = ["c8fed203ed3043cba015a93ad1616f1f", "Zone Read"];

  const member = (n: number, policies: object[]): RawMember => ({
    id: `c0ffee${String(n).padStart(26, "0")}`,
    user: { id: `u${n}`, email: `access${n}@example.com`, first_name: "A", last_name: `${n}` },
    status: "accepted",
    policies,
  });

  it("a member denied DNS Write is not returned by role=DNS Write; deny and scope are served and in the CSV", async () => {
    const denied = member(1, [
      policy("allow", [ZONE_READ], "account"),
      policy("deny", [DNS_WRITE], "account"),
    ]);
    const zoneLimited = member(2, [policy("allow", [DNS_WRITE], ["z1", "z2"])]);
    const account = await setupAccount({ members: [denied, zoneLimited] });
    const { integration } = await connectAndSync(account);

    const byRole = await served(integration.id, `role=${encodeURIComponent("DNS Write")}`);
    expect(byRole.map((r) => r.email)).toEqual(["access2@example.com"]);
    const rows = await served(integration.id);
    expect(rows[0].access).toEqual([
      { name: "DNS Write", effect: "deny", scope: "account", resources: 0 },
      { name: "Zone Read", effect: "allow", scope: "account", resources: 0 },
    ]);
    expect(rows[1].access).toEqual([
      { name: "DNS Write", effect: "allow", scope: "resources", resources: 2 },
    ]);

    const csv = await api("GET", `/v1/integrations/${integration.id}/accounts?format=csv`);
    expect(csv.text).toContain("DNS Write (deny, account); Zone Read (allow, account)");
    expect(csv.text).toContain("DNS Write (allow, 2 resources)");
    expect(csv.text).toContain("deny: DNS Write (account)");
  });

  it("reordered nested lists and reworded catalogue text between syncs: no event and no member row written", async () => {
    const account = await setupAccount({ members: recordedMembers() });
    const { integration } = await connectAndSync(account);
    const before = await storedEvents(integration.id);

    // Same access, other spelling: every nested list reversed, catalogue text and policy ids changed.
    const reworded = recordedMembers().map((m) => ({
      ...m,
      policies: m.policies.map((p) => ({
        ...p,
        id: crypto.randomUUID().replace(/-/g, ""),
        permission_groups: p.permission_groups.map((g) => ({
          ...g,
          meta: { ...g.meta, description: `Reworded: ${g.meta.description}` },
        })),
      })),
    }));
    await sim.replaceMembers(account.accountId, reworded);
    await sim.patchAccount(account.accountId, { nestedOrder: "reversed" });

    // Any write to this integration's member rows would now abort the sync's batch.
    const id = sql.literal(integration.id);
    const dropUpdate = await injectD1Error("user_accounts", "UPDATE", `NEW.integration_id = ${id}`);
    const dropInsert = await injectD1Error("user_accounts", "INSERT", `NEW.integration_id = ${id}`);
    try {
      const run = await syncNow(integration.id);
      expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
      expect(run.counts).toMatchObject({ seen: 3, added: 0, updated: 0, removed: 0, unchanged: 3 });
    } finally {
      await dropUpdate();
      await dropInsert();
    }
    expect(await storedEvents(integration.id)).toEqual(before);
  });

  it("an access change in a policy is an event; allow to deny included", async () => {
    const account = await setupAccount({ members: [member(3, [policy("allow", [DNS_WRITE], "account")])] });
    const { integration } = await connectAndSync(account);
    await sim.replaceMembers(account.accountId, [member(3, [policy("deny", [DNS_WRITE], "account")])]);
    await syncNow(integration.id);
    const events = (await storedEvents(integration.id)).filter((e) => e.type === "account.updated");
    expect(events).toHaveLength(1);
    expect(Object.keys(JSON.parse(events[0]!.changes))).toEqual(["policies"]);
  });
});

describe("paging as served", () => {
  for (const resultInfo of ["full", "no_total_pages", "no_totals"] as const) {
    it(`lists every member when Cloudflare serves 20 per page of the 50 asked (result_info: ${resultInfo})`, async () => {
      const account = await setupAccount({ generateMembers: 130 });
      await sim.patchAccount(account.accountId, { servePerPage: 20, resultInfo });
      const { integration, run } = await connectAndSync(account);
      expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
      expect(run.counts.seen).toBe(130);
      const rows = await served(integration.id);
      expect(new Set(rows.map((r) => r.id)).size).toBe(130);
    });
  }
});

describe("member records the real API allows", () => {
  it("keeps a member without status (unknown), without any email (null) and a rejected one, all filterable", async () => {
    const noStatus = { id: "5a1e0000000000000000000000000001", user: { email: "nostatus@example.com" } };
    const noEmail = { id: "5a1e0000000000000000000000000002", status: "pending", user: { id: "u-no-email" } };
    const rejected = {
      id: "5a1e0000000000000000000000000003",
      status: "rejected",
      user: { email: "rejected@example.com" },
    };
    const account = await setupAccount({ members: [noStatus, noEmail, rejected] });
    const { integration, run } = await connectAndSync(account);
    expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
    expect(run.counts.seen).toBe(3);
    const rows = await served(integration.id);
    expect(rows.map((r) => [r.id, r.email, r.status])).toEqual([
      [noEmail.id, null, "pending"],
      [noStatus.id, "nostatus@example.com", "unknown"],
      [rejected.id, "rejected@example.com", "rejected"],
    ]);
    expect((await served(integration.id, "status=unknown")).map((r) => r.id)).toEqual([noStatus.id]);
    expect((await served(integration.id, "status=rejected")).map((r) => r.id)).toEqual([rejected.id]);
    const integrationNow = await api("GET", `/v1/integrations/${integration.id}`);
    expect(integrationNow.body.accountCount).toBe(3);
  });
});

describe("errors as the real API sends them", () => {
  it("an IP-filtered token is cloudflare_token_restricted at connect, with and without accountId", async () => {
    const account = await setupAccount();
    const token = await sim.createToken({
      kind: "user",
      accountIds: [account.accountId],
      ipRestricted: true,
    });
    for (const extra of [{}, { accountId: account.accountId }]) {
      const response = await api("POST", "/v1/integrations", {
        body: { label: uniqueName("IP"), organizationName: account.name, apiToken: token, ...extra },
      });
      const error = expectError(response, 422, "cloudflare_token_restricted");
      expect(error.message).toMatch(/IP address filter/);
    }
  });

  it("a token that gains an IP filter fails its next sync with cloudflare_token_restricted, list untouched", async () => {
    const account = await setupAccount({ generateMembers: 4 });
    const { integration } = await connectAndSync(account);
    await sim.patchToken(account.token, { ipRestricted: true });
    const run = await syncNow(integration.id);
    expect(run.error?.code).toBe("cloudflare_token_restricted");
    expect(await served(integration.id)).toHaveLength(4);
  });

  it("a refused page whose re-verify fails with a 5xx is cloudflare_unavailable, not a dead token", async () => {
    const account = await setupAccount({ generateMembers: 3 });
    const { integration } = await connectAndSync(account);
    await sim.fault({ accountId: account.accountId, path: "members" }, { kind: "status", status: 403 }, 1);
    await sim.fault({ token: account.token, path: "user_verify" }, { kind: "status", status: 503 }, 3);
    const run = await syncNow(integration.id);
    expect(run.error?.code).toBe("cloudflare_unavailable");
    expect(await served(integration.id)).toHaveLength(3);
  });

  it("the recorded 403 bodies for a missing permission (9109 and 10000 without messages) are cloudflare_permission_missing", async () => {
    for (const answer of [ERRORS.unauthorized9109, ERRORS.authentication10000]) {
      const account = await setupAccount();
      await replayMembers(account.accountId, answer);
      const response = await api("POST", "/v1/integrations", {
        body: { label: "Production", organizationName: account.name, apiToken: account.token },
      });
      expect(expectError(response, 422, "cloudflare_permission_missing").message).toMatch(
        /Account Settings: Read/,
      );
    }
  });

  it("an account-owned token with a wrong account id (7003 + 7000 at 404 or 400) is organization_not_found", async () => {
    const account = await setupAccount();
    const token = await sim.createToken({ kind: "account", accountIds: [account.accountId] });
    for (const status of [404, 400] as const) {
      const wrong = crypto.randomUUID().replace(/-/g, "");
      await sim.fault(
        { accountId: wrong },
        { kind: "replay", ...ERRORS.noRoute(status, `/accounts/${wrong}/tokens/verify`) },
      );
      const response = await api("POST", "/v1/integrations", {
        body: { label: "Production", organizationName: account.name, apiToken: token, accountId: wrong },
      });
      expect(expectError(response, 422, "organization_not_found").message).toContain(wrong);
    }
  });

  it("an account-owned token refused by GET /accounts (1001) is told to pass accountId", async () => {
    const account = await setupAccount();
    const token = await sim.createToken({ kind: "account", accountIds: [account.accountId] });
    await sim.fault({ token, path: "accounts" }, { kind: "replay", ...ERRORS.accountTokenListing });
    const response = await api("POST", "/v1/integrations", {
      body: { label: "Production", organizationName: account.name, apiToken: token },
    });
    expect(expectError(response, 422, "organization_not_found").message).toMatch(/accountId/);
  });
});

describe("the IP-filtered 9109 body", () => {
  it("is replayed verbatim and read as a restricted token, not a missing permission", async () => {
    const account = await setupAccount();
    await replayMembers(account.accountId, ERRORS.ipFiltered);
    const response = await api("POST", "/v1/integrations", {
      body: { label: "Production", organizationName: account.name, apiToken: account.token },
    });
    expect(expectError(response, 422, "cloudflare_token_restricted").message).toContain("198.51.100.23");
    // Nothing was connected.
    const listed = await api("GET", "/v1/integrations");
    expect(listed.body.data.some((i: { accountId: string }) => i.accountId === account.accountId)).toBe(
      false,
    );
  });
});
