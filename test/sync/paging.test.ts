/**
 * listAllMembers against a scripted Cloudflare: which pages it asks for, and when. Here a fake
 * client stands in for the HTTP client so the test can see requests in flight; the end-to-end
 * paging through the simulator is in sync.test.ts.
 */
import { describe, expect, it } from "vitest";
import type { CloudflareClient } from "../../src/cloudflare/client";
import { listAllMembers, PAGE_CONCURRENCY } from "../../src/sync/fetch-members";
import { Pacer } from "../../src/sync/pacer";
import { rawMember } from "../support/simulator";

const PER_PAGE = 50;

/** A member listing of `count` members; `totals: false` leaves result_info without totals. */
function scriptedCloudflare(
  count: number,
  options: { totals?: boolean; servedPerPage?: number; member?: (n: number) => Record<string, unknown> } = {},
) {
  const perPage = options.servedPerPage ?? PER_PAGE;
  const members = Array.from({ length: count }, (_, i) => options.member?.(i + 1) ?? rawMember(i + 1));
  const requested: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  /** Pages requested while page 1 was still unanswered. */
  const beforeFirstAnswer: number[] = [];
  let firstAnswered = false;
  const client = {
    rateLimit: null,
    requests: 0,
    async get(_path: string, query: Record<string, string | number | undefined>) {
      const page = Number(query.page);
      requested.push(page);
      if (!firstAnswered) beforeFirstAnswer.push(page);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      if (page === 1) firstAnswered = true;
      const result = members.slice((page - 1) * perPage, page * perPage);
      const resultInfo =
        options.totals === false
          ? { page, per_page: perPage, count: result.length }
          : { page, per_page: perPage, count: result.length, total_count: members.length };
      return { ok: true, value: { result, resultInfo } };
    },
  } as unknown as CloudflareClient;
  const list = (expectedMembers?: number) =>
    listAllMembers(client, "acct", new Pacer(client), expectedMembers);
  return {
    list,
    requested,
    beforeFirstAnswer,
    maxInFlight: () => maxInFlight,
  };
}

describe("paging a member listing", () => {
  it("asks for page 1 alone when the account's size is unknown, then the rest in parallel", async () => {
    const cf = scriptedCloudflare(420);
    const listing = await cf.list(0);
    expect(listing.ok && listing.value.members).toHaveLength(420);
    expect(cf.beforeFirstAnswer).toEqual([1]);
    expect([...cf.requested].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(cf.maxInFlight()).toBe(PAGE_CONCURRENCY);
  });

  it("asks for the pages it expects together with page 1 when the size is known", async () => {
    const cf = scriptedCloudflare(120);
    const listing = await cf.list(120);
    expect(listing.ok && listing.value).toMatchObject({ pages: 3 });
    expect(listing.ok && listing.value.members.map((m) => m.id)).toEqual(
      Array.from({ length: 120 }, (_, i) => rawMember(i + 1).id),
    );
    expect([...cf.beforeFirstAnswer].sort()).toEqual([1, 2, 3]);
    expect(cf.requested).toHaveLength(3);
  });

  it("never opens more than PAGE_CONCURRENCY requests, however large the account was", async () => {
    const cf = scriptedCloudflare(1_000);
    const listing = await cf.list(1_000);
    expect(listing.ok && listing.value.members).toHaveLength(1_000);
    expect(cf.beforeFirstAnswer).toHaveLength(PAGE_CONCURRENCY);
    expect(cf.maxInFlight()).toBe(PAGE_CONCURRENCY);
    expect(cf.requested).toHaveLength(20);
  });

  it("lists an account that shrank completely, spending at most a few requests on empty pages", async () => {
    const cf = scriptedCloudflare(30);
    const listing = await cf.list(2_000);
    expect(listing.ok && listing.value.members).toHaveLength(30);
    expect(listing.ok && listing.value.pages).toBe(1);
    expect(cf.requested).toHaveLength(PAGE_CONCURRENCY);
    const empty = scriptedCloudflare(0);
    const none = await empty.list(500);
    expect(none.ok && none.value).toEqual({ members: [], pages: 1 });
  });

  it("lists an account that grew: the pages the total adds are read after the opening ones", async () => {
    const cf = scriptedCloudflare(260);
    const listing = await cf.list(100);
    expect(listing.ok && listing.value.members).toHaveLength(260);
    expect([...cf.beforeFirstAnswer].sort()).toEqual([1, 2]);
    expect([...cf.requested].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("without totals, walks on to an empty page, and ignores pages read past it", async () => {
    const cf = scriptedCloudflare(75, { totals: false });
    const listing = await cf.list(500);
    expect(listing.ok && listing.value).toMatchObject({ pages: 2 });
    expect(listing.ok && listing.value.members).toHaveLength(75);
    const sequential = scriptedCloudflare(175, { totals: false });
    const walked = await sequential.list(0);
    expect(walked.ok && walked.value).toMatchObject({ pages: 4 });
    expect(walked.ok && walked.value.members).toHaveLength(175);
    // Page 4 is short (25 of 50): only the empty page 5 ends the listing.
    expect(sequential.requested).toEqual([1, 2, 3, 4, 5]);
  });

  it("counts pages in the size Cloudflare served, with and without totals", async () => {
    for (const totals of [true, false]) {
      const cf = scriptedCloudflare(130, { totals, servedPerPage: 20 });
      const listing = await cf.list(0);
      expect(listing.ok && listing.value.members, `totals: ${totals}`).toHaveLength(130);
      expect(listing.ok && listing.value.pages, `totals: ${totals}`).toBe(7);
    }
  });

  it("keeps a member without any email address, wherever it is listed", async () => {
    const member = (n: number) =>
      n === 120 ? rawMember(n, { email: undefined, user: { id: "u120", email: undefined } }) : rawMember(n);
    const cases = [
      { count: 150, expected: 150, totals: true }, // in the opening pages
      { count: 400, expected: 0, totals: true }, // in the pages read after page 1
      { count: 400, expected: 0, totals: false }, // in the walk without totals
    ];
    for (const c of cases) {
      const listing = await scriptedCloudflare(c.count, { member, totals: c.totals }).list(c.expected);
      expect(listing.ok && listing.value.members, JSON.stringify(c)).toHaveLength(c.count);
      const kept = listing.ok ? listing.value.members.find((m) => m.id === rawMember(120).id) : null;
      expect(kept?.email, JSON.stringify(c)).toBeNull();
    }
  });

  it("treats a missing or nonsensical expected size as unknown", async () => {
    for (const expected of [Number.NaN, -50, Number.POSITIVE_INFINITY]) {
      const cf = scriptedCloudflare(120);
      const listing = await cf.list(expected);
      expect(listing.ok && listing.value.members).toHaveLength(120);
      expect(cf.beforeFirstAnswer).toEqual([1]);
    }
  });
});
