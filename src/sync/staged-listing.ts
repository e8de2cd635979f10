/**
 * The listing of a staged sync (docs/sync.md#staged-sync): every page goes to D1 as it arrives,
 * with the page recorded as done in the same batch, so an attempt holds one page per connection
 * and the next delivery asks only for the pages still missing. An attempt stops when its
 * allowance (wall time, pacer) is used up; the run then continues in the next delivery. Complete
 * means: every page of the count page 1 reported is staged, and every stored member the pages did
 * not list has been asked about (staged-confirm.ts).
 */

import { normalizeMember } from "../cloudflare/member";
import type { StagedSyncConfig } from "../config";
import type { Member } from "../domain/member";
import { stagedPages, stagedTotals, stagePageStatements } from "../store/sync-staging";
import { checkTotals, memberPageFetcher, type OpeningPages, type PageAnswer, sizeOf } from "./fetch-members";
import { AttemptAllowance, type StagedRunContext, type StagedStop } from "./staged-attempt";
import { confirmUnlisted } from "./staged-confirm";

export interface StagedListingContext extends StagedRunContext {
  config: StagedSyncConfig;
  /** When this invocation started (epoch ms): it lists for at most config.invocationMs. */
  started: number;
  /** The run's page count and size, when an earlier delivery staged page 1. */
  size: { totalPages: number; perPage: number } | null;
}

type Size = { totalPages: number; perPage: number };

export type StagedListing =
  | { kind: "listed"; pages: number; members: number }
  | StagedStop
  /** Page 1 has no totals: the listing cannot be staged and walks in memory instead. */
  | { kind: "unsized" };

/** Lists what is missing of a staged run: all of it, or as much as this invocation may. */
export async function continueStagedListing(
  ctx: StagedListingContext,
  opening: OpeningPages | null,
): Promise<StagedListing> {
  const fetchPage = memberPageFetcher(ctx.client, ctx.accountId, ctx.pacer);
  const allowance = new AttemptAllowance(ctx.pacer, ctx.config, ctx.started);
  const size = ctx.size ?? (await stageFirstPages(ctx, fetchPage, opening));
  if ("kind" in size) return size;
  const done = await stagedPages(ctx.db, ctx.runId);
  const missing = Array.from({ length: size.totalPages }, (_, i) => i + 1).filter((p) => !done.has(p));
  const stopped = await allowance.each(missing, fetchPage, (page, answer) =>
    stagePage(ctx, page, answer.result.map(normalizeMember), answer.resultInfo?.total_count ?? null, null),
  );
  if (stopped) return stopped;
  const totals = await stagedTotals(ctx.db, ctx.runId);
  const confirmed = await confirmUnlisted({ ...ctx, confirmMax: ctx.config.confirmMax }, allowance, totals);
  if (confirmed.kind !== "confirmed") return confirmed;
  // An attempt that listed much leaves the diff and switch to a fresh delivery (its own 15 minutes).
  if (allowance.requested > 0 && allowance.halfUsed()) return { kind: "paused", delaySeconds: 0 };
  return { kind: "listed", pages: totals.pages, members: totals.members + confirmed.found };
}

/**
 * The run's first delivery: the pages the in-memory listing read before it handed over, or page 1
 * alone. Returns the listing's size, or why it cannot be staged.
 */
async function stageFirstPages(
  ctx: StagedListingContext,
  fetchPage: (page: number) => Promise<PageAnswer>,
  opening: OpeningPages | null,
): Promise<Size | StagedListing> {
  if (opening) {
    const size = { totalPages: opening.totalPages, perPage: opening.perPage };
    const unusable = checkTotals(size.totalPages, opening.totalCounts.get(1) ?? null, size.perPage);
    if (unusable) return { kind: "failed", failure: unusable };
    for (const [page, members] of opening.pages) {
      await stagePage(ctx, page, members, opening.totalCounts.get(page) ?? null, page === 1 ? size : null);
    }
    return size;
  }
  const first = await fetchPage(1);
  if (!first.ok) return { kind: "failed", failure: first.error };
  const size = sizeOf(first.value.resultInfo);
  if (!size) return { kind: "unsized" };
  const totalCount = first.value.resultInfo?.total_count ?? null;
  const unusable = checkTotals(size.totalPages, totalCount, size.perPage);
  if (unusable) return { kind: "failed", failure: unusable };
  await stagePage(ctx, 1, first.value.result.map(normalizeMember), totalCount, size);
  return size;
}

/** Stages one page (page 1 also records the run's size); throws when the lease was lost. */
async function stagePage(
  ctx: StagedListingContext,
  page: number,
  members: readonly Member[],
  totalCount: number | null,
  size: Size | null,
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
