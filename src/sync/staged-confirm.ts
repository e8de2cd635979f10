/**
 * Churn during a staged listing (docs/sync.md#churn-during-a-staged-listing). Pages are read by
 * number over many minutes: a member removed ahead of the listing's position moves every later
 * member up one place, so one of them is never listed. So before the switch may mark a stored
 * member removed, each stored member the pages did not list is asked for by its own request:
 * Cloudflare still has it (staged as if listed) or answers 404 (confirmed gone). Members that
 * joined during the listing and were not listed simply arrive with the next sync.
 */
import { normalizeMember } from "../cloudflare/member";
import { memberSchema } from "../cloudflare/schemas";
import type { Member } from "../domain/member";
import { ok, type Result } from "../lib/result";
import { type StagedTotals, stageConfirmedStatements, unlistedMembers } from "../store/sync-staging";
import type { ListFailure } from "./fetch-members";
import type { AttemptAllowance, StagedRunContext, StagedStop } from "./staged-attempt";

/** Cloudflare's codes for a path it could not route: an account or id it cannot place. */
const NO_ROUTE = new Set([7000, 7003]);

export interface ConfirmContext extends StagedRunContext {
  /** STAGED_SYNC_CONFIRM_MAX: beyond this many unlisted members none is asked about. */
  confirmMax: number;
}

/** Every unlisted member answered for; `found` of them were still members. */
export type Confirmation = { kind: "confirmed"; found: number } | StagedStop;

/**
 * Asks about the stored members the listing missed. Past `confirmMax` of them, the listing is
 * trusted when every page reported the same total and it listed that many (as the in-memory sync
 * trusts its own: a large removal made before the sync), and fails as inconsistent otherwise.
 */
export async function confirmUnlisted(
  ctx: ConfirmContext,
  allowance: AttemptAllowance,
  totals: StagedTotals,
): Promise<Confirmation> {
  const { ids, confirmedGone } = await unlistedMembers(ctx.db, {
    runId: ctx.runId,
    integrationId: ctx.integrationId,
    limit: ctx.confirmMax + 1,
  });
  if (ids.length + confirmedGone > ctx.confirmMax) {
    if (steady(totals)) return { kind: "confirmed", found: 0 };
    return {
      kind: "failed",
      failure: {
        kind: "inconsistent",
        message: `the member list changed while it was being read (${totals.members} listed, ${totals.maxTotal} expected) and more than ${ctx.confirmMax} stored members were not listed`,
      },
    };
  }
  let found = 0;
  const stop = await allowance.each(
    ids,
    (id) => askMember(ctx, id),
    async (id, member) => {
      const statements = stageConfirmedStatements(ctx.db, {
        runId: ctx.runId,
        leaseToken: ctx.leaseToken,
        found: member ? [member] : [],
        gone: member ? [] : [id],
      });
      const results = await ctx.db.batch(statements);
      ctx.onWritten(results.reduce((n, r) => n + (r.meta.rows_written ?? 0), 0));
      if (member) found++;
    },
  );
  return stop ?? { kind: "confirmed", found };
}

/** Every page reported the same total, and the listing has that many members. */
function steady(t: StagedTotals): boolean {
  return t.minTotal === t.maxTotal && (t.maxTotal === null || t.members >= t.maxTotal);
}

/**
 * One member by id, paced: the member, or null when Cloudflare answers 404 "Member not found for
 * account" (docs/cloudflare.md#member-details). A 404 that could not route the path (7003, 7000),
 * or one without Cloudflare's error envelope, says nothing about the member: it fails like any
 * refused page.
 */
async function askMember(ctx: ConfirmContext, id: string): Promise<Result<Member | null, ListFailure>> {
  const paced = await ctx.pacer.acquire();
  if (!paced.ok) return paced;
  const answer = await ctx.client.get(
    `/accounts/${encodeURIComponent(ctx.accountId)}/members/${encodeURIComponent(id)}`,
    {},
    memberSchema,
  );
  if (answer.ok) return ok(normalizeMember(answer.value.result));
  const { error } = answer;
  // Cloudflare's own 404 names its error; a bare 404 (a proxy's page, a wrong base URL) says nothing.
  const codes = error.kind === "http" ? error.errors.map((e) => e.code ?? 0) : [];
  if (
    error.kind === "http" &&
    error.status === 404 &&
    codes.length > 0 &&
    !codes.some((c) => NO_ROUTE.has(c))
  ) {
    return ok(null);
  }
  return answer;
}
