// Connect-time checks (docs/api.md#integrations) against the Cloudflare API simulator: token kinds,
// token states, permissions, organization resolution, Cloudflare outages, label conflicts, and
// the PATCH / DELETE life cycle. At the end: no response in this file ever contained a token.
import { env } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { api, seenBodies } from "../support/api";
import { expectError } from "../support/errors";
import { legacyTokenValue } from "../support/secrets";
import { setupAccount, sim, uniqueName } from "../support/simulator";
import { connect, storedAccounts, storedEvents, syncNow, waitForRun } from "../support/sync";

/** Every Cloudflare token value this file sends, for the leak check at the end. */
const usedTokens = new Set<string>();
const track = (token: string) => {
  usedTokens.add(token);
  return token;
};

async function post(body: Record<string, unknown>) {
  if (typeof body.apiToken === "string") track(body.apiToken);
  return api("POST", "/v1/integrations", { body });
}

async function accountToken(
  accountId: string,
  options: { accountsList?: "repeat" | "reject"; value?: string } = {},
) {
  return track(await sim.createToken({ kind: "account", accountIds: [accountId], ...options }));
}

async function newAccount(options: Parameters<typeof setupAccount>[0] = {}) {
  const account = await setupAccount(options);
  track(account.token);
  return account;
}

/** Whether the simulator saw a full-size members page (a sync, not the connect-time probe) from this token. */
const syncedWith = async (token: string) =>
  (await sim.requests({ token })).some(
    (r) =>
      r.path.endsWith("/members") &&
      (typeof r.query === "string" ? r.query : new URLSearchParams(r.query).toString()).includes(
        "per_page=50",
      ),
  );

const accountsCalls = async (token: string) =>
  (await sim.requests({ token })).filter((r) => /\/client\/v4\/accounts$/.test(r.path));

describe("connecting with a user token", () => {
  it("connects, reports the account and the token's expiry, and queues a first sync", async () => {
    const name = uniqueName("Happy");
    const accountId = await sim.createAccount({ name, enforceTwoFactor: true, generateMembers: 3 });
    const expiresOn = new Date(Date.now() + 90 * 86_400_000).toISOString();
    const token = track(await sim.createToken({ kind: "user", accountIds: [accountId], expiresOn }));
    const response = await post({
      label: "Production",
      organizationName: name.toUpperCase(),
      apiToken: token,
    });
    expect(response.status, response.text).toBe(201);
    expect(response.body).toMatchObject({
      label: "Production",
      organizationName: name,
      accountId,
      enabled: true,
      status: "pending",
      enforceTwoFactor: true,
      lastSync: { trigger: "create", status: "queued" },
    });
    expect(Date.parse(response.body.tokenExpiresAt)).toBe(Date.parse(expiresOn));
    expect(response.text).not.toContain(token.slice(5));
    const run = await waitForRun(response.body.lastSync.id);
    expect(run).toMatchObject({ status: "succeeded", counts: { seen: 3, added: 3 } });
  });

  it("finds the organization among several accounts and over more than one page of /accounts", async () => {
    const ids: string[] = [];
    const names: string[] = [];
    for (let i = 0; i < 55; i++) {
      const name = uniqueName(`Many ${i}`);
      names.push(name);
      ids.push(await sim.createAccount({ name }));
    }
    const token = track(await sim.createToken({ kind: "user", accountIds: ids }));
    const response = await post({ label: "Last", organizationName: names[54], apiToken: token });
    expect(response.status, response.text).toBe(201);
    expect(response.body.accountId).toBe(ids[54]);
    expect((await accountsCalls(token)).length).toBe(2);
    await waitForRun(response.body.lastSync.id);
  });
});

describe("connecting with an account-owned (cfat_) token", () => {
  it("resolves the account from /accounts even though it repeats the same page, in one call", async () => {
    const account = await newAccount({ generateMembers: 2 });
    const token = await accountToken(account.accountId);
    expect(token.startsWith("cfat_")).toBe(true);
    const response = await post({ label: "Owned", organizationName: account.name, apiToken: token });
    expect(response.status, response.text).toBe(201);
    expect(response.body.accountId).toBe(account.accountId);
    expect((await accountsCalls(token)).length).toBe(1);
    const run = await waitForRun(response.body.lastSync.id);
    expect(run.status).toBe("succeeded");
  });

  it("tells the admin to pass accountId when the token cannot list /accounts at all", async () => {
    const account = await newAccount();
    const token = await accountToken(account.accountId, { accountsList: "reject" });
    const response = await post({ label: "Owned", organizationName: account.name, apiToken: token });
    const error = expectError(response, 422, "organization_not_found");
    expect(error.message).toMatch(/accountId/);
    expect(
      await env.DB.prepare("SELECT 1 FROM integrations WHERE account_id = ?").bind(account.accountId).first(),
    ).toBeNull();
  });

  it("connects with accountId when /accounts refuses the token", async () => {
    const account = await newAccount({ generateMembers: 4 });
    const token = await accountToken(account.accountId, { accountsList: "reject" });
    const response = await post({
      label: "Owned",
      organizationName: account.name,
      apiToken: token,
      accountId: account.accountId,
    });
    expect(response.status, response.text).toBe(201);
    expect(response.body.accountId).toBe(account.accountId);
    expect((await accountsCalls(token)).length).toBe(0);
    const run = await waitForRun(response.body.lastSync.id);
    expect(run).toMatchObject({ status: "succeeded", counts: { seen: 4 } });
  });

  it("refuses an accountId whose account has another name, saying what the name is", async () => {
    const account = await newAccount();
    const token = await accountToken(account.accountId, { accountsList: "reject" });
    const response = await post({
      label: "Owned",
      organizationName: "Somebody Else",
      apiToken: token,
      accountId: account.accountId,
    });
    const error = expectError(response, 422, "organization_not_found");
    expect(error.message).toContain(account.name);
    expect(error.message).toContain("Somebody Else");
  });

  it("refuses an accountId the token cannot see", async () => {
    const account = await newAccount();
    const other = await newAccount();
    const response = await post({
      label: "Elsewhere",
      organizationName: other.name,
      apiToken: account.token,
      accountId: other.accountId,
    });
    expect(response.status).toBe(422);
    expect(["organization_not_found", "cloudflare_permission_missing"]).toContain(response.body.error.code);
    expect(response.body.error.message).toContain(other.accountId);
  });
});

describe("connecting with a legacy (unprefixed) token", () => {
  it("accepts an unprefixed user token", async () => {
    const account = await newAccount();
    const token = track(
      await sim.createToken({ kind: "user", accountIds: [account.accountId], value: legacyTokenValue() }),
    );
    const response = await post({ label: "Legacy user", organizationName: account.name, apiToken: token });
    expect(response.status, response.text).toBe(201);
    expect(response.body.accountId).toBe(account.accountId);
    expect((await waitForRun(response.body.lastSync.id)).status).toBe("succeeded");
  });

  it("accepts an unprefixed account-owned token, with and without accountId", async () => {
    const account = await newAccount({ generateMembers: 1 });
    const token = await accountToken(account.accountId, { value: legacyTokenValue() });
    const byName = await post({ label: "Legacy account", organizationName: account.name, apiToken: token });
    expect(byName.status, byName.text).toBe(201);
    expect(byName.body.accountId).toBe(account.accountId);
    expect((await waitForRun(byName.body.lastSync.id)).status).toBe("succeeded");
    const byId = await post({
      label: "Legacy account by id",
      organizationName: account.name,
      apiToken: token,
      accountId: account.accountId,
    });
    expect(byId.status, byId.text).toBe(201);
    expect((await waitForRun(byId.body.lastSync.id)).status).toBe("succeeded");
  });

  it("tells the admin to pass accountId for an unprefixed account token that cannot list /accounts", async () => {
    const account = await newAccount();
    const token = await accountToken(account.accountId, {
      value: legacyTokenValue(),
      accountsList: "reject",
    });
    const response = await post({ label: "Legacy", organizationName: account.name, apiToken: token });
    const error = expectError(response, 422, "organization_not_found");
    expect(error.message).toMatch(/accountId/);
  });

  it("says the name is wrong, not the token, for a valid unprefixed account token with a mismatched accountId name", async () => {
    const account = await newAccount();
    const token = await accountToken(account.accountId, {
      value: legacyTokenValue(),
      accountsList: "reject",
    });
    const response = await post({
      label: "Legacy",
      organizationName: "Not The Name",
      apiToken: token,
      accountId: account.accountId,
    });
    const error = expectError(response, 422, "organization_not_found");
    expect(error.message).toContain(account.name);
  });

  it("refuses an unprefixed value Cloudflare does not know as an invalid token", async () => {
    const account = await newAccount();
    const response = await post({
      label: "Junk",
      organizationName: account.name,
      apiToken: legacyTokenValue(),
    });
    expectError(response, 422, "cloudflare_token_invalid");
  });
});

describe("token states and permissions", () => {
  for (const status of ["expired", "disabled"] as const) {
    it(`refuses a ${status} user token with cloudflare_token_invalid saying it is ${status}`, async () => {
      const account = await newAccount();
      const token = track(await sim.createToken({ kind: "user", accountIds: [account.accountId], status }));
      const response = await post({ label: "x", organizationName: account.name, apiToken: token });
      const error = expectError(response, 422, "cloudflare_token_invalid");
      expect(error.message).toContain(status);
    });

    it(`refuses a ${status} account-owned token with cloudflare_token_invalid`, async () => {
      const account = await newAccount();
      const token = track(
        await sim.createToken({
          kind: "account",
          accountIds: [account.accountId],
          status,
          accountsList: "reject",
        }),
      );
      const response = await post({
        label: "x",
        organizationName: account.name,
        apiToken: token,
        accountId: account.accountId,
      });
      expectError(response, 422, "cloudflare_token_invalid");
    });
  }

  it("refuses a token whose expiry date has passed", async () => {
    const account = await newAccount();
    const token = track(
      await sim.createToken({
        kind: "user",
        accountIds: [account.accountId],
        expiresOn: new Date(Date.now() - 60_000).toISOString(),
      }),
    );
    const response = await post({ label: "x", organizationName: account.name, apiToken: token });
    const error = expectError(response, 422, "cloudflare_token_invalid");
    expect(error.message).toContain("expired");
  });

  it("refuses a revoked or made-up token", async () => {
    const account = await newAccount();
    await sim.patchToken(account.token, { revoked: true });
    const revoked = await post({ label: "x", organizationName: account.name, apiToken: account.token });
    expectError(revoked, 422, "cloudflare_token_invalid");
    const madeUp = await post({
      label: "x",
      organizationName: account.name,
      apiToken: "cfut_0000000000000000000000000000000000000000",
    });
    expectError(madeUp, 422, "cloudflare_token_invalid");
  });

  it("refuses a Global API Key with a message saying to create an API token", async () => {
    const account = await newAccount();
    const response = await post({
      label: "x",
      organizationName: account.name,
      apiToken: "cfk_0000000000000000000000000000000000000000",
    });
    const error = expectError(response, 422, "cloudflare_token_invalid");
    expect(error.message).toMatch(/Global API Key/);
  });

  it("refuses a token without Account Settings: Read, naming the permission", async () => {
    const account = await newAccount();
    const token = track(
      await sim.createToken({
        kind: "user",
        accountIds: [account.accountId],
        permissions: { accountSettingsRead: false },
      }),
    );
    const response = await post({ label: "x", organizationName: account.name, apiToken: token });
    const error = expectError(response, 422, "cloudflare_permission_missing");
    expect(error.message).toContain("Account Settings: Read");
    expect(error.message).toContain(account.name);
  });
});

describe("resolving the organization name", () => {
  it("refuses an unknown organization, listing the names the token can see", async () => {
    const first = uniqueName("Visible One");
    const second = uniqueName("Visible Two");
    const ids = [await sim.createAccount({ name: first }), await sim.createAccount({ name: second })];
    const token = track(await sim.createToken({ kind: "user", accountIds: ids }));
    const response = await post({ label: "x", organizationName: "No Such Org", apiToken: token });
    const error = expectError(response, 422, "organization_not_found");
    expect(error.message).toContain("No Such Org");
    expect(error.message).toContain(first);
    expect(error.message).toContain(second);
  });

  it("does not match a name that only contains the organization name", async () => {
    const name = uniqueName("Prefix");
    const id = await sim.createAccount({ name: `${name} Holdings` });
    const token = track(await sim.createToken({ kind: "user", accountIds: [id] }));
    const response = await post({ label: "x", organizationName: name, apiToken: token });
    expectError(response, 422, "organization_not_found");
  });

  it("refuses two accounts with the same name (case-insensitively), listing both ids", async () => {
    const name = uniqueName("Twin");
    const a = await sim.createAccount({ name });
    const b = await sim.createAccount({ name: name.toLowerCase() });
    const token = track(await sim.createToken({ kind: "user", accountIds: [a, b] }));
    const response = await post({ label: "x", organizationName: name, apiToken: token });
    const error = expectError(response, 422, "organization_ambiguous");
    expect(error.message).toContain(a);
    expect(error.message).toContain(b);
    expect(error.message).toMatch(/accountId/);
    // accountId picks one.
    const chosen = await post({ label: "x", organizationName: name, apiToken: token, accountId: b });
    expect(chosen.status, chosen.text).toBe(201);
    expect(chosen.body.accountId).toBe(b);
    await waitForRun(chosen.body.lastSync.id);
  });
});

describe("Cloudflare outages", () => {
  it("answers 502 cloudflare_unavailable when token verification keeps failing with 5xx, and stores nothing", async () => {
    const account = await newAccount();
    await sim.fault({ token: account.token, path: "user_verify" }, { kind: "status", status: 503 });
    const response = await post({ label: "Outage", organizationName: account.name, apiToken: account.token });
    const error = expectError(response, 502, "cloudflare_unavailable");
    expect(error.message).not.toContain(account.token);
    const verifies = (await sim.requests({ token: account.token })).filter((r) => r.path.endsWith("/verify"));
    expect(verifies.length).toBeGreaterThan(1);
    expect(verifies.length).toBeLessThanOrEqual(5);
    expect(
      await env.DB.prepare("SELECT 1 FROM integrations WHERE account_id = ?").bind(account.accountId).first(),
    ).toBeNull();
    await sim.clearFaults({ token: account.token });
  });

  it("recovers from a single 5xx by retrying", async () => {
    const account = await newAccount();
    await sim.fault({ token: account.token, path: "accounts" }, { kind: "status", status: 500 }, 1);
    const response = await post({ label: "Blip", organizationName: account.name, apiToken: account.token });
    expect(response.status, response.text).toBe(201);
    await waitForRun(response.body.lastSync.id);
  });
});

describe("labels", () => {
  it("refuses the same account under the same label (any case) with 409, and accepts another label", async () => {
    const account = await newAccount();
    const first = await connect(account, "Production");
    const again = await post({
      label: "production",
      organizationName: account.name,
      apiToken: account.token,
    });
    const error = expectError(again, 409, "conflict");
    expect(error.message).toContain("production");
    const other = await post({ label: "Staging", organizationName: account.name, apiToken: account.token });
    expect(other.status, other.text).toBe(201);
    const list = await api("GET", "/v1/integrations");
    const mine = list.body.data.filter((i: any) => i.accountId === account.accountId);
    expect(mine.map((i: any) => i.label).sort()).toEqual(["Production", "Staging"]);
    // A refused duplicate leaves no credential behind.
    const keys = await env.CREDENTIALS.list({ prefix: "credential:" });
    const ids = new Set(
      (await env.DB.prepare("SELECT id FROM integrations").all<{ id: string }>()).results.map((r) => r.id),
    );
    for (const key of keys.keys) expect(ids.has(key.name.slice("credential:".length)), key.name).toBe(true);
    await waitForRun(first.lastSync!.id);
    await waitForRun(other.body.lastSync.id);
  });

  it.each([
    ["a C1 control (NEL)", "Production\u0085"],
    ["a C1 control (CSI)", "Prod\u009buction"],
    ["a line separator", "Production\u2028Staging"],
    ["a paragraph separator", "Prod\u2029uction"],
    ["a right-to-left override", "Production\u202e"],
    ["a left-to-right embedding", "\u202aProduction"],
    ["a bidi isolate", "Prod\u2066uction\u2069"],
    ["a right-to-left mark", "Production\u200f"],
    ["a left-to-right mark", "\u200eProduction"],
    ["a zero-width space", "Production\u200b"],
    ["a zero-width joiner", "Produ\u200dction"],
    ["a word joiner", "Produc\u2060tion"],
    ["a byte order mark inside", "Prod\ufeffuction"],
  ])("refuses a label with %s with validation_failed, on POST and PATCH", async (_what, label) => {
    const account = await newAccount();
    const created = await post({ label, organizationName: account.name, apiToken: account.token });
    const error = expectError(created, 400, "validation_failed");
    expect(error.details).toEqual([{ path: "label", message: expect.stringMatching(/invisible|control/) }]);
    const integration = await connect(account, "Valid");
    const patched = await api("PATCH", `/v1/integrations/${integration.id}`, { body: { label } });
    expectError(patched, 400, "validation_failed");
    await waitForRun(integration.lastSync!.id);
  });

  it("stores labels trimmed and in NFC, and compares them after that", async () => {
    const account = await newAccount();
    const decomposed = "  Cafe\u0301 Prod  ";
    const first = await post({ label: decomposed, organizationName: account.name, apiToken: account.token });
    expect(first.status, first.text).toBe(201);
    expect(first.body.label).toBe("Caf\u00e9 Prod");
    // The composed spelling is the same label: a conflict, not a second integration.
    const composed = await post({
      label: "Caf\u00e9 Prod",
      organizationName: account.name,
      apiToken: account.token,
    });
    expectError(composed, 409, "conflict");
    await waitForRun(first.body.lastSync.id);
  });

  it("refuses a body that is not valid UTF-8 instead of storing U+FFFD", async () => {
    const account = await newAccount();
    const bytes = new Uint8Array([
      ...new TextEncoder().encode(`{"label":"Prod`),
      0xff,
      0xfe,
      ...new TextEncoder().encode(`","organizationName":"${account.name}","apiToken":"${account.token}"}`),
    ]);
    const response = await api("POST", "/v1/integrations", {
      rawBody: bytes,
      headers: { "Content-Type": "application/json" },
    });
    expect(expectError(response, 400, "invalid_json").message).toMatch(/UTF-8/);
    const list = await api("GET", "/v1/integrations");
    expect(list.body.data.filter((i: any) => i.accountId === account.accountId)).toEqual([]);
  });

  it("allows the same label on different accounts", async () => {
    const a = await newAccount();
    const b = await newAccount();
    const first = await connect(a, "Shared label");
    const second = await connect(b, "Shared label");
    await waitForRun(first.lastSync!.id);
    await waitForRun(second.lastSync!.id);
  });
});

describe("PATCH /v1/integrations/{id}", () => {
  it("changes the label and enabled flag", async () => {
    const account = await newAccount();
    const integration = await connect(account, "Before");
    await waitForRun(integration.lastSync!.id);
    const renamed = await api("PATCH", `/v1/integrations/${integration.id}`, { body: { label: "After" } });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body).toMatchObject({ id: integration.id, label: "After", enabled: true });
    expect(Date.parse(renamed.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(integration.updatedAt));
    const disabled = await api("PATCH", `/v1/integrations/${integration.id}`, { body: { enabled: false } });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ label: "After", enabled: false });
    const read = await api("GET", `/v1/integrations/${integration.id}`);
    expect(read.body).toMatchObject({ label: "After", enabled: false });
  });

  it("refuses a label already used for the same account with 409", async () => {
    const account = await newAccount();
    const one = await connect(account, "One");
    const two = await connect(account, "Two");
    const clash = await api("PATCH", `/v1/integrations/${two.id}`, { body: { label: "ONE" } });
    expectError(clash, 409, "conflict");
    expect((await api("GET", `/v1/integrations/${two.id}`)).body.label).toBe("Two");
    // Renaming to its own label in another case is not a clash.
    const self = await api("PATCH", `/v1/integrations/${one.id}`, { body: { label: "one" } });
    expect(self.status, self.text).toBe(200);
    await waitForRun(one.lastSync!.id);
    await waitForRun(two.lastSync!.id);
  });

  it("refuses a revoked new token with 422 and keeps the old one working", async () => {
    const account = await newAccount({ generateMembers: 2 });
    const integration = await connect(account, "Keep");
    await waitForRun(integration.lastSync!.id);
    const sealedBefore = await env.CREDENTIALS.get(`credential:${integration.id}`);
    const replacement = track(await sim.createToken({ kind: "user", accountIds: [account.accountId] }));
    await sim.patchToken(replacement, { revoked: true });
    const response = await api("PATCH", `/v1/integrations/${integration.id}`, {
      body: { apiToken: replacement, label: "Renamed too" },
    });
    expectError(response, 422, "cloudflare_token_invalid");
    expect(await env.CREDENTIALS.get(`credential:${integration.id}`)).toBe(sealedBefore);
    // Nothing of the refused PATCH was applied.
    expect((await api("GET", `/v1/integrations/${integration.id}`)).body.label).toBe("Keep");
    const run = await syncNow(integration.id);
    expect(run).toMatchObject({ status: "succeeded", counts: { seen: 2 } });
  });

  it("refuses a new token for another account with 422 and keeps the old one", async () => {
    const account = await newAccount();
    const other = await newAccount();
    const integration = await connect(account, "Mine");
    await waitForRun(integration.lastSync!.id);
    const response = await api("PATCH", `/v1/integrations/${integration.id}`, {
      body: { apiToken: other.token },
    });
    expect(response.status).toBe(422);
    expect((await syncNow(integration.id)).status).toBe("succeeded");
  });

  it("replaces the token with a valid new one, and syncs use the new token", async () => {
    const account = await newAccount({ generateMembers: 3 });
    const integration = await connect(account, "Rotate token");
    await waitForRun(integration.lastSync!.id);
    const expiresOn = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const replacement = track(
      await sim.createToken({
        kind: "account",
        accountIds: [account.accountId],
        expiresOn,
        accountsList: "reject",
      }),
    );
    const response = await api("PATCH", `/v1/integrations/${integration.id}`, {
      body: { apiToken: replacement },
    });
    expect(response.status, response.text).toBe(200);
    expect(Date.parse(response.body.tokenExpiresAt)).toBe(Date.parse(expiresOn));
    expect(response.text).not.toContain(replacement);
    // The old token stops working; the sync still succeeds because it uses the new one.
    await sim.patchToken(account.token, { revoked: true });
    const run = await syncNow(integration.id);
    expect(run).toMatchObject({ status: "succeeded", counts: { seen: 3 } });
    expect(await syncedWith(replacement)).toBe(true);
  });
});

describe("DELETE /v1/integrations/{id}", () => {
  it("answers 204 and removes the integration, its credential and all its rows", async () => {
    const account = await newAccount({ generateMembers: 5 });
    const integration = await connect(account, "Doomed");
    const run = await waitForRun(integration.lastSync!.id);
    expect(run.status).toBe("succeeded");
    const count = async (table: string) =>
      (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE integration_id = ?`)
        .bind(integration.id)
        .first<{ n: number }>())!.n;
    expect(await count("user_accounts")).toBe(5);
    expect(await count("sync_runs")).toBeGreaterThan(0);
    expect(await count("events")).toBeGreaterThan(0);
    expect(await env.CREDENTIALS.get(`credential:${integration.id}`)).not.toBeNull();

    const deleted = await api("DELETE", `/v1/integrations/${integration.id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe("");
    expectError(await api("GET", `/v1/integrations/${integration.id}`), 404, "not_found");
    expectError(await api("GET", `/v1/syncs/${run.id}`), 404, "not_found");
    expect(await env.CREDENTIALS.get(`credential:${integration.id}`)).toBeNull();
    expect(await count("user_accounts")).toBe(0);
    expect(await count("sync_runs")).toBe(0);
    expect(await count("events")).toBe(0);
    expect(await storedAccounts(integration.id)).toEqual([]);
    expect(await storedEvents(integration.id)).toEqual([]);
    const list = await api("GET", "/v1/integrations");
    expect(list.body.data.map((i: any) => i.id)).not.toContain(integration.id);
    // Deleting again is a 404, and the label is free again.
    expectError(await api("DELETE", `/v1/integrations/${integration.id}`), 404, "not_found");
    const again = await connect(account, "Doomed");
    await waitForRun(again.lastSync!.id);
  });
});

afterAll(() => {
  expect(usedTokens.size).toBeGreaterThan(10);
  expect(seenBodies.length).toBeGreaterThan(10);
  for (const token of usedTokens) {
    for (const body of seenBodies) {
      if (body.includes(token))
        throw new Error(`a response body contained an API token: ${body.slice(0, 300)}`);
    }
  }
});
