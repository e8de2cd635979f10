/**
 * The search index behind `q=` (docs/storage.md#search-index): whatever plan serves a search, it
 * returns exactly the rows the plain `instr` scan returns, and the index follows every change a
 * sync, retention or a deletion makes to the rows.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { SEARCH_MAX_HITS } from "../../src/store/search";
import { api, walkPages } from "../support/api";
import { type RawMember, rawMember, setupAccount, sim } from "../support/simulator";
import { connectAndSync, syncNow } from "../support/sync";

const FIRST = [
  "Anna",
  "Åsa",
  "Émile",
  "O'Neil",
  "Per%cent",
  "Under_score",
  "Zoë",
  "李明",
  "ANDERS",
  null,
  "Jo",
];
const LAST = ["Andersson", "Müller", "Smith-Jones", '"Quoted"', null, "Ölund", "de la Cruz", "X"];
const DOMAINS = ["example.com", "Corp.EXAMPLE.org", "mail.test", "andersson.se"];

/** A small deterministic generator (mulberry32), so a failing term can be replayed. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function population(count: number, seed: number): RawMember[] {
  const next = random(seed);
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)]!;
  return Array.from({ length: count }, (_, k) => {
    const n = seed * 10_000 + k;
    const first = pick(FIRST);
    const last = pick(LAST);
    const email = k % 97 === 5 ? undefined : `${(first ?? "user").toLowerCase()}.${n}@${pick(DOMAINS)}`;
    const member = rawMember(n, { email });
    return { ...member, user: { ...member.user, email, first_name: first, last_name: last } };
  });
}

/** The rows the plain scan finds: the `instr` test on every row, in list order. */
async function scan(q: string, integrationId: string | null, includeRemoved = true): Promise<string[]> {
  const needle = q.toLowerCase();
  const { results } = await env.DB.prepare(
    `SELECT id FROM user_accounts
      WHERE (?1 IS NULL OR integration_id = ?1) AND (?3 OR removed_at IS NULL)
        AND (instr(lower(email), ?2) > 0 OR instr(lower(ifnull(first_name, '') || ' ' || ifnull(last_name, '')), ?2) > 0)
      ORDER BY email, id, integration_id`,
  )
    .bind(integrationId, needle, includeRemoved ? 1 : 0)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

async function search(path: string, q: string, limit = 100, extra = "includeRemoved=true") {
  const { rows } = await walkPages(`${path}?q=${encodeURIComponent(q)}&${extra}`, limit);
  return rows.map((r) => r.id as string);
}

/** Terms cut from the stored emails and names at random, in random case, plus a few made up. */
async function termsFrom(integrationId: string, count: number, seed: number): Promise<string[]> {
  const { results } = await env.DB.prepare(
    "SELECT email, ifnull(first_name, '') || ' ' || ifnull(last_name, '') AS name FROM user_accounts WHERE integration_id = ?",
  )
    .bind(integrationId)
    .all<{ email: string; name: string }>();
  const next = random(seed);
  const terms: string[] = ["%", "_", "r_s", "100%", "'", '"', "zz", "ö", "Ö", "李", "áé", "nobody-has-this"];
  while (terms.length < count) {
    const row = results[Math.floor(next() * results.length)]!;
    const text = [...(next() < 0.5 ? row.email : row.name)];
    if (text.length === 0) continue;
    const start = Math.floor(next() * text.length);
    const length = 1 + Math.floor(next() * 9);
    const term = text.slice(start, start + length).join("");
    terms.push(next() < 0.3 ? term.toUpperCase() : term);
  }
  return terms;
}

/** Search rows that a phrase finds in the index itself (not through the list query). */
async function indexHits(term: string): Promise<number> {
  const row = await env.DB.prepare(
    "SELECT count(*) AS n FROM user_account_search WHERE user_account_search MATCH ?",
  )
    .bind(`"${term.replaceAll('"', '""')}"`)
    .first<{ n: number }>();
  return row!.n;
}

let integrationId: string;

beforeAll(async () => {
  const account = await setupAccount({ members: population(260, 1) });
  integrationId = (await connectAndSync(account)).integration.id;
  // A second integration: scoped searches never return its rows, unscoped ones do.
  await connectAndSync(await setupAccount({ members: population(120, 2) }));
});

describe("search through the index", () => {
  it("returns exactly what the scan returns, for many terms, in one integration, across all and for people", async () => {
    const terms = await termsFrom(integrationId, 160, 7);
    for (const q of terms) {
      expect(await search(`/v1/integrations/${integrationId}/accounts`, q), q).toEqual(
        await scan(q, integrationId),
      );
    }
    for (const q of terms.slice(0, 50)) {
      expect(await search("/v1/accounts", q, 100), q).toEqual(await scan(q, null));
    }
    // The people route trims its q.
    for (const q of terms
      .slice(0, 40)
      .map((t) => t.trim())
      .filter((t) => t !== "")) {
      const people = (await walkPages(`/v1/people?q=${encodeURIComponent(q)}`, 50)).rows.map((p) => p.email);
      const { results } = await env.DB.prepare(
        `SELECT DISTINCT lower(email) AS person FROM user_accounts
          WHERE email <> '' AND removed_at IS NULL
            AND (instr(lower(email), ?1) > 0 OR instr(lower(ifnull(first_name, '') || ' ' || ifnull(last_name, '')), ?1) > 0)
          ORDER BY person`,
      )
        .bind(q.toLowerCase())
        .all<{ person: string }>();
      expect(people, q).toEqual(results.map((r) => r.person));
    }
  });

  it("finds a rare term, a term in every row and a one-letter term, with small pages and filters", async () => {
    const path = `/v1/integrations/${integrationId}/accounts`;
    for (const q of ["andersson", "Müller", "@", "a", ".", "corp.example"]) {
      const rare = (await scan(q, integrationId)).length < 40;
      for (const limit of rare ? [1, 7] : [50]) {
        expect(await search(path, q, limit), q).toEqual(await scan(q, integrationId));
      }
      const current = await search(path, q, 50, "twoFactor=false");
      const expected = new Set(await scan(q, integrationId, false));
      const { results } = await env.DB.prepare(
        "SELECT id FROM user_accounts WHERE integration_id = ? AND two_factor_enabled IS NOT 1",
      )
        .bind(integrationId)
        .all<{ id: string }>();
      const without2fa = new Set(results.map((r) => r.id));
      expect(current.sort(), q).toEqual([...expected].filter((id) => without2fa.has(id)).sort());
    }
    expect(await indexHits("andersson")).toBeGreaterThan(0);
  });

  it("treats FTS5 query syntax, quotes, control characters and astral characters in q as plain text", async () => {
    const path = `/v1/integrations/${integrationId}/accounts`;
    for (const q of [
      '"',
      '""x"',
      'a"b"c',
      "and*",
      "son OR mül",
      "NEAR(ann åsa)",
      "^ann",
      "-ann",
      "email:ann",
      "ann AND",
      "\u0000ann",
      "ann\u0000",
      "\u0001\u0002\u0003",
      "😀😀😀",
      "e\u0301mi",
      "İst",
      "ß".repeat(3),
      "李明.",
    ]) {
      const page = await api("GET", `${path}?q=${encodeURIComponent(q)}&includeRemoved=true`);
      expect(page.status, JSON.stringify(q)).toBe(200);
      expect(await search(path, q), JSON.stringify(q)).toEqual(await scan(q, integrationId));
    }
  });

  it("walks the list in order when a term has more hits than the index plan reads", async () => {
    const account = await setupAccount({ generateMembers: SEARCH_MAX_HITS + 20 });
    const big = (await connectAndSync(account)).integration.id;
    expect(await indexHits("example")).toBeGreaterThan(SEARCH_MAX_HITS);
    const path = `/v1/integrations/${big}/accounts`;
    expect(await search(path, "EXAMPLE", 500)).toEqual(await scan("example", big));
    expect(await search(path, "person1", 100)).toEqual(await scan("person1", big));
  });
});

describe("the index follows the rows", () => {
  it("finds a member by a new name or email and no longer by the old, after the sync that changed it", async () => {
    const account = await setupAccount({ members: population(30, 3) });
    const id = (await connectAndSync(account)).integration.id;
    const path = `/v1/integrations/${id}/accounts`;
    const [renamed, moved, leaver] = await sim.members(account.accountId);
    await sim.patchMember(account.accountId, renamed!.id, {
      user: { first_name: "Quintessa", last_name: "Vrooman" },
    });
    await sim.patchMember(account.accountId, moved!.id, {
      email: "zyxwvut@new.test",
      user: { email: "zyxwvut@new.test" },
    });
    await sim.deleteMember(account.accountId, leaver!.id);
    const oldEmail = moved!.user.email as string;
    expect(await search(path, oldEmail)).toEqual([moved!.id]);
    await syncNow(id);

    expect(await search(path, "quintessa vroo")).toEqual([renamed!.id]);
    expect(await search(path, "zyxwvut@new")).toEqual([moved!.id]);
    expect(await search(path, oldEmail)).toEqual([]);
    for (const q of ["quintessa", "zyxwvut", oldEmail])
      expect(await search(path, q), q).toEqual(await scan(q, id));
    // A removed member stays searchable among removed ones, and only there.
    const leaverEmail = leaver!.user.email as string;
    expect(await search(path, leaverEmail)).toEqual([leaver!.id]);
    expect(await search(path, leaverEmail, 100, "includeRemoved=false")).toEqual([]);
  });

  it("writes no index rows on an unchanged re-sync, and drops the rows of deleted members and integrations", async () => {
    const account = await setupAccount({ members: population(40, 4) });
    const id = (await connectAndSync(account)).integration.id;
    const index = () =>
      env.DB.prepare(
        "SELECT count(*) AS n, sum(length(block)) AS bytes FROM user_account_search_data",
      ).first();
    const before = await index();
    await syncNow(id);
    expect(await index()).toEqual(before);

    const [member] = await sim.members(account.accountId);
    const email = member!.user.email as string;
    expect(await indexHits(email)).toBe(1);
    // Retention deletes rows outright; the index forgets them in the same statement.
    await env.DB.prepare("DELETE FROM user_accounts WHERE integration_id = ? AND id = ?")
      .bind(id, member!.id)
      .run();
    expect(await indexHits(email)).toBe(0);
    const someone = (await sim.members(account.accountId))[1]!.user.email as string;
    expect(await indexHits(someone)).toBe(1);
    expect((await api("DELETE", `/v1/integrations/${id}`)).status).toBe(204);
    expect(await indexHits(someone)).toBe(0);
    expect(await search(`/v1/accounts`, "andersson")).toEqual(await scan("andersson", null));
  });
});
