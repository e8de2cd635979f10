/**
 * People (docs/people.md): one row per email across integrations, compared case-insensitively,
 * with each membership's access and 2FA; the offboarding view of one person; filters, cursors, CSV.
 */
import { describe, expect, it } from "vitest";
import { api, walkPages } from "../support/api";
import { expectError } from "../support/errors";
import { rawMember, setupAccount, sim, uniqueName } from "../support/simulator";
import { connectAndSync, syncNow } from "../support/sync";

/** A member with this email, 2FA and roles. */
const member = (n: number, email: string, twoFactor: boolean, roles = rawMember(n).roles) => {
  const m = rawMember(n, { email, roles });
  return { ...m, user: { ...m.user, email, two_factor_authentication_enabled: twoFactor } };
};

const READ_ONLY = [{ id: "r-ro", name: "Administrator Read Only", description: "Read", permissions: {} }];

/** A domain of this test's own, so other tests' members never show in its people filters. */
const domain = () =>
  `${uniqueName("d")
    .replace(/[^a-z0-9]/gi, "")
    .toLowerCase()}.example`;

describe("GET /v1/people", () => {
  it("rolls one person up across integrations whatever the case of their email, with the weakest 2FA and admin", async () => {
    const d = domain();
    const acme = await setupAccount({
      members: [member(1, `Jane@${d.toUpperCase()}`, true), member(2, `bob@${d}`, true, READ_ONLY)],
    });
    const globex = await setupAccount({ members: [member(3, `jane@${d}`, false, READ_ONLY)] });
    const a = await connectAndSync(acme, "Acme");
    const g = await connectAndSync(globex, "Globex");

    const jane = await api("GET", `/v1/people/${encodeURIComponent(`JANE@${d}`)}`);
    expect(jane.status, jane.text).toBe(200);
    expect(jane.body).toMatchObject({
      email: `jane@${d}`,
      name: "First1 Last1",
      rosterStatus: null,
      integrations: 2,
      weakestTwoFactor: false,
      admin: true,
    });
    expect(
      jane.body.accounts.map((x: any) => [x.label, x.organizationName, x.twoFactorEnabled, x.removedAt]),
    ).toEqual([
      ["Acme", acme.name, true, null],
      ["Globex", globex.name, false, null],
    ]);
    expect(jane.body.accounts[0]).toMatchObject({
      integrationId: a.integration.id,
      accountId: acme.accountId,
      userAccountId: rawMember(1).id,
      status: "accepted",
      access: [{ name: "Administrator", effect: "allow", scope: "account", resources: 0 }],
    });

    const people = await walkPages(`/v1/people?q=${encodeURIComponent(`@${d}`)}`, 1);
    expect(people.rows.map((p) => p.email)).toEqual([`bob@${d}`, `jane@${d}`]);
    expect(people.rows[0]).toMatchObject({ integrations: 1, admin: false, weakestTwoFactor: true });

    // Removed from Globex: the offboarding view keeps the membership, with when it ended.
    await sim.replaceMembers(globex.accountId, []);
    await syncNow(g.integration.id);
    const after = await api("GET", `/v1/people/jane@${d}`);
    expect(after.body).toMatchObject({ integrations: 1, weakestTwoFactor: true });
    expect(after.body.accounts[1]).toMatchObject({ label: "Globex" });
    expect(after.body.accounts[1].removedAt).toEqual(expect.any(String));
  });

  it("walks every person once in email order at any page size, and filters by integration", async () => {
    const d = domain();
    const members = Array.from({ length: 7 }, (_, i) => member(10 + i, `p${(7 - i) % 7}@${d}`, i % 2 === 0));
    const acme = await setupAccount({ members });
    const other = await setupAccount({
      members: [member(30, `P3@${d}`, true), member(31, `zed@${d}`, true)],
    });
    const { integration } = await connectAndSync(acme, "Acme");
    await connectAndSync(other, "Other");

    const query = `/v1/people?q=${encodeURIComponent(d)}`;
    const all = (await walkPages(query, 500)).rows.map((p) => p.email);
    expect(all).toEqual([...Array.from({ length: 7 }, (_, i) => `p${i}@${d}`), `zed@${d}`]);
    for (const limit of [1, 2, 3]) {
      const walk = await walkPages(query, limit);
      expect(walk.rows.map((p) => p.email)).toEqual(all);
      expect(walk.pages).toBe(Math.ceil(all.length / limit));
    }
    const inAcme = await walkPages(`${query}&integrationId=${integration.id}`, 2);
    expect(inAcme.rows.map((p) => p.email)).toEqual(all.slice(0, 7));
    expect(inAcme.rows.find((p) => p.email === `p3@${d}`).integrations).toBe(2);
  });

  it("serves CSV with one line per person and the accounts in words", async () => {
    const d = domain();
    const acme = await setupAccount({ members: [member(40, `csv@${d}`, false)] });
    await connectAndSync(acme, "Acme");
    const csv = await api("GET", `/v1/people?q=${encodeURIComponent(d)}&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("Content-Type")).toMatch(/^text\/csv/);
    const [header, line, ...rest] = csv.text.trim().split("\r\n");
    expect(header).toBe(
      "email,name,roster_status,integrations,admin,weakest_two_factor,first_seen_at,accounts",
    );
    expect(rest).toEqual([]);
    expect(line).toContain(`csv@${d},First40 Last40,,1,true,false,`);
    expect(line).toContain(`Acme (${acme.name}): accepted, Administrator (allow, account)`);
  });

  it("answers bad filters and unknown people with errors that say what to fix", async () => {
    for (const [query, parameter] of [
      ["rosterStatus=gone", "rosterStatus"],
      ["integrationId=nope", "integrationId"],
      ["limit=0", "limit"],
      ["includeRemoved=maybe", "includeRemoved"],
    ]) {
      const error = expectError(await api("GET", `/v1/people?${query}`), 400, "validation_failed");
      expect(error.details.map((d) => d.path)).toEqual([parameter]);
    }
    expectError(await api("GET", `/v1/people/nobody@${domain()}`), 404, "not_found");
  });
});
