/**
 * The search index behind `q=` (docs/storage.md#search-index): whatever plan serves a search, it
 * returns exactly the rows the plain `instr` scan returns, and the index follows every change a
 * sync, retention or a deletion makes to the rows.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { DENSE_PROBE, SEARCH_MAX_HITS, SORT_COST } from "../../src/store/search";
import {
  type AccountFilters,
  type AccountPosition,
  accountsPageQuery,
  searchPlan,
} from "../../src/store/user-accounts-read";
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

/**
 * A list where each plan has its term: `quenby` (few hits: sorted), `middleton` and `ölund` (too
 * many hits to sort, in names only, so the next list entries' emails do not match: matched
 * against the list index in order), `example` (every email: walked) and `common` (every name but
 * no email: the index hits are every member, still served in order).
 */
function planPopulation(count: number): RawMember[] {
  const LASTS = ["Middleton", "Ölund", "ÖLUND", "ölund", "Smith", "Jones", "Middleton"];
  return Array.from({ length: count }, (_, k) => {
    const n = 60_000 + k;
    const last = k % 50 === 7 ? "Quenby" : LASTS[k % LASTS.length]!;
    // Emails in the opposite order of ids: no plan can pass for the list order by following the ids.
    const email = `user.${String(count - 1 - k).padStart(4, "0")}@example.com`;
    const member = rawMember(n, { email });
    return { ...member, user: { ...member.user, email, first_name: "Common", last_name: last } };
  });
}

describe("the plan of a search page", () => {
  let id: string;
  const filters = (q: string, more: Partial<AccountFilters> = {}): AccountFilters => ({
    integrationId: id,
    status: null,
    twoFactor: null,
    pendingOlderThanDays: null,
    role: null,
    q,
    includeRemoved: false,
    ...more,
  });

  beforeAll(async () => {
    const account = await setupAccount({ members: planPopulation(700) });
    id = (await connectAndSync(account)).integration.id;
    // Removed members among the hits: the index still has them, the default list does not.
    for (const member of (await sim.members(account.accountId)).filter((_, k) => k % 11 === 0)) {
      await sim.deleteMember(account.accountId, member.id);
    }
    await syncNow(id);
  });

  it("sorts few hits, matches more against the list in order, walks a term most entries match", async () => {
    // Sorted while SORT_COST × hits² ≤ (limit + 1) × members (~640 current members here).
    const members = 640;
    expect(SORT_COST * (await indexHits("quenby")) ** 2).toBeLessThan(101 * members);
    expect(SORT_COST * (await indexHits("middleton")) ** 2).toBeGreaterThan(101 * members);
    expect(await searchPlan(env.DB, filters("quenby"), null, 7)).toBe("sort");
    expect(await searchPlan(env.DB, filters("middleton"), null, 7)).toBe("keys");
    expect(await searchPlan(env.DB, filters("QUENBY"), null, 100)).toBe("sort");
    expect(await searchPlan(env.DB, filters("middleton"), null, 100)).toBe("keys");
    expect(await searchPlan(env.DB, filters("ölund"), null, 100)).toBe("keys");
    expect(await searchPlan(env.DB, filters("common"), null, 100)).toBe("keys");
    expect(await searchPlan(env.DB, filters("example"), null, 100)).toBe("walk");
    expect(await searchPlan(env.DB, filters("example", { integrationId: null }), null, 100)).toBe("walk");
    expect(await searchPlan(env.DB, filters("middleton", { integrationId: null }), null, 100)).toBe("keys");
    // The probe reads DENSE_PROBE × (limit + 1) entries from the cursor: `user.00` is in the first
    // hundred emails only, so page 1 walks and a page after them does not.
    expect(await searchPlan(env.DB, filters("user.00"), null, 10)).toBe("walk");
    expect(await searchPlan(env.DB, filters("user.00"), ["user.0500@example.com", "", id], 10)).not.toBe(
      "walk",
    );
    expect(DENSE_PROBE).toBeGreaterThanOrEqual(1);
    expect(await searchPlan(env.DB, filters("ab"), null, 100)).toBeNull();
  });

  it("returns the scan's rows in order from every plan, page by page, with filters and across integrations", {
    timeout: 180_000,
  }, async () => {
    const path = `/v1/integrations/${id}/accounts`;
    for (const q of ["quenby", "MIDDLETON", "ölund", "Ölund", "common", "example", "user.00", "ddleto"]) {
      for (const limit of q === "quenby" ? [1, 7] : [7, 100]) {
        expect(await search(path, q, limit), `${q} limit ${limit}`).toEqual(await scan(q, id));
      }
      const current = await search(path, q, 9, "includeRemoved=false");
      expect(current, q).toEqual(await scan(q, id, false));
      const without2fa = await search(path, q, 13, "twoFactor=false");
      const { results } = await env.DB.prepare(
        "SELECT id FROM user_accounts WHERE integration_id = ? AND two_factor_enabled IS NOT 1 AND removed_at IS NULL",
      )
        .bind(id)
        .all<{ id: string }>();
      const ids = new Set(results.map((r) => r.id));
      expect(without2fa, q).toEqual((await scan(q, id, false)).filter((row) => ids.has(row)));
    }
    for (const q of ["middleton", "ölund", "quenby"]) {
      expect(await search("/v1/accounts", q, 11), q).toEqual(await scan(q, null));
    }
  });

  it("reads a page's worth of rows when matching hits against the list, not every hit", async () => {
    const read = async (q: string, limit: number, after: AccountPosition | null = null) => {
      const query = accountsPageQuery(filters(q), after, limit);
      const { meta, results } = await env.DB.prepare(query.sql)
        .bind(...query.values)
        .all();
      expect(results.length).toBe(limit + 1);
      return meta.rows_read;
    };
    // Page 1 of 10: every hit once into the set, the plan's count and probe, then about
    // 11 × 700 / 200 list entries and 11 rows. Had the walk not stopped at the page (a sort after
    // the join), it would read every list entry and every current hit's row on top: ~1,200.
    const hits = await indexHits("middleton");
    const plan = hits + DENSE_PROBE * 11; // the probe, and the hits counted once more
    expect(await read("middleton", 10)).toBeLessThan(hits + plan + 100);
    // A later page starts its walk at the cursor, not at the top of the list.
    const later = (await scan("middleton", id, false))[150]!;
    const row = await env.DB.prepare("SELECT email FROM user_accounts WHERE integration_id = ? AND id = ?")
      .bind(id, later)
      .first<{ email: string }>();
    expect(await read("middleton", 10, [row!.email, later, id])).toBeLessThan(hits + plan + 100);
    // A walked term reads the probe and the page, no hit.
    expect(await read("example", 10)).toBeLessThan(DENSE_PROBE * 11 + 2 * 11 + 10);
  });
});
