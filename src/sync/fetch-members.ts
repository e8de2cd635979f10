/**
 * Lists every member of one account (docs/sync.md#paging): page 1 to learn the size (together with
 * the next few pages when the account's size is already known from its last sync or the connect
 * check), then the remaining pages with bounded concurrency, paced under this sync's share of the
 * token's rate budget. Page counts come from what Cloudflare served (`per_page`, `total_pages`,
 * `total_count` in its result_info), never from the page size asked for; without totals the walk
 * goes on to an empty page. Returns the complete, de-duplicated list or a failure — never a
 * partial list.
 */
import type { ClientFailure, CloudflareClient } from "../cloudflare/client";
import { normalizeMember } from "../cloudflare/member";
import { MAX_PER_PAGE, pagesFromResultInfo } from "../cloudflare/paging";
import { type CloudflareMember, memberListSchema, type ResultInfo } from "../cloudflare/schemas";
import type { Member } from "../domain/member";
import { err, ok, type Result } from "../lib/result";
import { type BudgetSpent, PACER_BURST, PACER_RATE_PER_MS, type Pacer } from "./pacer";

/**
 * Workers allow 6 simultaneous open connections per invocation: 5 member pages, and the sixth
 * for the account read a sync sends alongside them.
 */
export const PAGE_CONCURRENCY = 5;
/**
 * Without totals the listing walks to an empty page in one invocation, in memory (a staged sync
 * needs the page count): this bounds a misbehaving API at what the burst plus 12 minutes of the
 * pacer's refill allow, inside the queue consumer's 15 minutes.
 */
export const MAX_PAGES_WITHOUT_TOTAL = PACER_BURST + Math.floor(12 * 60_000 * PACER_RATE_PER_MS);

export type ListFailure =
  | ClientFailure
  | BudgetSpent
  | { kind: "inconsistent"; message: string }
  | StageInstead;

/**
 * Not a failure: the account has more pages than one invocation should hold (STAGED_SYNC_MIN_PAGES),
 * so the sync goes on staged (docs/sync.md#staged-sync) with the pages already read.
 */
export interface StageInstead {
  kind: "stage";
  opening: OpeningPages;
}

/** The pages read before the listing knew its size, and what page 1 said about the size. */
export interface OpeningPages {
  pages: ReadonlyMap<number, Member[]>;
  totalPages: number;
  perPage: number;
  /** Each page's total_count (null where it gave none). */
  totalCounts: ReadonlyMap<number, number | null>;
}

export interface Listing {
  members: Member[];
  pages: number;
}

export type PageAnswer = Result<{ result: CloudflareMember[]; resultInfo: ResultInfo | null }, ListFailure>;

/**
 * The pages read so far, normalised as they arrive, so the raw (larger) member objects of the
 * whole account are never held at once: at 50,000 members that is most of a Worker's 128 MB.
 */
class PageSet {
  readonly pages = new Map<number, Member[]>();
  readonly infos = new Map<number, ResultInfo>();

  /** Keeps one page's answer; the failure to report when it is one. */
  keep(page: number, answer: PageAnswer): ListFailure | null {
    if (!answer.ok) return answer.error;
    this.pages.set(page, answer.value.result.map(normalizeMember));
    if (answer.value.resultInfo) this.infos.set(page, answer.value.resultInfo);
    return null;
  }

  /** Every member once, in page order; a failure when totals say members went missing. */
  assemble(): Result<Listing, ListFailure> {
    const byId = new Map<string, Member>();
    for (const page of [...this.pages.keys()].sort((a, b) => a - b)) {
      for (const member of this.pages.get(page)!) {
        if (!byId.has(member.id)) byId.set(member.id, member);
      }
    }
    // A total that moved while we paged may have shifted members between pages we already read.
    const totals = [...this.infos.values()]
      .map((i) => i.total_count)
      .filter((n): n is number => typeof n === "number");
    const expected = totals.length > 0 ? Math.max(...totals) : null;
    if (expected !== null && byId.size < expected) {
      return err({
        kind: "inconsistent",
        message: `the member list changed while it was being read (${byId.size} listed, ${expected} expected)`,
      });
    }
    return ok({ members: [...byId.values()], pages: this.pages.size });
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
  stageAbovePages = Number.POSITIVE_INFINITY,
): Promise<Result<Listing, ListFailure>> {
  const fetchPage = memberPageFetcher(client, accountId, pacer);
  const set = new PageSet();
  const opening = openingPageCount(expectedMembers, stageAbovePages);
  const answers = await Promise.all(Array.from({ length: opening }, (_, i) => fetchPage(i + 1)));
  for (const [i, answer] of answers.entries()) {
    const failed = set.keep(i + 1, answer);
    if (failed) return err(failed);
  }
  const info = answers[0]?.ok ? answers[0].value.resultInfo : null;
  const totalPages = pagesFromResultInfo(info, servedPerPage(info));
  if (totalPages !== null && totalPages > stageAbovePages) return err(stageInstead(set, totalPages, info));
  const walked =
    totalPages === null
      ? await walkToEmptyPage(set, fetchPage)
      : await fetchKnownPages(set, fetchPage, totalPages, info);
  return walked ?? set.assemble();
}

/** One member page, paced: what both the in-memory and the staged listing request. */
export function memberPageFetcher(
  client: CloudflareClient,
  accountId: string,
  pacer: Pacer,
): (page: number) => Promise<PageAnswer> {
  const path = `/accounts/${encodeURIComponent(accountId)}/members`;
  return async (page) => {
    const paced = await pacer.acquire();
    if (!paced.ok) return paced;
    return client.get(
      path,
      { page, per_page: MAX_PER_PAGE, order: "user.email", direction: "asc" },
      memberListSchema,
    );
  };
}

/** The listing so far, handed to the staged sync (opening pages past the end dropped). */
function stageInstead(set: PageSet, totalPages: number, info: ResultInfo | null): StageInstead {
  const pages = new Map([...set.pages].filter(([page]) => page <= totalPages));
  const totalCounts = new Map(
    [...pages.keys()].map((page) => [page, set.infos.get(page)?.total_count ?? null]),
  );
  return { kind: "stage", opening: { pages, totalPages, perPage: servedPerPage(info), totalCounts } };
}

/** Page count and size from page 1's result_info; null without totals. */
export function sizeOf(info: ResultInfo | null): { totalPages: number; perPage: number } | null {
  const perPage = servedPerPage(info);
  const totalPages = pagesFromResultInfo(info, perPage);
  return totalPages === null ? null : { totalPages, perPage };
}

/** The page size Cloudflare says it served (which may be less than asked), else the size asked. */
function servedPerPage(info: ResultInfo | null): number {
  const served = info?.per_page;
  return typeof served === "number" && Number.isInteger(served) && served > 0 ? served : MAX_PER_PAGE;
}

/** Pages an account of `members` members takes at MAX_PER_PAGE a page (0 when unknown). */
export function expectedPagesOf(members: number): number {
  return Number.isFinite(members) && members > 0 ? Math.ceil(members / MAX_PER_PAGE) : 0;
}

/** How many pages to ask for at once before the account's size is known. */
function openingPageCount(expectedMembers: number, stageAbovePages: number): number {
  const expectedPages = expectedPagesOf(expectedMembers);
  // An account expected to be staged gets page 1 alone here: the staged listing reads the rest.
  if (expectedPages > stageAbovePages) return 1;
  return Math.min(PAGE_CONCURRENCY, Math.max(1, expectedPages));
}

/**
 * No totals: walk until an empty page, guarded. A short page is no proof of the end (Cloudflare
 * may serve fewer than asked), so only an empty one ends the listing; it and any page read past
 * it (the opening requests) hold nothing and are not counted.
 */
async function walkToEmptyPage(
  set: PageSet,
  fetchPage: (page: number) => Promise<PageAnswer>,
): Promise<Result<never, ListFailure> | null> {
  let page = 1;
  while (set.pages.get(page)!.length > 0) {
    page++;
    if (page > MAX_PAGES_WITHOUT_TOTAL) {
      return err({
        kind: "inconsistent",
        message: `member listing did not end after ${MAX_PAGES_WITHOUT_TOTAL} pages`,
      });
    }
    if (set.pages.has(page)) continue;
    const failed = set.keep(page, await fetchPage(page));
    if (failed) return err(failed);
  }
  for (const read of set.pages.keys()) if (read > Math.max(1, page - 1)) set.pages.delete(read);
  return null;
}

/** Totals known: check them, then read the pages not read yet, PAGE_CONCURRENCY at a time. */
async function fetchKnownPages(
  set: PageSet,
  fetchPage: (page: number) => Promise<PageAnswer>,
  totalPages: number,
  info: ResultInfo | null,
): Promise<Result<never, ListFailure> | null> {
  const totalCount = typeof info?.total_count === "number" ? info.total_count : null;
  const unusable = checkTotals(totalPages, totalCount, servedPerPage(info));
  if (unusable) return err(unusable);
  // Opening pages past the end (the account shrank since last time) were requests, not pages.
  for (const [read, members] of set.pages) {
    if (read > Math.max(1, totalPages) && members.length === 0) set.pages.delete(read);
  }
  const queue = Array.from({ length: totalPages }, (_, i) => i + 1).filter((page) => !set.pages.has(page));
  let failed: ListFailure | null = null;
  const worker = async () => {
    while (queue.length > 0 && !failed) {
      const page = queue.shift()!;
      // Read `failed` only after the await: another worker may have failed meanwhile.
      const failure = set.keep(page, await fetchPage(page));
      if (failure) failed ??= failure;
    }
  };
  await Promise.all(Array.from({ length: Math.min(PAGE_CONCURRENCY, queue.length) }, worker));
  return failed ? err(failed) : null;
}

/** Totals that contradict each other. */
export function checkTotals(
  totalPages: number,
  totalCount: number | null,
  perPage: number,
): ListFailure | null {
  // Loop guard: a page count beyond what total_count allows is an error, not a walk.
  if (totalCount !== null && totalPages > Math.ceil(totalCount / perPage) + 1) {
    return {
      kind: "inconsistent",
      message: `Cloudflare reported ${totalPages} pages for ${totalCount} members`,
    };
  }
  return null;
}
