/**
 * The listing of a staged sync (docs/sync.md#staged-sync): every page goes to D1 as it arrives,
 * with the page recorded as done in the same batch, so an attempt holds one page per connection
 * and the next delivery asks only for the pages still missing. An attempt stops listing when its
 * wall time is used up or the pacer would wait longer than an invocation should; the run then
 * continues in the next delivery. Complete means: every page of the count page 1 reported is
 * staged, and no fewer distinct members than the largest total_count any page reported.
 */

import type { CloudflareClient } from "../cloudflare/client";
import { normalizeMember } from "../cloudflare/member";
import type { StagedSyncConfig } from "../config";
import type { Member } from "../domain/member";
import { stagedProgress, stagePageStatements } from "../store/sync-staging";
import {
  checkTotals,
  type ListFailure,
  memberPageFetcher,
  type OpeningPages,
  PAGE_CONCURRENCY,
  type PageAnswer,
  sizeOf,
} from "./fetch-members";
import type { Pacer } from "./pacer";

export interface StagedListingContext {
  db: D1Database;
  client: CloudflareClient;
  pacer: Pacer;
  accountId: string;
  runId: string;
  leaseToken: string;
  config: StagedSyncConfig;
  /** When this invocation started (epoch ms): it lists for at most config.invocationMs. */
  started: number;
  /** The run's page count and size, when an earlier delivery staged page 1. */
  size: { totalPages: number; perPage: number } | null;
  /** Told the D1 rows each staged page wrote, so a run reports its whole write cost. */
  onWritten: (rows: number) => void;
}

export type StagedListing =
  | { kind: "listed"; pages: number; members: number }
  | { kind: "paused"; delaySeconds: number }
  | { kind: "failed"; failure: ListFailure }
  /** Page 1 has no totals: the listing cannot be staged and walks in memory instead. */
  | { kind: "unsized" };

/** Lists what is missing of a staged run: all of it, or as much as this invocation may. */
export async function continueStagedListing(
  ctx: StagedListingContext,
  opening: OpeningPages | null,
): Promise<StagedListing> {
  const fetchPage = memberPageFetcher(ctx.client, ctx.accountId, ctx.pacer);
  let size = ctx.size;
  if (opening) {
    size = { totalPages: opening.totalPages, perPage: opening.perPage };
    for (const [page, members] of opening.pages) {
      await stagePage(ctx, page, members, page === 1 ? (opening.totalCounts[0] ?? null) : null, size);
    }
  } else if (!size) {
    const first = await fetchPage(1);
    if (!first.ok) return { kind: "failed", failure: first.error };
    size = sizeOf(first.value.resultInfo);
    if (!size) return { kind: "unsized" };
    const totalCount = first.value.resultInfo?.total_count ?? null;
    const unusable = checkTotals(size.totalPages, totalCount, size.perPage);
    if (unusable) return { kind: "failed", failure: unusable };
    await stagePage(ctx, 1, first.value.result.map(normalizeMember), totalCount, size);
  }
  const done = await stagedProgress(ctx.db, ctx.runId);
  const missing = Array.from({ length: size.totalPages }, (_, i) => i + 1).filter((p) => !done.pages.has(p));
  const stopped = await listMissing(ctx, fetchPage, missing);
  if (stopped) return stopped;
  const listed = await stagedProgress(ctx.db, ctx.runId);
  // A total that moved while we paged may have shifted members between pages already staged.
  if (listed.maxTotal !== null && listed.members < listed.maxTotal) {
    return {
      kind: "failed",
      failure: {
        kind: "inconsistent",
        message: `the member list changed while it was being read (${listed.members} listed, ${listed.maxTotal} expected)`,
      },
    };
  }
  return { kind: "listed", pages: listed.pages.size, members: listed.members };
}

/** Stages one page (page 1 also records the run's size); throws when the lease was lost. */
async function stagePage(
  ctx: StagedListingContext,
  page: number,
  members: readonly Member[],
  totalCount: number | null,
  size: { totalPages: number; perPage: number } | null,
): Promise<void> {
  const results = await ctx.db.batch(
    stagePageStatements(ctx.db, {
      runId: ctx.runId,
      leaseToken: ctx.leaseToken,
      page,
      members,
      totalCount,
      expected: page === 1 && size ? { pages: size.totalPages, perPage: size.perPage } : undefined,
    }),
  );
  ctx.onWritten(results.reduce((n, r) => n + (r.meta.rows_written ?? 0), 0));
}

/**
 * Requests the missing pages PAGE_CONCURRENCY at a time, staging each as it arrives; returns why
 * it stopped early (continue later, or failed), or null when every page is staged.
 */
async function listMissing(
  ctx: StagedListingContext,
  fetchPage: (page: number) => Promise<PageAnswer>,
  missing: number[],
): Promise<StagedListing | null> {
  const queue = [...missing];
  let stop: StagedListing | null = null;
  let requested = 0;
  const bound = ctx.config.pagesPerInvocation > 0 ? ctx.config.pagesPerInvocation : Number.POSITIVE_INFINITY;
  const worker = async () => {
    while (queue.length > 0 && !stop) {
      if (Date.now() - ctx.started >= ctx.config.invocationMs || requested >= bound) {
        stop ??= { kind: "paused", delaySeconds: Math.ceil(ctx.pacer.waitForNextMs() / 1000) };
        return;
      }
      const page = queue.shift()!;
      requested++;
      const answer = await fetchPage(page);
      if (!answer.ok) {
        // The pacer's own wait is a continuation, not a failure: the page is asked for next time.
        stop ??=
          answer.error.kind === "budget"
            ? { kind: "paused", delaySeconds: answer.error.retryAfterSeconds }
            : { kind: "failed", failure: answer.error };
        return;
      }
      const info = answer.value.resultInfo;
      await stagePage(ctx, page, answer.value.result.map(normalizeMember), info?.total_count ?? null, null);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PAGE_CONCURRENCY, queue.length) }, worker));
  return stop;
}
