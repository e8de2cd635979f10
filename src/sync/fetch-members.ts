/**
 * Lists every member of one account (SPEC §4 paging): page 1 to learn the size (together with the
 * next few pages when the account's size is already known from its last sync or the connect
 * check), then the remaining pages with bounded concurrency, paced under this sync's share of the
 * token's rate budget. Returns the complete, de-duplicated list or a failure — never a partial list.
 */

import { MAX_PER_PAGE, pagesFromResultInfo } from "../cloudflare/checks";
import type { ClientFailure, CloudflareClient } from "../cloudflare/client";
import { type CloudflareMember, memberListSchema, type ResultInfo } from "../cloudflare/schemas";
import { err, ok, type Result } from "../lib/result";
import { sleep } from "../lib/time";
import { type Member, normalizeMember } from "./member";

/**
 * Workers allow 6 simultaneous open connections per invocation: 5 member pages, and the sixth
 * for the account read a sync sends alongside them.
 */
export const PAGE_CONCURRENCY = 5;
/** Cloudflare: 1,200 requests per 5 minutes per token, shared with anything else using it. */
export const TOKEN_BUDGET_REQUESTS = 1200;
export const TOKEN_BUDGET_WINDOW_MS = 5 * 60_000;
/** One sync may spend at most half the token's budget in any 5-minute window. */
export const SYNC_BUDGET_SHARE = 0.5;
/**
 * The share as a token bucket: a burst of half the share, refilled at half the share per window,
 * so no window ever sees more than the share (burst + refill). 300 requests at once, then 1/s.
 */
export const PACER_BURST = Math.floor((TOKEN_BUDGET_REQUESTS * SYNC_BUDGET_SHARE) / 2);
export const PACER_RATE_PER_MS = PACER_BURST / TOKEN_BUDGET_WINDOW_MS;
/** When Cloudflare says fewer than this many requests remain, slow down and leave them to others. */
export const RATELIMIT_RESERVE = 50;
/** Longest pause taken inside an invocation to respect the budget; longer ends the attempt. */
export const MAX_PACING_WAIT_MS = 10_000;
/**
 * Longest a sync may spend paced. Queue consumers get 15 minutes of wall time; a listing that
 * would need longer than this under the pacer cannot finish in one invocation.
 */
export const MAX_PACED_LISTING_MS = 12 * 60_000;
/** The largest account one sync can list: the burst plus what the refill allows in MAX_PACED_LISTING_MS. */
export const MAX_PAGES_PER_SYNC = PACER_BURST + Math.floor(MAX_PACED_LISTING_MS * PACER_RATE_PER_MS);
/** Without total_count the listing stops on a short page; this bounds a misbehaving API. */
export const MAX_PAGES_WITHOUT_TOTAL = MAX_PAGES_PER_SYNC;

export type ListFailure =
  | ClientFailure
  | { kind: "inconsistent"; message: string }
  | { kind: "budget"; retryAfterSeconds: number; message: string }
  | { kind: "too_large"; pages: number; members: number; message: string };

export interface Listing {
  members: Member[];
  pages: number;
}

/** Spreads requests so one sync stays under its share of the token budget (a token bucket). */
export class Pacer {
  private tokens = PACER_BURST;
  private last: number;

  constructor(
    private readonly client: CloudflareClient,
    private readonly wait: (ms: number) => Promise<void> = sleep,
    private readonly now: () => number = Date.now,
  ) {
    this.last = now();
  }

  /** Resolves when the next request may go; a failure when the wait would be too long. */
  async acquire(): Promise<Result<void, ListFailure>> {
    const now = this.now();
    this.tokens = Math.min(PACER_BURST, this.tokens + (now - this.last) * PACER_RATE_PER_MS);
    this.last = now;
    // Below one token, wait for the refill; concurrent callers reserve tokens in turn (negative).
    let waitMs = this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / PACER_RATE_PER_MS);
    // What Cloudflare says is left for the token as a whole.
    const rl = this.client.rateLimit;
    if (rl && rl.remaining <= RATELIMIT_RESERVE) {
      waitMs = Math.max(waitMs, Math.ceil((rl.resetSeconds * 1000) / Math.max(1, rl.remaining)));
      if (rl.remaining === 0) waitMs = Math.max(waitMs, rl.resetSeconds * 1000);
    }
    if (waitMs > MAX_PACING_WAIT_MS) {
      const retryAfterSeconds = Math.ceil(waitMs / 1000);
      return err({
        kind: "budget",
        retryAfterSeconds,
        message: `this sync has used its share of the token's rate budget; continuing in ${retryAfterSeconds} s`,
      });
    }
    this.tokens -= 1;
    if (waitMs > 0) await this.wait(waitMs);
    return ok(undefined);
  }
}

/**
 * `expectedMembers` is what the account had last time (0 when unknown): that many pages, up to
 * PAGE_CONCURRENCY, are requested together with page 1, which saves one Cloudflare round trip per
 * sync. A shrunken account costs at most PAGE_CONCURRENCY - 1 requests for empty pages.
 */
export async function listAllMembers(
  client: CloudflareClient,
  accountId: string,
  pacer: Pacer,
  expectedMembers = 0,
): Promise<Result<Listing, ListFailure>> {
  const path = `/accounts/${encodeURIComponent(accountId)}/members`;
  const fetchPage = async (page: number) => {
    const paced = await pacer.acquire();
    if (!paced.ok) return paced;
    return client.get(
      path,
      { page, per_page: MAX_PER_PAGE, order: "user.email", direction: "asc" },
      memberListSchema,
    );
  };

  // Pages are normalised as they arrive, so the raw (larger) member objects of the whole account
  // are never held at once: at 50,000 members that is most of a Worker's 128 MB.
  const pages = new Map<number, Member[]>();
  const keep = (page: number, raw: CloudflareMember[]): ListFailure | null => {
    const members: Member[] = [];
    for (const r of raw) {
      const member = normalizeMember(r);
      if (!member) return { kind: "invalid_response", message: `member ${r.id} has no email address` };
      members.push(member);
    }
    pages.set(page, members);
    return null;
  };
  const infos: ResultInfo[] = [];
  // An account expected to be too large for one sync gets page 1 alone: the sync stops there.
  const expectedPages =
    Number.isFinite(expectedMembers) && expectedMembers > 0 ? Math.ceil(expectedMembers / MAX_PER_PAGE) : 0;
  const opening =
    expectedPages > MAX_PAGES_PER_SYNC ? 1 : Math.min(PAGE_CONCURRENCY, Math.max(1, expectedPages));
  const answers = await Promise.all(Array.from({ length: opening }, (_, i) => fetchPage(i + 1)));
  for (const [i, answer] of answers.entries()) {
    if (!answer.ok) return answer;
    const malformed = keep(i + 1, answer.value.result);
    if (malformed) return err(malformed);
    if (answer.value.resultInfo) infos.push(answer.value.resultInfo);
  }
  const info = answers[0]?.ok ? answers[0].value.resultInfo : null;
  const totalCount = typeof info?.total_count === "number" ? info.total_count : null;
  const totalPages = pagesFromResultInfo(info, MAX_PER_PAGE);

  if (totalPages === null) {
    // No totals: walk until a short or empty page, guarded. Pages read past it hold nothing.
    let page = 1;
    while (pages.get(page)!.length >= MAX_PER_PAGE) {
      page++;
      if (page > MAX_PAGES_WITHOUT_TOTAL) {
        return err({
          kind: "inconsistent",
          message: `member listing did not end after ${MAX_PAGES_WITHOUT_TOTAL} pages`,
        });
      }
      if (pages.has(page)) continue;
      const next = await fetchPage(page);
      if (!next.ok) return next;
      const malformed = keep(page, next.value.result);
      if (malformed) return err(malformed);
    }
    for (const read of pages.keys()) if (read > page) pages.delete(read);
  } else {
    // Too large to list within this sync's share of the budget in one invocation: say so now
    // rather than spend the token's budget on an attempt that cannot finish.
    if (totalPages > MAX_PAGES_PER_SYNC) {
      const members = totalCount ?? totalPages * MAX_PER_PAGE;
      return err({
        kind: "too_large",
        pages: totalPages,
        members,
        message: `the account has ${totalCount === null ? "about " : ""}${members} members (${totalPages} pages); one sync can list at most ${MAX_PAGES_PER_SYNC} pages within its share of the token's rate budget`,
      });
    }
    // SPEC §4 loop guard: a page count beyond what total_count allows is an error, not a walk.
    if (totalCount !== null && totalPages > Math.ceil(totalCount / MAX_PER_PAGE) + 1) {
      return err({
        kind: "inconsistent",
        message: `Cloudflare reported ${totalPages} pages for ${totalCount} members`,
      });
    }
    // Opening pages past the end (the account shrank since last time) were requests, not pages.
    for (const [read, members] of pages) {
      if (read > Math.max(1, totalPages) && members.length === 0) pages.delete(read);
    }
    const queue = Array.from({ length: totalPages }, (_, i) => i + 1).filter((page) => !pages.has(page));
    let failed: ListFailure | null = null;
    const worker = async () => {
      while (queue.length > 0 && !failed) {
        const page = queue.shift()!;
        const response = await fetchPage(page);
        if (!response.ok) {
          failed ??= response.error;
          return;
        }
        const malformed = keep(page, response.value.result);
        if (malformed) {
          failed ??= malformed;
          return;
        }
        if (response.value.resultInfo) infos.push(response.value.resultInfo);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PAGE_CONCURRENCY, queue.length) }, worker));
    if (failed) return err(failed);
  }

  const byId = new Map<string, Member>();
  for (const page of [...pages.keys()].sort((a, b) => a - b)) {
    for (const member of pages.get(page)!) {
      if (!byId.has(member.id)) byId.set(member.id, member);
    }
  }
  // A total that moved while we paged may have shifted members between pages we already read.
  const totals = infos.map((i) => i.total_count).filter((n): n is number => typeof n === "number");
  const expected = totals.length > 0 ? Math.max(...totals) : null;
  if (expected !== null && byId.size < expected) {
    return err({
      kind: "inconsistent",
      message: `the member list changed while it was being read (${byId.size} listed, ${expected} expected)`,
    });
  }
  return ok({ members: [...byId.values()], pages: pages.size });
}
