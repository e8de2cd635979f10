import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { CSV_PAGE } from "../../src/http/accounts";
import { decodeBase64, decodeBase64Url } from "../../src/lib/base64";
import { decodeCursor } from "../../src/lib/cursor";
import { CURSOR_KEY_INFO, CURSOR_KEY_SALT } from "../../src/vault/keyring";
import { api, callWorker, walkPages } from "../support/api";
import { TEST_SECRETS } from "../support/constants";
import { expectError } from "../support/errors";
import { CONSOLE_ROUTES } from "../support/routes";
import { KEY_K1 } from "../support/secrets";
import { rawMember, setupAccount, sim, uniqueName } from "../support/simulator";
import { connectAndSync, syncNow } from "../support/sync";

const binaryOrder = (a: any, b: any) =>
  a.email < b.email ? -1 : a.email > b.email ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

// One synced account with a varied generated population, shared by the read-only tests below.
let integrationId: string;
let accountId: string;
let raw: any[];
const special = [
  rawMember(900001, {
    email: "special.obrien.x9@example.org",
    user: {
      id: "u900001",
      email: "special.obrien.x9@example.org",
      first_name: "O'Brien,",
      last_name: '"Jr"',
    },
  }),
  rawMember(900002, {
    email: "special.formula.x9@example.org",
    user: {
      id: "u900002",
      email: "special.formula.x9@example.org",
      first_name: '=HYPERLINK("http://evil.example","x")',
      last_name: "-2+3",
    },
  }),
  rawMember(900004, {
    email: "special.split.x9@example.org",
    user: {
      id: "u900004",
      email: "special.split.x9@example.org",
      first_name: "x;=1+2;",
      last_name: "|calc\u001b[2J\u0000",
    },
  }),
  rawMember(900003, {
    email: "percent_100%@example.com",
    user: {
      id: "u900003",
      email: "percent_100%@example.com",
      first_name: "Per%cent",
      last_name: "Under_score",
    },
  }),
];

beforeAll(async () => {
  const account = await setupAccount({ generateMembers: 230, members: special });
  accountId = account.accountId;
  const { integration } = await connectAndSync(account);
  integrationId = integration.id;
  raw = await sim.members(accountId);
});

describe("listing user accounts", () => {
  it("walks every page with small limits and returns every account once, in order", async () => {
    const { rows, pages } = await walkPages(`/v1/integrations/${integrationId}/accounts`, 7);
    expect(rows).toHaveLength(raw.length);
    expect(pages).toBe(Math.ceil(raw.length / 7));
    expect(new Set(rows.map((r) => r.id)).size).toBe(raw.length);
    expect([...rows].sort(binaryOrder)).toEqual(rows);
  });

  it("serves each account with exactly the documented fields", async () => {
    const page = await api("GET", `/v1/integrations/${integrationId}/accounts?q=special.obrien`);
    expect(page.body.data).toHaveLength(1);
    const account = page.body.data[0];
    expect(Object.keys(account)).toEqual([
      "id",
      "integrationId",
      "userId",
      "email",
      "firstName",
      "lastName",
      "name",
      "status",
      "roles",
      "policies",
      "access",
      "twoFactorEnabled",
      "apiAccessEnabled",
      "invitedAt",
      "invitedBy",
      "firstSeenAt",
      "lastSeenAt",
      "removedAt",
    ]);
    expect(account).toMatchObject({ name: `O'Brien, "Jr"`, removedAt: null, integrationId });
    const integration = await api("GET", `/v1/integrations/${integrationId}`);
    expect(account.lastSeenAt).toBe(integration.body.lastSuccessfulSyncAt);
  });

  it("filters by status, 2FA, role and text, alone and combined, matching the Cloudflare data", async () => {
    const email = (m: any) => (m.user?.email ?? m.email) as string;
    const name = (m: any) => `${m.user?.first_name ?? ""} ${m.user?.last_name ?? ""}`.toLowerCase();
    const has2fa = (m: any) => m.user?.two_factor_authentication_enabled === true;
    // Allowed by a role or a policy, and not denied by any policy (docs/cloudflare.md#access).
    const inPolicies = (m: any, role: string, denied: boolean) =>
      (m.policies ?? []).some(
        (p: any) =>
          (p.access === "deny") === denied &&
          (p.permission_groups ?? []).some((g: any) => g.name?.toLowerCase() === role.toLowerCase()),
      );
    const hasRole = (m: any, role: string) =>
      ((m.roles ?? []).some((r: any) => r.name.toLowerCase() === role.toLowerCase()) ||
        inPolicies(m, role, false)) &&
      !inPolicies(m, role, true);
    const someRole = raw.flatMap((m) => (m.roles ?? []).map((r: any) => r.name))[0] as string;
    const count = async (query: string) =>
      (await walkPages(`/v1/integrations/${integrationId}/accounts?${query}`, 500)).rows.length;

    expect(await count("status=pending")).toBe(raw.filter((m) => m.status === "pending").length);
    expect(await count("twoFactor=true")).toBe(raw.filter(has2fa).length);
    expect(await count("twoFactor=false")).toBe(raw.filter((m) => !has2fa(m)).length);
    expect(await count(`role=${encodeURIComponent(someRole.toUpperCase())}`)).toBe(
      raw.filter((m) => hasRole(m, someRole)).length,
    );
    expect(await count("q=EXAMPLE")).toBe(
      raw.filter((m) => email(m).includes("example") || name(m).includes("example")).length,
    );
    const combined = raw.filter((m) => m.status === "accepted" && !has2fa(m) && hasRole(m, someRole));
    expect(await count(`status=accepted&twoFactor=false&role=${encodeURIComponent(someRole)}`)).toBe(
      combined.length,
    );
    expect(combined.length).toBeGreaterThan(0);
  });

  it("treats % and _ in q as literal characters and SQL fragments as text", async () => {
    const percent = await api(
      "GET",
      `/v1/integrations/${integrationId}/accounts?q=${encodeURIComponent("%")}`,
    );
    expect(percent.body.data.map((a: any) => a.email)).toEqual(["percent_100%@example.com"]);
    const underscore = await api(
      "GET",
      `/v1/integrations/${integrationId}/accounts?q=${encodeURIComponent("r_s")}`,
    );
    expect(underscore.body.data.map((a: any) => a.email)).toEqual(["percent_100%@example.com"]);
    for (const q of [
      "' OR 1=1 --",
      '"; DROP TABLE user_accounts; --',
      "') UNION SELECT * FROM integrations --",
    ]) {
      const r = await api("GET", `/v1/integrations/${integrationId}/accounts?q=${encodeURIComponent(q)}`);
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual([]);
    }
    expect((await walkPages(`/v1/integrations/${integrationId}/accounts`, 500)).rows).toHaveLength(
      raw.length,
    );
    const quote = await api(
      "GET",
      `/v1/integrations/${integrationId}/accounts?q=${encodeURIComponent("o'brien,")}`,
    );
    expect(quote.body.data.map((a: any) => a.email)).toEqual(["special.obrien.x9@example.org"]);
  });

  it("refuses a tampered cursor, one from another integration and one from another query", async () => {
    const first = await api("GET", `/v1/integrations/${integrationId}/accounts?limit=5`);
    const cursor: string = first.body.nextCursor;
    const tampered = cursor.slice(0, -2) + (cursor.endsWith("AA") ? "BB" : "AA");
    expectError(
      await api("GET", `/v1/integrations/${integrationId}/accounts?cursor=${tampered}`),
      400,
      "validation_failed",
    );
    const other = await connectAndSync(await setupAccount({ generateMembers: 3 }));
    const foreign = await api(
      "GET",
      `/v1/integrations/${other.integration.id}/accounts?cursor=${encodeURIComponent(cursor)}`,
    );
    const error = expectError(foreign, 400, "validation_failed");
    expect(error.details.map((d) => d.path)).toEqual(["cursor"]);
    expectError(
      await api(
        "GET",
        `/v1/integrations/${integrationId}/accounts?status=pending&cursor=${encodeURIComponent(cursor)}`,
      ),
      400,
      "validation_failed",
    );
    expectError(
      await api("GET", `/v1/integrations/${integrationId}/accounts?cursor=garbage`),
      400,
      "validation_failed",
    );
  });

  it("names the parameter for every invalid value", async () => {
    for (const [query, path] of [
      ["limit=0", "limit"],
      ["limit=501", "limit"],
      ["limit=ten", "limit"],
      ["status=active", "status"],
      ["twoFactor=yes", "twoFactor"],
      ["includeRemoved=1", "includeRemoved"],
      ["format=xml", "format"],
    ]) {
      const error = expectError(
        await api("GET", `/v1/integrations/${integrationId}/accounts?${query}`),
        400,
        "validation_failed",
      );
      expect(error.details.map((d) => d.path)).toContain(path);
    }
    const unknown = await api("GET", "/v1/accounts?integrationId=nope");
    expect(expectError(unknown, 400, "validation_failed").details[0]!.path).toBe("integrationId");
    expectError(await api("GET", "/v1/integrations/nope/accounts"), 404, "not_found");
  });

  it("shows removed members only with includeRemoved", async () => {
    const account = await setupAccount({ members: [rawMember(1), rawMember(2)] });
    const { integration } = await connectAndSync(account);
    await sim.deleteMember(account.accountId, rawMember(2).id);
    await syncNow(integration.id);
    const current = await api("GET", `/v1/integrations/${integration.id}/accounts`);
    expect(current.body.data.map((a: any) => a.id)).toEqual([rawMember(1).id]);
    const all = await api("GET", `/v1/integrations/${integration.id}/accounts?includeRemoved=true`);
    expect(all.body.data).toHaveLength(2);
    const removed = all.body.data.find((a: any) => a.id === rawMember(2).id);
    expect(removed.removedAt).not.toBeNull();
    expect(removed.lastSeenAt < removed.removedAt).toBe(true);
  });

  it("lists across integrations as the sum of the per-integration lists", async () => {
    const second = await connectAndSync(await setupAccount({ generateMembers: 40 }), uniqueName("Second"));
    const all = (await walkPages("/v1/accounts", 97)).rows;
    const integrations = (await api("GET", "/v1/integrations")).body.data;
    let sum = 0;
    for (const i of integrations) {
      const own = (await walkPages(`/v1/integrations/${i.id}/accounts`, 500)).rows;
      sum += own.length;
      expect(all.filter((a) => a.integrationId === i.id)).toEqual(own);
    }
    expect(all).toHaveLength(sum);
    const only = (await walkPages(`/v1/accounts?integrationId=${second.integration.id}`, 500)).rows;
    expect(only).toHaveLength(40);
  });
});

describe("cursors", () => {
  const page1 = () => api("GET", `/v1/integrations/${integrationId}/accounts?limit=5`);
  const page2 = (cursor: string) =>
    `/v1/integrations/${integrationId}/accounts?limit=5&cursor=${encodeURIComponent(cursor)}`;

  it("reveal nothing about API_TOKEN: sealed with a key derived from ENCRYPTION_KEYS, opened under any admin token", async () => {
    const first = await page1();
    const cursor: string = first.body.nextCursor;
    // The key that opens it comes from the primary keyring key through HKDF, nothing else.
    const [primary] = TEST_SECRETS.ENCRYPTION_KEYS.split(",");
    const keyBytes = decodeBase64(primary!.slice(primary!.indexOf(":") + 1))!;
    const base = await crypto.subtle.importKey("raw", keyBytes, "HKDF", false, ["deriveKey"]);
    const derived = await crypto.subtle.deriveKey(
      {
        name: "HKDF",
        hash: "SHA-256",
        salt: new TextEncoder().encode(CURSOR_KEY_SALT),
        info: new TextEncoder().encode(CURSOR_KEY_INFO),
      },
      base,
      { name: "AES-GCM", length: 256 },
      false,
      ["decrypt", "encrypt"],
    );
    const last = first.body.data.at(-1);
    const scope = JSON.stringify([
      "accounts",
      {
        integrationId,
        status: null,
        twoFactor: null,
        pendingOlderThanDays: null,
        role: null,
        q: null,
        includeRemoved: false,
      },
    ]);
    expect(await decodeCursor([derived], scope, cursor)).toEqual([last.email, last.id, integrationId]);
    // Another admin token with the same keyring serves the same next page: API_TOKEN is no input.
    const otherAdmin = "another-admin-token-0123456789abcdef";
    const elsewhere = await callWorker({ API_TOKEN: otherAdmin }, "GET", page2(cursor), {
      token: otherAdmin,
    });
    const here = await api("GET", page2(cursor));
    expect(elsewhere.status, elsewhere.text).toBe(200);
    expect(elsewhere.body.data).toEqual(here.body.data);
    // No email, id or name of the page is readable in the cursor.
    const bytes = String.fromCharCode(...decodeBase64Url(cursor)!);
    for (const account of first.body.data) {
      for (const value of [account.email, account.id, account.firstName].filter(Boolean)) {
        expect(cursor).not.toContain(value);
        expect(bytes).not.toContain(value);
      }
    }
  });

  it("keep working while their key stays in ENCRYPTION_KEYS and end when it leaves", async () => {
    const cursor: string = (await page1()).body.nextCursor;
    const expected = (await api("GET", page2(cursor))).body.data;
    const newKey = `k3:${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
    const rotated = await callWorker(
      { ENCRYPTION_KEYS: `${newKey},${TEST_SECRETS.ENCRYPTION_KEYS}` },
      "GET",
      page2(cursor),
    );
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.body.data).toEqual(expected);
    // A cursor issued after the rotation is sealed with the new key.
    expect(rotated.body.nextCursor).not.toBeNull();
    const after = await callWorker({ ENCRYPTION_KEYS: newKey }, "GET", page2(rotated.body.nextCursor));
    expect(after.status, after.text).toBe(200);
    for (const keys of [newKey, KEY_K1]) {
      const ended = await callWorker({ ENCRYPTION_KEYS: keys }, "GET", page2(cursor));
      expect(expectError(ended, 400, "validation_failed").details.map((d) => d.path)).toEqual(["cursor"]);
    }
  });
});

describe("CSV export", () => {
  it("returns the whole filtered list with RFC 4180 quoting and formula neutralising", async () => {
    const r = await api("GET", `/v1/integrations/${integrationId}/accounts?format=csv&limit=1`);
    expect(r.status).toBe(200);
    expect(r.headers.get("Content-Type")).toMatch(/^text\/csv/);
    expect(r.headers.get("Content-Disposition")).toMatch(
      /^attachment; filename="cloudflare-accounts-production-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    const lines = r.text.split("\r\n");
    expect(lines[0]).toBe(
      "integration_id,id,user_id,email,first_name,last_name,name,status,roles,policies,two_factor_enabled,first_seen_at,last_seen_at,removed_at,access,api_access_enabled,invited_at,invited_by",
    );
    expect(lines.at(-1)).toBe("");
    expect(lines.length - 2).toBe(raw.length);
    const obrien = lines.find((l) => l.includes("special.obrien.x9@example.org"))!;
    expect(obrien).toContain(`"O'Brien,","""Jr""","O'Brien, ""Jr"""`);
    const formula = lines.find((l) => l.includes("special.formula.x9@example.org"))!;
    expect(formula).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")",'-2+3,`);
    expect(formula).not.toMatch(/,=|,"=/);
    // A cell a `;`-splitting spreadsheet would cut in two, DDE and terminal escapes.
    const split = lines.find((l) => l.includes("special.split.x9@example.org"))!;
    expect(split).toContain(",x;'=1+2;,'|calc[2J,");
    expect(r.text).not.toContain("\u0000");
    expect(r.text).not.toContain("\u001b");
  });

  it("exports every account exactly once across several internal pages, in list order", async () => {
    // Three and a half of the D1 pages the export streams, so stopping after any page shows.
    const members = CSV_PAGE * 3 + CSV_PAGE / 2;
    const big = await setupAccount({ generateMembers: members });
    const { integration } = await connectAndSync(big);
    const expected = (await sim.members(big.accountId)).map((m) => m.id).sort();
    for (const path of [
      `/v1/integrations/${integration.id}/accounts?format=csv`,
      `/v1/accounts?integrationId=${integration.id}&format=csv`,
    ]) {
      const r = await api("GET", path);
      expect(r.status, path).toBe(200);
      const rows = r.text.split("\r\n").slice(1, -1);
      expect(rows, path).toHaveLength(members);
      const ids = rows.map((row) => row.split(",")[1]!);
      expect(new Set(ids).size, path).toBe(members);
      expect([...ids].sort(), path).toEqual(expected);
      // In the list's order: the same ids, in the same order, as walking the JSON pages.
      const walked = await walkPages(path.replace("format=csv", "includeRemoved=false"), 500);
      expect(ids, path).toEqual(walked.rows.map((a) => a.id));
    }
  });

  it("honours Accept: text/csv and the filters", async () => {
    const r = await api("GET", `/v1/integrations/${integrationId}/accounts?status=pending`, {
      headers: { Accept: "text/csv" },
    });
    expect(r.headers.get("Content-Type")).toMatch(/^text\/csv/);
    expect(r.text.trimEnd().split("\r\n").length - 1).toBe(raw.filter((m) => m.status === "pending").length);
  });
});

describe("OpenAPI document", () => {
  it("documents every route the app serves", async () => {
    const doc = (await api("GET", "/openapi.json", { token: null })).body;
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops as object).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    const served = createApp()
      .routes.filter((r) => r.method !== "ALL")
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
    expect(served.length).toBeGreaterThan(10);
    // The console's pages are not API: they are listed in CONSOLE_ROUTES instead.
    const consoleRoutes = new Set<string>(CONSOLE_ROUTES);
    for (const route of served) {
      if (!consoleRoutes.has(route)) expect(documented, route).toContain(route);
    }
    for (const route of consoleRoutes) expect(served, route).toContain(route);
  });

  it("lists every error code with an example", async () => {
    const doc = (await api("GET", "/openapi.json", { token: null })).body;
    const codes = doc.components.schemas.Error.properties.error.properties.code.enum;
    expect(codes).toEqual(
      expect.arrayContaining([
        "not_found",
        "validation_failed",
        "cloudflare_token_invalid",
        "not_configured",
      ]),
    );
    expect(doc.components.schemas.Error.example).toBeDefined();
    expect(doc.components.schemas.UserAccount.example).toBeDefined();
  });
});
