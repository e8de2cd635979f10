/**
 * Churn during a staged re-sync (optional: `--only=churn`), docs/sync.md#churn-during-a-staged-listing.
 * An account of 15,000 members (300 pages: staged) is synced once, then re-synced. While the
 * re-sync lists (the bench polls its progress), members leave from pages it has already read (each
 * one moves a member of the next page onto a page already read) and new members join. Records: the re-sync's outcome, the members it marked removed that Cloudflare
 * still has (false leavers), its single-member confirmations, and what the next sync removes.
 */
import type { Context } from "../lib/context";
import type { Figure } from "../lib/report";
import { grouped, progress, waitFor } from "../lib/util";
import { dispose } from "./first-sync";

const MEMBERS = 15_000;
/** Members that leave at each of two points of the listing, and members that join at the first. */
const LEAVE_EACH = 10;
const JOIN = 10;

type Raw = { id: string; user?: { email?: string } };

export async function churnFigures(ctx: Context): Promise<{ figures: Figure[]; data: unknown }> {
  const { b } = ctx;
  progress(`churn: ${grouped(MEMBERS)} members, first sync`);
  const account = await b.account("Bench Churn", MEMBERS);
  const integration = await b.createIntegration("churn", account);
  await b.finished(integration.lastSync!.id, 20 * 60_000);

  const byEmail = await membersByEmail(ctx, account.accountId);
  const resync = await b.startSync(integration.id);
  const left: string[] = [];
  // Members well behind the listing's position (5 pages are in flight at a time) leave.
  for (const [at, from] of [
    [100, 20],
    [200, 120],
  ] as const) {
    await untilListed(ctx, resync.id, at);
    for (let i = 0; i < LEAVE_EACH; i++) {
      const member = byEmail[(from + i * 7) * 50 + 10]!;
      await b.control("DELETE", `/accounts/${account.accountId}/members/${member.id}`);
      left.push(member.id);
    }
    if (at === 100) await join(ctx, account.accountId);
    progress(`churn: ${left.length} members left, ${JOIN} joined while the re-sync listed page ${at}`);
  }
  const churned = await settled(ctx, resync.id);
  const afterResync = await activeIds(ctx, integration.id);
  const present = new Set((await membersByEmail(ctx, account.accountId)).map((m) => m.id));
  const falseLeavers = byEmail.filter((m) => present.has(m.id) && !afterResync.has(m.id)).length;
  const resyncConfirmations = await confirmations(ctx, account.accountId);

  progress("churn: the next sync (removes who left)");
  const next = await b.startSync(integration.id);
  const settledNext = await settled(ctx, next.id);
  const afterNext = await activeIds(ctx, integration.id);
  const data = {
    members: MEMBERS,
    left: left.length,
    joined: JOIN,
    resync: {
      status: churned.status,
      error: churned.error,
      counts: churned.counts,
      apiRequests: churned.apiRequests,
    },
    falseLeavers,
    resyncConfirmations,
    next: { status: settledNext.status, counts: settledNext.counts },
    nextConfirmations: (await confirmations(ctx, account.accountId)) - resyncConfirmations,
    storedAfterNext: afterNext.size,
    presentAfterNext: present.size,
    storedEqualsPresent: afterNext.size === present.size && [...present].every((id) => afterNext.has(id)),
  };
  progress(`churn: ${JSON.stringify(data)}`);
  await dispose(ctx, integration.id, account.accountId);
  return { figures: [churnFigure(data)], data };
}

async function membersByEmail(ctx: Context, accountId: string): Promise<Raw[]> {
  const { members } = await ctx.b.control<{ members: Raw[] }>("GET", `/accounts/${accountId}/members`);
  return members.sort((a, b) => ((a.user?.email ?? "") < (b.user?.email ?? "") ? -1 : 1));
}

async function join(ctx: Context, accountId: string) {
  const members = Array.from({ length: JOIN }, (_, i) => {
    const id = (0xc0ffee00 + i).toString(16).padStart(32, "0");
    const email = `joined${String(i).padStart(2, "0")}@churn.example`;
    return {
      id,
      status: "accepted",
      user: { id: `u${id.slice(1)}`, email, first_name: "Joined", last_name: `${i}` },
    };
  });
  await ctx.b.control("POST", `/accounts/${accountId}/members`, { members });
}

async function untilListed(ctx: Context, runId: string, pages: number) {
  await waitFor(
    `the re-sync to list ${pages} pages`,
    async () => {
      const r = await ctx.b.call("GET", `/v1/syncs/${runId}`);
      if (r.status === "failed" || r.status === "succeeded")
        throw new Error(`the re-sync ended early: ${r.status}`);
      return (r.progress?.pagesListed ?? 0) >= pages ? r : undefined;
    },
    15 * 60_000,
    250,
  );
}

/** The run once it has ended, failed or not. */
async function settled(ctx: Context, runId: string) {
  return waitFor(
    `sync ${runId} to end`,
    async () => {
      const r = await ctx.b.call("GET", `/v1/syncs/${runId}`).catch(() => null);
      return r && (r.status === "succeeded" || r.status === "failed") ? r : undefined;
    },
    20 * 60_000,
    500,
  );
}

/** Ids of the integration's active user accounts, through the API's own paging. */
async function activeIds(ctx: Context, integrationId: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | null = null;
  do {
    const page: { data: { id: string }[]; nextCursor: string | null } = await ctx.b.call(
      "GET",
      `/v1/integrations/${integrationId}/accounts?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    for (const a of page.data) ids.add(a.id);
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

/** Single-member requests (Member Details) the simulator has seen for the account. */
async function confirmations(ctx: Context, accountId: string): Promise<number> {
  const { requests } = await ctx.b.control<{ requests: { path: string }[] }>(
    "GET",
    `/requests?accountId=${accountId}&route=member`,
  );
  return requests.filter((r) => /\/members\/[^/]+$/.test(r.path)).length;
}

function churnFigure(d: {
  left: number;
  joined: number;
  resync: { status: string; error: { code: string } | null; counts: { removed: number; added: number } };
  falseLeavers: number;
  resyncConfirmations: number;
  next: { status: string; counts: { removed: number; added: number } };
  nextConfirmations: number;
  storedEqualsPresent: boolean;
}): Figure {
  const pass =
    d.resync.status === "succeeded" &&
    d.falseLeavers === 0 &&
    d.next.status === "succeeded" &&
    d.next.counts.removed === d.left &&
    d.storedEqualsPresent;
  return {
    id: "churn",
    figure: `staged re-sync of ${grouped(MEMBERS)} members while ${d.left} leave from pages already read and ${d.joined} join`,
    measured:
      `re-sync ${d.resync.status}${d.resync.error ? ` ${d.resync.error.code}` : ""}: ${d.falseLeavers} false leavers, ` +
      `${d.resync.counts.removed} removed, ${d.resync.counts.added} added, ${d.resyncConfirmations} single-member requests; ` +
      `next sync ${d.next.status}: ${d.next.counts.removed} removed, ${d.next.counts.added} added, ${d.nextConfirmations} single-member requests; ` +
      `stored list ${d.storedEqualsPresent ? "equals" : "differs from"} Cloudflare's`,
    floor: "—",
    ratio: null,
    target:
      "both syncs succeed; 0 false leavers; the next sync removes exactly who left; stored = Cloudflare's list",
    pass,
    values: d,
  };
}
