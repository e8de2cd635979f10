// Tests of the Cloudflare API simulator as the Worker sees it: through fetch to the outbound
// service, sharing one simulator with every other test file, so each test makes its own accounts and tokens.

import { describe, expect, it } from "vitest";
import { createSimulator } from "../simulator/app";
import { generateMembers, type RawMember } from "../simulator/members";
import { DEMO } from "../simulator/seed";
import { SIMULATOR_ORIGIN } from "./support/constants";

const API = `${SIMULATOR_ORIGIN}/client/v4`;

interface Envelope<T = unknown> {
  success: boolean;
  errors: { code: number; message: string; error_chain?: { code: number; message: string }[] }[];
  messages: { code: number; message: string }[];
  result: T;
  result_info?: Record<string, number>;
}

const randomId = () => crypto.randomUUID().replaceAll("-", "");

async function control(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${SIMULATOR_ORIGIN}/__sim${path}`, {
    method,
    headers: { "Content-Type": "application/json" },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

async function controlJson<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await control(method, path, body);
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function createAccount(body: Record<string, unknown> = {}): Promise<string> {
  const { id } = await controlJson<{ id: string }>("POST", "/accounts", { name: "Test Co", ...body });
  return id;
}

async function createToken(body: Record<string, unknown>): Promise<string> {
  const { value } = await controlJson<{ value: string }>("POST", "/tokens", body);
  return value;
}

/** A fresh account with `generated` members and a user token that can read it. */
async function accountWithToken(generated = 0, tokenBody: Record<string, unknown> = {}) {
  const accountId = await createAccount({ generateMembers: generated });
  const token = await createToken({ kind: "user", accountIds: [accountId], ...tokenBody });
  return { accountId, token };
}

function cf(path: string, token?: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${API}${path}`, {
    ...init,
    headers: token !== undefined ? { Authorization: `Bearer ${token}` } : {},
  });
}

async function cfJson<T = unknown>(
  path: string,
  token?: string,
): Promise<{ status: number; body: Envelope<T> }> {
  const res = await cf(path, token);
  return { status: res.status, body: (await res.json()) as Envelope<T> };
}

async function storedMembers(accountId: string): Promise<RawMember[]> {
  return (await controlJson<{ members: RawMember[] }>("GET", `/accounts/${accountId}/members`)).members;
}

const emailOf = (m: RawMember) => ((m.user as RawMember | null)?.email ?? m.email) as string;

describe("account members", () => {
  it("pages 120 members in three pages of 50 with total_pages, then an empty page", async () => {
    const { accountId, token } = await accountWithToken(120);
    const ids: string[] = [];
    for (const [page, count] of [
      [1, 50],
      [2, 50],
      [3, 20],
    ] as const) {
      const { status, body } = await cfJson<RawMember[]>(
        `/accounts/${accountId}/members?per_page=50&page=${page}`,
        token,
      );
      expect(status).toBe(200);
      expect(body.success).toBe(true);
      expect(body.result_info).toEqual({ page, per_page: 50, count, total_count: 120, total_pages: 3 });
      ids.push(...body.result.map((m) => m.id as string));
    }
    expect(ids).toEqual((await storedMembers(accountId)).map((m) => m.id));

    const past = await cfJson<RawMember[]>(`/accounts/${accountId}/members?per_page=50&page=4`, token);
    expect(past.status).toBe(200);
    expect(past.body.result).toEqual([]);
    expect(past.body.result_info).toEqual({
      page: 4,
      per_page: 50,
      count: 0,
      total_count: 120,
      total_pages: 3,
    });
  });

  it("defaults to 20 per page", async () => {
    const { accountId, token } = await accountWithToken(25);
    const { body } = await cfJson<RawMember[]>(`/accounts/${accountId}/members`, token);
    expect(body.result).toHaveLength(20);
    expect(body.result_info).toEqual({ page: 1, per_page: 20, count: 20, total_count: 25, total_pages: 2 });
  });

  it.each(["51", "4", "abc"])("refuses per_page=%s with 400 code 1001", async (perPage) => {
    const { accountId, token } = await accountWithToken(5);
    const { status, body } = await cfJson(`/accounts/${accountId}/members?per_page=${perPage}`, token);
    expect(status).toBe(400);
    expect(body).toEqual({
      success: false,
      errors: [{ code: 1001, message: "per_page must be between 5 and 50" }],
      messages: [],
      result: null,
    });
  });

  it("serves stored raw members exactly, nulls and missing fields included", async () => {
    const odd: RawMember[] = [
      {
        id: randomId(),
        email: "b@x.example",
        status: "pending",
        user: { email: "b@x.example", first_name: null },
      },
      { id: randomId(), status: "accepted", user: { email: "a@x.example" }, roles: null, policies: null },
      { email: "no-id@x.example" },
    ];
    const accountId = await createAccount({ members: odd });
    const token = await createToken({ kind: "user", accountIds: [accountId] });
    const { body } = await cfJson<RawMember[]>(`/accounts/${accountId}/members`, token);
    expect(body.result).toEqual(odd);
  });

  it("orders by user.email (falling back to email) and filters by status", async () => {
    const { accountId, token } = await accountWithToken(60);
    const stored = await storedMembers(accountId);
    const byEmail = [...stored].sort((a, b) =>
      emailOf(a) < emailOf(b) ? -1 : emailOf(a) > emailOf(b) ? 1 : 0,
    );

    const asc = await cfJson<RawMember[]>(
      `/accounts/${accountId}/members?per_page=50&order=user.email`,
      token,
    );
    expect(asc.body.result.map((m) => m.id)).toEqual(byEmail.slice(0, 50).map((m) => m.id));
    const desc = await cfJson<RawMember[]>(
      `/accounts/${accountId}/members?per_page=50&order=user.email&direction=desc`,
      token,
    );
    expect(desc.body.result.map((m) => m.id)).toEqual(
      [...byEmail]
        .reverse()
        .slice(0, 50)
        .map((m) => m.id),
    );

    const pending = stored.filter((m) => m.status === "pending");
    const filtered = await cfJson<RawMember[]>(
      `/accounts/${accountId}/members?per_page=50&status=pending`,
      token,
    );
    expect(filtered.body.result.map((m) => m.id)).toEqual(pending.map((m) => m.id));
    expect(filtered.body.result_info?.total_count).toBe(pending.length);
  });

  it("reflects control-API changes to members on the next read", async () => {
    const { accountId, token } = await accountWithToken(3);
    const [first, second] = (await storedMembers(accountId)) as [RawMember, RawMember, RawMember];
    const patched = await controlJson<{ member: RawMember }>(
      "PATCH",
      `/accounts/${accountId}/members/${first.id}`,
      { user: { first_name: "Renamed" }, roles: [] },
    );
    expect(patched.member.user).toMatchObject({
      first_name: "Renamed",
      email: (first.user as RawMember).email,
    });
    expect(patched.member.roles).toEqual([]);
    expect((await control("DELETE", `/accounts/${accountId}/members/${second.id}`)).status).toBe(204);
    await controlJson("POST", `/accounts/${accountId}/members`, {
      members: [{ id: randomId(), email: "n@x.example" }],
    });

    const { body } = await cfJson<RawMember[]>(`/accounts/${accountId}/members?order=user.first_name`, token);
    expect(body.result_info?.total_count).toBe(3);
    expect(body.result.find((m) => m.id === first.id)?.user).toMatchObject({ first_name: "Renamed" });

    await controlJson("PUT", `/accounts/${accountId}/members`, { members: [] });
    expect((await cfJson<RawMember[]>(`/accounts/${accountId}/members`, token)).body.result).toEqual([]);
  });
});

describe("members list serving switches", () => {
  it("serves fewer members than asked with servePerPage, and says so in result_info.per_page", async () => {
    const accountId = await createAccount({ generateMembers: 45, servePerPage: 15 });
    const token = await createToken({ kind: "user", accountIds: [accountId] });
    const stored = (await storedMembers(accountId)).map((m) => m.id);
    const ids: unknown[] = [];
    for (const page of [1, 2, 3]) {
      const { body } = await cfJson<RawMember[]>(
        `/accounts/${accountId}/members?per_page=20&page=${page}`,
        token,
      );
      expect(body.result).toHaveLength(15);
      expect(body.result_info).toEqual({ page, per_page: 15, count: 15, total_count: 45, total_pages: 3 });
      ids.push(...body.result.map((m) => m.id));
    }
    expect(ids).toEqual(stored);
    const past = await cfJson<RawMember[]>(`/accounts/${accountId}/members?per_page=20&page=4`, token);
    expect(past.body.result).toEqual([]);
    // Asking for less than the cap is served as asked; the default page (20) is capped too.
    const small = await cfJson(`/accounts/${accountId}/members?per_page=10`, token);
    expect(small.body.result_info).toMatchObject({ per_page: 10, count: 10, total_pages: 5 });
    const byDefault = await cfJson(`/accounts/${accountId}/members`, token);
    expect(byDefault.body.result_info).toMatchObject({ per_page: 15, count: 15 });

    const patched = await controlJson<Record<string, unknown>>("PATCH", `/accounts/${accountId}`, {
      servePerPage: null,
    });
    expect(patched.servePerPage).toBeNull();
    const asAsked = await cfJson(`/accounts/${accountId}/members?per_page=20`, token);
    expect(asAsked.body.result_info).toEqual({
      page: 1,
      per_page: 20,
      count: 20,
      total_count: 45,
      total_pages: 3,
    });
  });

  it("leaves out total_pages, or every total, with resultInfo", async () => {
    const accountId = await createAccount({ generateMembers: 12, resultInfo: "no_totals" });
    const token = await createToken({ kind: "user", accountIds: [accountId] });
    const noTotals = await cfJson(`/accounts/${accountId}/members?per_page=5&page=3`, token);
    expect(noTotals.body.result_info).toEqual({ page: 3, per_page: 5, count: 2 });

    await controlJson("PATCH", `/accounts/${accountId}`, { resultInfo: "no_total_pages" });
    const noPages = await cfJson(`/accounts/${accountId}/members?per_page=5`, token);
    expect(noPages.body.result_info).toEqual({ page: 1, per_page: 5, count: 5, total_count: 12 });

    await controlJson("PATCH", `/accounts/${accountId}`, { resultInfo: "full" });
    const full = await cfJson(`/accounts/${accountId}/members?per_page=5`, token);
    expect(full.body.result_info).toEqual({
      page: 1,
      per_page: 5,
      count: 5,
      total_count: 12,
      total_pages: 3,
    });
  });

  it("serves nested lists reversed with nestedOrder, leaving the stored member as it was", async () => {
    const member: RawMember = {
      id: randomId(),
      user: { email: "order@x.example" },
      status: "accepted",
      policies: [
        {
          id: "p1",
          access: "allow",
          permission_groups: [{ id: "g1" }, { id: "g2" }],
          resource_groups: [
            { id: "r1", scope: { key: "k", objects: [{ key: "*" }] } },
            { id: "r2", scope: { key: "k", objects: [{ key: "*" }] } },
          ],
        },
        { id: "p2", access: "deny", permission_groups: [{ id: "g3" }], resource_groups: [] },
      ],
      roles: [{ id: "a" }, { id: "b" }],
    };
    const accountId = await createAccount({ members: [member], nestedOrder: "reversed" });
    const token = await createToken({ kind: "user", accountIds: [accountId] });
    const { body } = await cfJson<RawMember[]>(`/accounts/${accountId}/members`, token);
    const served = body.result[0] as RawMember;
    expect(served.roles).toEqual([{ id: "b" }, { id: "a" }]);
    const policies = served.policies as RawMember[];
    expect(policies.map((p) => p.id)).toEqual(["p2", "p1"]);
    const second = policies[1] as RawMember;
    expect((second.permission_groups as RawMember[]).map((g) => g.id)).toEqual(["g2", "g1"]);
    expect((second.resource_groups as RawMember[]).map((g) => g.id)).toEqual(["r2", "r1"]);
    expect(await storedMembers(accountId)).toEqual([member]);

    await controlJson("PATCH", `/accounts/${accountId}`, { nestedOrder: "stored" });
    expect((await cfJson<RawMember[]>(`/accounts/${accountId}/members`, token)).body.result).toEqual([
      member,
    ]);
  });

  it("answers an empty page with result null under emptyResult: null", async () => {
    const accountId = await createAccount({ generateMembers: 3, emptyResult: "null" });
    const token = await createToken({ kind: "user", accountIds: [accountId] });
    expect((await cfJson<unknown[]>(`/accounts/${accountId}/members`, token)).body.result).toHaveLength(3);
    const past = await cfJson(`/accounts/${accountId}/members?page=2`, token);
    expect(past.status).toBe(200);
    expect(past.body.result).toBeNull();
    expect(past.body.result_info).toEqual({
      page: 2,
      per_page: 20,
      count: 0,
      total_count: 3,
      total_pages: 1,
    });
  });

  it("serves members without roles, policies, status or email keys as stored, and filters rejected", async () => {
    const bare: RawMember = { id: randomId(), user: { email: "bare@x.example" } };
    const policiesOnly: RawMember = {
      id: randomId(),
      user: { email: "policies@x.example" },
      status: "accepted",
      api_access_enabled: false,
      policies: [],
    };
    const rejected: RawMember = {
      id: randomId(),
      user: { email: "gone@x.example", first_name: null, last_name: null },
      status: "rejected",
      api_access_enabled: null,
      roles: [],
    };
    const accountId = await createAccount({ members: [bare, policiesOnly, rejected] });
    const token = await createToken({ kind: "user", accountIds: [accountId] });
    const all = await cfJson<RawMember[]>(`/accounts/${accountId}/members`, token);
    expect(all.body.result).toEqual([bare, policiesOnly, rejected]);
    expect(all.body.result[0]).not.toHaveProperty("status");
    expect(all.body.result[1]).not.toHaveProperty("roles");
    const onlyRejected = await cfJson<RawMember[]>(`/accounts/${accountId}/members?status=rejected`, token);
    expect(onlyRejected.body.result).toEqual([rejected]);
    expect(onlyRejected.body.result_info).toMatchObject({ count: 1, total_count: 1 });
  });

  it("refuses serving switches out of range", async () => {
    expect((await control("POST", "/accounts", { name: "X", servePerPage: 4 })).status).toBe(400);
    expect((await control("POST", "/accounts", { name: "X", resultInfo: "some" })).status).toBe(400);
    const id = await createAccount();
    expect((await control("PATCH", `/accounts/${id}`, { servePerPage: 51 })).status).toBe(400);
    expect((await control("PATCH", `/accounts/${id}`, { nestedOrder: "random" })).status).toBe(400);
  });
});

describe("accounts", () => {
  it("lists a user token's accounts, filtered by name and paged with total_pages", async () => {
    const tag = randomId().slice(0, 8);
    const ids = [];
    for (const name of [
      `Zeta ${tag}`,
      `Alpha ${tag}`,
      `Mid ${tag}`,
      `Other`,
      `Beta ${tag}`,
      `Gamma ${tag}`,
    ]) {
      ids.push(await createAccount({ name }));
    }
    const token = await createToken({ kind: "user", accountIds: ids });
    const all = await cfJson<{ name: string }[]>(
      `/accounts?name=${tag.toUpperCase()}&direction=asc&per_page=5`,
      token,
    );
    expect(all.body.result.map((a) => a.name)).toEqual(
      ["Alpha", "Beta", "Gamma", "Mid", "Zeta"].map((n) => `${n} ${tag}`),
    );
    expect(all.body.result_info).toEqual({ page: 1, per_page: 5, count: 5, total_count: 5, total_pages: 1 });
    const second = await cfJson<unknown[]>(`/accounts?per_page=5&page=2`, token);
    expect(second.body.result_info).toEqual({
      page: 2,
      per_page: 5,
      count: 1,
      total_count: 6,
      total_pages: 2,
    });
  });

  it("repeats the same one-account page for every page number with an account-owned token", async () => {
    const accountId = await createAccount({ name: "Owned", type: "enterprise", enforceTwoFactor: true });
    const token = await createToken({ kind: "account", accountIds: [accountId] });
    const pages = [];
    for (const page of [1, 2, 3]) {
      const { status, body } = await cfJson(`/accounts?page=${page}`, token);
      expect(status).toBe(200);
      expect(body.result_info).toEqual({ page, per_page: 20, count: 1, total_count: 1, total_pages: 1 });
      pages.push(body.result);
    }
    expect(pages[1]).toEqual(pages[0]);
    expect(pages[2]).toEqual(pages[0]);
    expect(pages[0]).toEqual([
      {
        id: accountId,
        name: "Owned",
        type: "enterprise",
        settings: { enforce_twofactor: true, abuse_contact_email: null },
        created_on: expect.any(String),
      },
    ]);
  });

  it("refuses /accounts to an account-owned token in reject mode", async () => {
    const accountId = await createAccount();
    const token = await createToken({ kind: "account", accountIds: [accountId], accountsList: "reject" });
    const { status, body } = await cfJson("/accounts", token);
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      { code: 1001, message: "List accounts endpoint does not support account owned tokens." },
    ]);
  });

  it("returns one account, 404 for an unknown id and 403 without access", async () => {
    const { accountId, token } = await accountWithToken();
    const mine = await cfJson<{ id: string }>(`/accounts/${accountId}`, token);
    expect(mine.status).toBe(200);
    expect(mine.body.result.id).toBe(accountId);

    const unknown = randomId();
    const missing = await cfJson(`/accounts/${unknown}`, token);
    expect(missing.status).toBe(404);
    expect(missing.body.errors).toEqual([
      {
        code: 7003,
        message: `Could not route to /accounts/${unknown}, perhaps your object identifier is invalid?`,
      },
      { code: 7000, message: "No route for that URI" },
    ]);

    const other = await createAccount();
    const foreign = await cfJson(`/accounts/${other}`, token);
    expect(foreign.status).toBe(403);
    expect(foreign.body.errors).toEqual([{ code: 10000, message: "Authentication error" }]);
  });
});

describe("tokens and auth", () => {
  it("verifies a user token only on /user/tokens/verify", async () => {
    const { accountId, token } = await accountWithToken();
    const user = await cfJson<{ id: string; status: string }>("/user/tokens/verify", token);
    expect(user.status).toBe(200);
    expect(user.body.result).toEqual({ id: expect.stringMatching(/^[0-9a-f]{32}$/), status: "active" });
    expect(user.body.messages).toEqual([{ code: 10000, message: "This API Token is valid and active" }]);

    const account = await cfJson(`/accounts/${accountId}/tokens/verify`, token);
    expect(account.status).toBe(401);
    expect(account.body.errors).toEqual([{ code: 1000, message: "Invalid API Token" }]);
  });

  it("verifies an account-owned token only on its own account's verify endpoint", async () => {
    const accountId = await createAccount();
    const expiresOn = new Date(Date.now() + 86_400_000).toISOString();
    const token = await createToken({ kind: "account", accountIds: [accountId], expiresOn });
    expect(token).toMatch(/^cfat_[A-Za-z0-9]{40}$/);

    const own = await cfJson<Record<string, string>>(`/accounts/${accountId}/tokens/verify`, token);
    expect(own.status).toBe(200);
    expect(own.body.result).toMatchObject({ status: "active", expires_on: expiresOn });

    const other = await cfJson(`/accounts/${await createAccount()}/tokens/verify`, token);
    expect(other.status).toBe(401);
    const user = await cfJson("/user/tokens/verify", token);
    expect(user.status).toBe(401);
    expect(user.body.errors).toEqual([{ code: 1000, message: "Invalid API Token" }]);
  });

  it("verifies disabled and expired user tokens with their status, but refuses them elsewhere", async () => {
    const { accountId, token } = await accountWithToken(1, { status: "disabled" });
    expect((await cfJson<{ status: string }>("/user/tokens/verify", token)).body.result.status).toBe(
      "disabled",
    );
    const members = await cfJson(`/accounts/${accountId}/members`, token);
    expect(members.status).toBe(401);
    expect(members.body.errors).toEqual([{ code: 1000, message: "Invalid API Token" }]);

    const lapsed = await createToken({
      kind: "user",
      accountIds: [accountId],
      expiresOn: "2020-01-01T00:00:00Z",
    });
    const verify = await cfJson<{ status: string }>("/user/tokens/verify", lapsed);
    expect(verify.status).toBe(200);
    expect(verify.body.result.status).toBe("expired");
    expect((await cf(`/accounts/${accountId}`, lapsed)).status).toBe(401);
  });

  it("answers 401 code 1000 to a revoked token everywhere", async () => {
    const { accountId, token } = await accountWithToken(1);
    await controlJson("PATCH", `/tokens/${token}`, { revoked: true });
    for (const path of ["/user/tokens/verify", `/accounts/${accountId}/members`, "/accounts"]) {
      const { status, body } = await cfJson(path, token);
      expect(status).toBe(401);
      expect(body.errors).toEqual([{ code: 1000, message: "Invalid API Token" }]);
    }
  });

  it("accepts unprefixed legacy token values", async () => {
    const value = `legacy${randomId()}`;
    const accountId = await createAccount();
    expect(await createToken({ kind: "user", accountIds: [accountId], value })).toBe(value);
    expect((await cf("/user/tokens/verify", value)).status).toBe(200);
  });

  it("answers 400 code 6003 with error_chain 6111 without an Authorization header", async () => {
    const { status, body } = await cfJson("/user/tokens/verify");
    expect(status).toBe(400);
    expect(body).toEqual({
      success: false,
      errors: [
        {
          code: 6003,
          message: "Invalid request headers",
          error_chain: [{ code: 6111, message: "Invalid format for Authorization header" }],
        },
      ],
      messages: [],
      result: null,
    });
  });

  it("answers 403 code 10000 to a token lacking Account Settings Read", async () => {
    const { accountId, token } = await accountWithToken(1, { permissions: { accountSettingsRead: false } });
    for (const path of [`/accounts/${accountId}/members`, `/accounts/${accountId}`]) {
      const { status, body } = await cfJson(path, token);
      expect(status).toBe(403);
      expect(body.errors).toEqual([{ code: 10000, message: "Authentication error" }]);
    }
    await controlJson("PATCH", `/tokens/${token}`, { permissions: { accountSettingsRead: true } });
    expect((await cf(`/accounts/${accountId}/members`, token)).status).toBe(200);
  });

  it("answers 404 with codes 7003 and 7000 to an unknown route", async () => {
    const { token } = await accountWithToken();
    const { status, body } = await cfJson("/zones", token);
    expect(status).toBe(404);
    expect(body).toEqual({
      success: false,
      errors: [
        { code: 7003, message: "Could not route to /zones, perhaps your object identifier is invalid?" },
        { code: 7000, message: "No route for that URI" },
      ],
      messages: [],
      result: null,
    });
  });
});

describe("token restrictions and refusals", () => {
  it("refuses every request of an IP-filtered token with 403 code 9109, but verifies it", async () => {
    const { accountId, token } = await accountWithToken(3, { ipRestricted: true });
    const refused = {
      success: false,
      errors: [{ code: 9109, message: "Cannot use the access token from location: 203.0.113.7" }],
      messages: [],
      result: null,
    };
    for (const path of [`/accounts/${accountId}/members`, `/accounts/${accountId}`, "/accounts"]) {
      const { status, body } = await cfJson(path, token);
      expect(status).toBe(403);
      expect(body).toEqual(refused);
    }
    // Cloudflare documents that IP filtering is not applied to the verify endpoint.
    const verify = await cfJson<{ status: string }>("/user/tokens/verify", token);
    expect(verify.status).toBe(200);
    expect(verify.body.result.status).toBe("active");

    const summary = await controlJson<Record<string, unknown>>("PATCH", `/tokens/${token}`, {
      clientIp: "2001:db8::42",
    });
    expect(summary).toMatchObject({ ipRestricted: true, clientIp: "2001:db8::42" });
    expect((await cfJson(`/accounts/${accountId}/members`, token)).body.errors).toEqual([
      { code: 9109, message: "Cannot use the access token from location: 2001:db8::42" },
    ]);
    await controlJson("PATCH", `/tokens/${token}`, { ipRestricted: false });
    expect((await cf(`/accounts/${accountId}/members`, token)).status).toBe(200);
  });

  it("verifies an IP-filtered account-owned token on its account's verify endpoint too", async () => {
    const accountId = await createAccount();
    const token = await createToken({ kind: "account", accountIds: [accountId], ipRestricted: true });
    expect((await cf(`/accounts/${accountId}/tokens/verify`, token)).status).toBe(200);
    expect((await cf(`/accounts/${accountId}/members`, token)).status).toBe(403);
  });

  it("still answers 401 code 1000 before the IP filter to a revoked token", async () => {
    const { accountId, token } = await accountWithToken(1, { ipRestricted: true });
    await controlJson("PATCH", `/tokens/${token}`, { revoked: true });
    const { status, body } = await cfJson(`/accounts/${accountId}/members`, token);
    expect(status).toBe(401);
    expect(body.errors).toEqual([{ code: 1000, message: "Invalid API Token" }]);
  });

  it("answers a missing permission with 403 code 9109 under forbiddenCode 9109", async () => {
    const { accountId, token } = await accountWithToken(1, {
      permissions: { accountSettingsRead: false },
      forbiddenCode: 9109,
    });
    for (const path of [`/accounts/${accountId}/members`, `/accounts/${accountId}`]) {
      const { status, body } = await cfJson(path, token);
      expect(status).toBe(403);
      expect(body).toEqual({
        success: false,
        errors: [{ code: 9109, message: "Unauthorized to access requested resource" }],
        messages: [],
        result: null,
      });
    }
    const foreign = await cfJson(`/accounts/${await createAccount()}/members`, token);
    expect(foreign.status).toBe(403);
    expect(foreign.body.errors[0]?.code).toBe(9109);
    await controlJson("PATCH", `/tokens/${token}`, { forbiddenCode: 10000 });
    expect((await cfJson(`/accounts/${accountId}/members`, token)).body.errors).toEqual([
      { code: 10000, message: "Authentication error" },
    ]);
  });

  it("answers an unknown account's members with 7003 naming the path, then 7000", async () => {
    const { token } = await accountWithToken();
    const unknown = randomId();
    const { status, body } = await cfJson(`/accounts/${unknown}/members?per_page=5`, token);
    expect(status).toBe(404);
    expect(body).toEqual({
      success: false,
      errors: [
        {
          code: 7003,
          message: `Could not route to /accounts/${unknown}/members, perhaps your object identifier is invalid?`,
        },
        { code: 7000, message: "No route for that URI" },
      ],
      messages: [],
      result: null,
    });
  });

  it("refuses invalid restrictions", async () => {
    const base = { kind: "user", accountIds: [] };
    expect((await control("POST", "/tokens", { ...base, clientIp: "not-an-ip" })).status).toBe(400);
    expect((await control("POST", "/tokens", { ...base, forbiddenCode: 1000 })).status).toBe(400);
    expect((await control("POST", "/tokens", { ...base, ipRestricted: "yes" })).status).toBe(400);
  });
});

describe("rate limit", () => {
  it("throttles a token past its limit with 429 code 971, Retry-After and Ratelimit headers", async () => {
    const { token } = await accountWithToken(0, { rateLimit: { limit: 5, windowSeconds: 60 } });
    for (let i = 1; i <= 5; i++) {
      const res = await cf("/user/tokens/verify", token);
      expect(res.status).toBe(200);
      expect(res.headers.get("Ratelimit")).toMatch(new RegExp(`^"default";r=${5 - i};t=\\d+$`));
      expect(res.headers.get("Ratelimit-Policy")).toBe('"default";q=5;w=60');
      expect(res.headers.get("Retry-After")).toBeNull();
    }
    const res = await cf("/user/tokens/verify", token);
    expect(res.status).toBe(429);
    expect(((await res.json()) as Envelope).errors).toEqual([
      { code: 971, message: "Please wait and consider throttling your request speed" },
    ]);
    const retryAfter = Number(res.headers.get("Retry-After"));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.headers.get("Ratelimit")).toBe(`"default";r=0;t=${retryAfter}`);
  });

  it("applies the documented default of 1200 requests per 300 s", async () => {
    const { token } = await accountWithToken();
    const res = await cf("/user/tokens/verify", token);
    expect(res.headers.get("Ratelimit")).toBe('"default";r=1199;t=300');
    expect(res.headers.get("Ratelimit-Policy")).toBe('"default";q=1200;w=300');
  });
});

describe("faults", () => {
  async function addFault(match: Record<string, unknown>, fault: Record<string, unknown>, times?: number) {
    const body = times === undefined ? { match, fault } : { match, fault, times };
    return (await controlJson<{ id: string }>("POST", "/faults", body)).id;
  }

  it("answers a status fault with its error envelope, only `times` times", async () => {
    const { accountId, token } = await accountWithToken(10);
    await addFault(
      { accountId, path: "members" },
      { kind: "status", status: 503, code: 10013, message: "down" },
      2,
    );
    for (let i = 0; i < 2; i++) {
      const { status, body } = await cfJson(`/accounts/${accountId}/members`, token);
      expect(status).toBe(503);
      expect(body).toEqual({
        success: false,
        errors: [{ code: 10013, message: "down" }],
        messages: [],
        result: null,
      });
    }
    expect((await cf(`/accounts/${accountId}/members`, token)).status).toBe(200);
    // Other routes of the same account were never affected.
    expect((await cf(`/accounts/${accountId}`, token)).status).toBe(200);
  });

  it("matches faults on page and token, newest first", async () => {
    const { accountId, token } = await accountWithToken(30);
    const other = await createToken({ kind: "user", accountIds: [accountId] });
    await addFault({ accountId, page: 2 }, { kind: "status", status: 500 });
    await addFault({ accountId, page: 2, token }, { kind: "status", status: 502 });
    expect((await cf(`/accounts/${accountId}/members?per_page=10&page=1`, token)).status).toBe(200);
    expect((await cf(`/accounts/${accountId}/members?per_page=10&page=2`, token)).status).toBe(502);
    expect((await cf(`/accounts/${accountId}/members?per_page=10&page=2`, other)).status).toBe(500);
  });

  it("serves a truncated JSON body for malformed_json", async () => {
    const { accountId, token } = await accountWithToken(5);
    await addFault({ accountId }, { kind: "malformed_json" }, 1);
    const res = await cf(`/accounts/${accountId}/members`, token);
    expect(res.status).toBe(200);
    await expect(res.json()).rejects.toThrow();
  });

  it("serves a non-array result, or members without ids, for invalid_schema", async () => {
    const { accountId, token } = await accountWithToken(5);
    await addFault({ accountId }, { kind: "invalid_schema" }, 1);
    const notArray = await cfJson(`/accounts/${accountId}/members`, token);
    expect(notArray.status).toBe(200);
    expect(notArray.body.result).toEqual({ oops: true });

    await addFault({ accountId }, { kind: "invalid_schema", shape: "missing_id" }, 1);
    const noIds = await cfJson<RawMember[]>(`/accounts/${accountId}/members`, token);
    expect(noIds.body.result).toHaveLength(5);
    for (const m of noIds.body.result) expect(m).not.toHaveProperty("id");
  });

  it("answers 429 with the fault's Retry-After for rate_limit", async () => {
    const { accountId, token } = await accountWithToken(5);
    await addFault({ token }, { kind: "rate_limit", retryAfter: 42 }, 1);
    const res = await cf(`/accounts/${accountId}/members`, token);
    expect(res.status).toBe(429);
    expect(res.headers.get("Retry-After")).toBe("42");
    expect(((await res.json()) as Envelope).errors[0]?.code).toBe(971);
  });

  it("holds the answer for a timeout fault so the caller's timeout fires", async () => {
    const { accountId, token } = await accountWithToken(5);
    await addFault({ accountId }, { kind: "timeout", ms: 1500 }, 1);
    await expect(
      cf(`/accounts/${accountId}/members`, token, { signal: AbortSignal.timeout(100) }),
    ).rejects.toThrow();
    expect((await cf(`/accounts/${accountId}/members`, token)).status).toBe(200);
  });

  it("makes fetch reject for a reset fault", async () => {
    const { accountId, token } = await accountWithToken(5);
    await addFault({ accountId, path: "members" }, { kind: "reset" }, 1);
    await expect(cf(`/accounts/${accountId}/members`, token)).rejects.toThrow("Network connection lost.");
    expect((await cf(`/accounts/${accountId}/members`, token)).status).toBe(200);
    const { requests } = await controlJson<{ requests: { status: number; fault?: string }[] }>(
      "GET",
      `/requests?accountId=${accountId}`,
    );
    expect(requests.map((r) => [r.status, r.fault])).toEqual([
      [0, "reset"],
      [200, undefined],
    ]);
  });

  it("shifts result_info.total_count by delta for total_count", async () => {
    const { accountId, token } = await accountWithToken(12);
    await addFault({ accountId }, { kind: "total_count", delta: 100 });
    const { body } = await cfJson<RawMember[]>(`/accounts/${accountId}/members?per_page=5`, token);
    expect(body.result).toHaveLength(5);
    expect(body.result_info?.total_count).toBe(112);
    // The page count goes with the (wrong) total, as a server believing it would report.
    expect(body.result_info?.total_pages).toBe(23);
  });

  it("removes faults by id and by account", async () => {
    const { accountId, token } = await accountWithToken(5);
    const id = await addFault({ accountId }, { kind: "status", status: 500 });
    expect((await control("DELETE", `/faults/${id}`)).status).toBe(204);
    expect((await cf(`/accounts/${accountId}/members`, token)).status).toBe(200);

    await addFault({ accountId }, { kind: "status", status: 500 });
    await addFault({ accountId, path: "account" }, { kind: "status", status: 500 });
    expect(await controlJson("DELETE", `/faults?accountId=${accountId}`)).toEqual({ cleared: 2 });
    expect((await cf(`/accounts/${accountId}/members`, token)).status).toBe(200);
    expect((await control("DELETE", "/faults")).status).toBe(400);
  });

  it("answers 7003 and 7000 at 400 or 404 for a no_route fault", async () => {
    const { accountId, token } = await accountWithToken(5);
    await addFault({ accountId, path: "members" }, { kind: "no_route", status: 400 }, 1);
    const bad = await cfJson(`/accounts/${accountId}/members`, token);
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      success: false,
      errors: [
        {
          code: 7003,
          message: `Could not route to /accounts/${accountId}/members, perhaps your object identifier is invalid?`,
        },
        { code: 7000, message: "No route for that URI" },
      ],
      messages: [],
      result: null,
    });
    await addFault({ accountId, path: "account" }, { kind: "no_route" }, 1);
    const missing = await cfJson(`/accounts/${accountId}`, token);
    expect(missing.status).toBe(404);
    expect(missing.body.errors.map((e) => e.code)).toEqual([7003, 7000]);
    expect((await cf(`/accounts/${accountId}/members`, token)).status).toBe(200);
  });

  it("gives a status fault naming a known code the recorded message", async () => {
    const { accountId, token } = await accountWithToken(1);
    await addFault({ accountId }, { kind: "status", status: 403, code: 9109 }, 1);
    await addFault({ accountId }, { kind: "status", status: 403, code: 10000 }, 1);
    expect((await cfJson(`/accounts/${accountId}/members`, token)).body.errors).toEqual([
      { code: 10000, message: "Authentication error" },
    ]);
    expect((await cfJson(`/accounts/${accountId}/members`, token)).body.errors).toEqual([
      { code: 9109, message: "Unauthorized to access requested resource" },
    ]);
    await addFault({ accountId }, { kind: "status", status: 500 }, 1);
    expect((await cfJson(`/accounts/${accountId}/members`, token)).body.errors).toEqual([
      { code: 10000, message: "Internal Server Error" },
    ]);
  });

  it("refuses an unknown fault kind", async () => {
    expect((await control("POST", "/faults", { match: {}, fault: { kind: "nope" } })).status).toBe(400);
  });
});

describe("request log", () => {
  it("records every Cloudflare request of a token in order, faulted ones included", async () => {
    const { accountId, token } = await accountWithToken(5);
    await controlJson("POST", "/faults", {
      match: { token },
      fault: { kind: "status", status: 500 },
      times: 1,
    });
    await cf(`/accounts/${accountId}/members?per_page=5`, token);
    await cf(`/accounts/${accountId}/members?per_page=5&page=2`, token);
    await cf("/user/tokens/verify", token);
    const { requests } = await controlJson<{ requests: Record<string, unknown>[] }>(
      "GET",
      `/requests?token=${encodeURIComponent(token)}`,
    );
    expect(requests.map((r) => [r.method, r.path, r.query, r.status])).toEqual([
      ["GET", `/client/v4/accounts/${accountId}/members`, "per_page=5", 500],
      ["GET", `/client/v4/accounts/${accountId}/members`, "per_page=5&page=2", 200],
      ["GET", "/client/v4/user/tokens/verify", "", 200],
    ]);
    expect(requests[0]?.at).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));

    const byAccount = await controlJson<{ requests: unknown[] }>("GET", `/requests?accountId=${accountId}`);
    expect(byAccount.requests).toHaveLength(2);
  });
});

describe("control API", () => {
  it("creates accounts with a chosen id, refuses duplicates and renames", async () => {
    const id = randomId();
    expect(await createAccount({ id, name: "Before" })).toBe(id);
    expect((await control("POST", "/accounts", { id, name: "Again" })).status).toBe(409);
    await controlJson("PATCH", `/accounts/${id}`, { name: "After", enforceTwoFactor: true });
    const token = await createToken({ kind: "user", accountIds: [id] });
    const { body } = await cfJson<{ name: string; settings: { enforce_twofactor: boolean } }>(
      `/accounts/${id}`,
      token,
    );
    expect(body.result.name).toBe("After");
    expect(body.result.settings.enforce_twofactor).toBe(true);
  });

  it("refuses invalid bodies with 400", async () => {
    expect((await control("POST", "/accounts", { name: 3 })).status).toBe(400);
    expect((await control("POST", "/tokens", { kind: "account", accountIds: [] })).status).toBe(400);
  });

  it("generates user tokens in the cfut_ format", async () => {
    expect(await createToken({ kind: "user", accountIds: [] })).toMatch(/^cfut_[A-Za-z0-9]{40}$/);
  });
});

describe("in-process simulator", () => {
  it("serves the seeded demo organizations to the demo tokens", async () => {
    const sim = createSimulator({ seed: true });
    const get = (path: string, token: string) =>
      sim.fetch(new Request(`${API}${path}`, { headers: { Authorization: `Bearer ${token}` } }));
    const accounts = (await (await get("/accounts", DEMO.tokens.userReadOnly.value)).json()) as Envelope<
      { id: string }[]
    >;
    expect(accounts.result.map((a) => a.id)).toEqual([DEMO.accounts.acme.id, DEMO.accounts.globex.id]);
    const members = (await (
      await get(
        `/accounts/${DEMO.accounts.acme.id}/members?per_page=50&page=3`,
        DEMO.tokens.userReadOnly.value,
      )
    ).json()) as Envelope<RawMember[]>;
    expect(members.result_info?.total_count).toBe(DEMO.accounts.acme.members);
    expect(members.result.some((m) => !("roles" in m) && Array.isArray(m.policies))).toBe(true);
    expect(
      members.result.every((m) => !("email" in m) && typeof (m.user as RawMember).email === "string"),
    ).toBe(true);
    expect((await get("/user/tokens/verify", DEMO.tokens.revoked.value)).status).toBe(401);
    expect(
      (await get(`/accounts/${DEMO.accounts.acme.id}/members`, DEMO.tokens.acmeNoPermission.value)).status,
    ).toBe(403);
    const owned = await get(
      `/accounts/${DEMO.accounts.globex.id}/tokens/verify`,
      DEMO.tokens.globexAccountOwned.value,
    );
    expect(owned.status).toBe(200);
    for (const t of Object.values(DEMO.tokens)) expect(t.value).toMatch(/^cf(ut|at)_[A-Za-z0-9]{40}$/);
  });

  it("keeps a changed member and every token across a restart through snapshot and restore (the demo's state file)", async () => {
    const before = createSimulator({ seed: true });
    const member = `${SIMULATOR_ORIGIN}/__sim/accounts/${DEMO.accounts.acme.id}/members/a6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1`;
    const patched = await before.fetch(
      new Request(member, {
        method: "PATCH",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ user: { two_factor_authentication_enabled: true } }),
      }),
    );
    expect(patched.status).toBe(200);
    const saved = JSON.parse(JSON.stringify(before.state.snapshot()));

    const after = createSimulator();
    after.state.restore(saved);
    const list = async (sim: typeof before) => {
      const members: RawMember[] = [];
      for (let page = 1; page <= 3; page++) {
        const url = `${API}/accounts/${DEMO.accounts.acme.id}/members?per_page=50&page=${page}`;
        const headers = { Authorization: `Bearer ${DEMO.tokens.userReadOnly.value}` };
        members.push(
          ...((await (await sim.fetch(new Request(url, { headers }))).json()) as Envelope<RawMember[]>)
            .result,
        );
      }
      return { result: members };
    };
    const [was, is] = [await list(before), await list(after)];
    expect(is.result).toEqual(was.result);
    const changed = is.result.find((m) => m.id === "a6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1")!;
    expect((changed.user as RawMember).two_factor_authentication_enabled).toBe(true);
    expect([...after.state.tokens.keys()].sort()).toEqual([...before.state.tokens.keys()].sort());
    expect(after.state.tokens.get(DEMO.tokens.revoked.value)?.revoked).toBe(true);
  });

  it("waits latencyMs before answering", async () => {
    const sim = createSimulator({ latencyMs: 50 });
    const started = Date.now();
    const res = await sim.fetch(new Request(`${API}/user/tokens/verify`));
    expect(res.status).toBe(400);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it("rejects with TypeError from the Hono app on reset, and answers an unreadable response through fetch", async () => {
    const sim = createSimulator();
    await sim.fetch(
      new Request(`${SIMULATOR_ORIGIN}/__sim/faults`, {
        method: "POST",
        body: JSON.stringify({ match: { token: "x" }, fault: { kind: "reset" }, times: 2 }),
      }),
    );
    const request = () => new Request(`${API}/accounts`, { headers: { Authorization: "Bearer x" } });
    await expect(sim.app.fetch(request())).rejects.toThrow(new TypeError("Network connection lost."));
    const dropped = await sim.fetch(request());
    expect(dropped.headers.get("Content-Length")).not.toMatch(/^\d+$/);
    const log = (await (
      await sim.fetch(new Request(`${SIMULATOR_ORIGIN}/__sim/requests?token=x`))
    ).json()) as {
      requests: { status: number; fault: string }[];
    };
    expect(log.requests.map((r) => [r.status, r.fault])).toEqual([
      [0, "reset"],
      [0, "reset"],
    ]);
  });
});

describe("generateMembers", () => {
  it("generates 50,000 members with unique ids and emails, deterministically", () => {
    const accountId = randomId();
    const members = generateMembers(accountId, 50_000);
    expect(members).toHaveLength(50_000);
    expect(new Set(members.map((m) => m.id)).size).toBe(50_000);
    expect(new Set(members.map(emailOf)).size).toBe(50_000);
    for (const m of members) {
      expect(m.id).toMatch(/^[0-9a-f]{32}$/);
      // As in the recorded real answer, the email is only under `user`.
      expect(m).not.toHaveProperty("email");
      expect(emailOf(m)).toMatch(/^[a-z]+\.[a-z]+\.\d{5}@acct-[0-9a-f]{8}\.example$/);
    }
    expect(generateMembers(accountId, 100)).toEqual(members.slice(0, 100));
    expect(generateMembers(accountId, 10, { startIndex: 100 })).toEqual(members.slice(100, 110));
  });

  it("mixes the shapes a connector must handle", () => {
    const members = generateMembers(randomId(), 5_000);
    const share = (pred: (m: RawMember) => boolean) => members.filter(pred).length / members.length;
    const user = (m: RawMember) => m.user as RawMember;
    const pending = members.filter((m) => m.status === "pending");
    expect(pending.length / members.length).toBeGreaterThan(0.03);
    expect(pending.length / members.length).toBeLessThan(0.07);
    for (const m of pending) {
      expect(user(m)).not.toHaveProperty("id");
      expect(user(m).first_name).toBeNull();
      expect(user(m).last_name).toBeNull();
    }
    expect(share((m) => !("roles" in m))).toBeGreaterThan(0.05);
    expect(share((m) => !("policies" in m))).toBeGreaterThan(0.04);
    expect(share((m) => m.api_access_enabled === null)).toBeGreaterThan(0.8);
    expect(share((m) => m.api_access_enabled === true)).toBeGreaterThan(0.02);
    expect(share((m) => m.api_access_enabled === false)).toBeGreaterThan(0.02);
    expect(Object.keys(members[0] as RawMember).slice(0, 4)).toEqual([
      "id",
      "user",
      "status",
      "api_access_enabled",
    ]);
    expect(share((m) => !("two_factor_authentication_enabled" in user(m)))).toBeGreaterThan(0.005);
    expect(share((m) => user(m).two_factor_authentication_enabled === true)).toBeGreaterThan(0.4);
    expect(share((m) => user(m).two_factor_authentication_enabled === false)).toBeGreaterThan(0.2);
    const policy = members.find((m) => Array.isArray(m.policies))?.policies as RawMember[];
    expect(policy[0]).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      access: expect.stringMatching(/^(allow|deny)$/),
      permission_groups: [{ id: expect.any(String), name: expect.any(String), meta: expect.any(Object) }],
      resource_groups: [{ scope: { key: expect.stringMatching(/^com\.cloudflare\.api\.account\./) } }],
    });
  });

  it("gives permission groups their catalogue meta and resource groups a scope, as recorded", () => {
    const accountId = randomId();
    const policies = generateMembers(accountId, 500).flatMap(
      (m) => (m.policies as RawMember[] | undefined) ?? [],
    );
    const groups = policies.flatMap((p) => p.permission_groups as RawMember[]);
    for (const g of groups) {
      expect(g).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
        name: expect.any(String),
        meta: {
          description: expect.any(String),
          editable: "false",
          label: expect.stringMatching(/^[a-z0-9_]+$/),
          scopes: "com.cloudflare.api.account",
        },
      });
    }
    // The recorded catalogue entry, verbatim.
    expect(groups.find((g) => g.name === "Super Administrator - All Privileges")).toEqual({
      id: "8e23b19e4e0d44c29d239c5688ba8cbb",
      name: "Super Administrator - All Privileges",
      meta: {
        description:
          "Can edit any Cloudflare setting, make purchases, update billing, and manage memberships. Super Administrators can revoke the access of other Super Administrators.",
        editable: "false",
        label: "all_privileges",
        scopes: "com.cloudflare.api.account",
      },
    });
    const resourceGroups = policies.flatMap((p) => p.resource_groups as RawMember[]);
    expect(resourceGroups).toContainEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      name: `com.cloudflare.api.account.${accountId}`,
      meta: { editable: "false" },
      scope: { key: `com.cloudflare.api.account.${accountId}`, objects: [{ key: "*" }] },
    });
    for (const r of resourceGroups) {
      expect(r.scope).toEqual({
        key: `com.cloudflare.api.account.${accountId}`,
        objects: [{ key: expect.stringMatching(/^(\*|com\.cloudflare\.api\.account\.zone\.[0-9a-f]{32})$/) }],
      });
    }
    // Legacy role grants are spelled {read, edit}, as in real answers.
    const role = generateMembers(accountId, 50).find((m) => Array.isArray(m.roles))?.roles as RawMember[];
    expect(Object.values(role[0]?.permissions as Record<string, unknown>)[0]).toEqual({
      read: expect.any(Boolean),
      edit: expect.any(Boolean),
    });
  });
});
