/**
 * Beyond one invocation (optional: `--only=huge`): the first sync of one account of 100,000 members
 * (`--huge-members`) against the default token budget of 1,200 requests per 5 minutes. The sync is
 * staged (docs/sync.md#staged-sync): records the member requests against ceil(N / 50), the queue
 * deliveries it took, its wall time against the pacing floor (the pacer's burst, then its refill
 * rate), the D1 rows it wrote (every attempt's log line) and the members stored. docs/scale.md cites it.
 */
import { PACER_BURST, PACER_RATE_PER_MS } from "../../src/sync/pacer";
import type { Context } from "../lib/context";
import type { Figure } from "../lib/report";
import { grouped, progress, waitFor } from "../lib/util";
import { dispose } from "./first-sync";

/** The least wall time the pacer allows for `requests` member pages: the burst at once, then its refill. */
export const pacingFloorMs = (requests: number) => Math.max(0, requests - PACER_BURST) / PACER_RATE_PER_MS;

export async function hugeFigures(ctx: Context): Promise<{ figures: Figure[]; data: unknown }> {
  const { b } = ctx;
  const n = ctx.opts.hugeMembers;
  progress(`huge: first sync of one account of ${grouped(n)} members (default token budget)`);
  const account = await b.account(`Bench Huge ${n}`, n);
  const t0 = Date.now();
  const integration = await b.createIntegration("huge", account);
  const runId = integration.lastSync!.id;
  const { run, stalled } = await followRun(ctx, runId, account.accountId);
  const wallMs = Date.now() - t0;
  // The final attempt's log line follows its D1 write.
  if (!stalled) await b.runLog(runId);
  const attempts = ctx.workerLog.events
    .filter((e) => e.event === "sync_run" && e.runId === runId)
    .map((e) => ({
      status: e.status,
      apiRequests: e.apiRequests,
      durationMs: e.durationMs,
      rowsWritten: e.rowsWritten ?? null,
      retryAfterSeconds: e.retryAfterSeconds ?? null,
      error: e.error ?? null,
    }));
  const data = await hugeData(ctx, {
    n,
    runId,
    run,
    stalled,
    wallMs,
    attempts,
    accountId: account.accountId,
  });
  data.accountCount = (await b.call("GET", `/v1/integrations/${integration.id}`)).accountCount;
  progress(
    `huge: run ${run.status}${run.error ? ` (${run.error.code})` : ""} after ${(wallMs / 1000).toFixed(0)} s (floor ${(data.floorMs / 1000).toFixed(0)} s), ${attempts.length} deliveries, ${data.memberRequests} member requests for ${data.pagesNeeded} pages, ${grouped(data.rowsWritten)} D1 rows written, ${grouped(data.accountCount)} accounts stored`,
  );
  await dispose(ctx, integration.id, account.accountId);
  return { figures: [hugeFigure(n, data)], data };
}

/** Polls the run until it ends (or the local queue lost its message), reporting each delivery. */
async function followRun(ctx: Context, runId: string, accountId: string) {
  const { b } = ctx;
  let seen = 0;
  let lastActivity = Date.now();
  let lastRequests = 0;
  let retryAfterMs = 0;
  let stalled = false;
  const run = await waitFor(
    "the huge sync to end",
    async () => {
      // The local D1 answers nothing while the switch's long batch runs: ask again, don't give up.
      const r = await b.call("GET", `/v1/syncs/${runId}`).catch((e: unknown) => {
        if ((e as { name?: string } | null)?.name === "TimeoutError") return null;
        throw e;
      });
      if (r === null) return undefined;
      const attempts = ctx.workerLog.events.filter((e) => e.event === "sync_run" && e.runId === runId);
      if (attempts.length > seen) {
        seen = attempts.length;
        const last = attempts[attempts.length - 1]!;
        retryAfterMs = (last.retryAfterSeconds ?? 0) * 1000;
        lastActivity = Date.now();
        progress(
          `huge: delivery ${seen} ended ${last.status} after ${last.apiRequests} requests, ${r.progress ? `${r.progress.pagesListed}/${r.progress.pagesExpected} pages listed` : ""}` +
            (last.status === "continued" ? `, continuing in ${last.retryAfterSeconds} s` : ""),
        );
      }
      if (r.status === "succeeded" || r.status === "failed") return r;
      const requests = (await b.memberListingRequests(accountId)).length;
      if (requests !== lastRequests) {
        lastRequests = requests;
        lastActivity = Date.now();
      }
      // A queued run with no request long after its continuation was due: the local queue lost it.
      if (r.status === "queued" && Date.now() - lastActivity > retryAfterMs + 180_000) {
        stalled = true;
        return r;
      }
      return undefined;
    },
    60 * 60_000,
    1000,
  );
  if (stalled)
    progress(
      "huge: the run is still queued long after its continuation was due: the local queue lost the message",
    );
  return { run, stalled };
}

interface HugeRun {
  n: number;
  runId: string;
  accountId: string;
  run: Record<string, any>;
  stalled: boolean;
  wallMs: number;
  attempts: { status: string; rowsWritten: number | null }[];
}

async function hugeData(ctx: Context, h: HugeRun) {
  const { requests } = await ctx.b.control<{ requests: { status: number; query: string }[] }>(
    "GET",
    `/requests?accountId=${h.accountId}&route=members`,
  );
  const listing = requests.filter((r) => /(^|&)per_page=50(&|$)/.test(r.query));
  const pagesNeeded = Math.ceil(h.n / 50);
  const floorMs = pacingFloorMs(pagesNeeded);
  return {
    members: h.n,
    stalled: h.stalled,
    pagesNeeded,
    status: h.run.status,
    error: h.run.error,
    counts: h.run.counts,
    progress: h.run.progress,
    wallMs: h.wallMs,
    floorMs,
    wallOverFloor: floorMs > 0 ? h.wallMs / floorMs : null,
    deliveries: h.attempts.length,
    attempts: h.attempts,
    memberRequests: listing.length,
    rateLimited429: listing.filter((r) => r.status === 429).length,
    rowsWritten: h.attempts.reduce((sum, a) => sum + (a.rowsWritten ?? 0), 0),
    accountCount: 0,
  };
}

function hugeFigure(n: number, data: Awaited<ReturnType<typeof hugeData>>): Figure {
  const ok =
    data.status === "succeeded" && data.accountCount === n && data.memberRequests === data.pagesNeeded;
  return {
    id: "huge",
    figure: `first sync of one account of ${grouped(n)} members (${grouped(data.pagesNeeded)} pages, default token budget, staged)`,
    measured: `${data.stalled ? "stalled (the local queue lost the message), still " : ""}${data.status}${data.error ? ` ${data.error.code}` : ""} in ${(data.wallMs / 1000).toFixed(0)} s = ${data.wallOverFloor?.toFixed(2) ?? "—"}× the pacing floor; ${data.deliveries} deliveries, ${grouped(data.memberRequests)} member requests for ${grouped(data.pagesNeeded)} pages, ${data.rateLimited429} answered 429, ${grouped(data.rowsWritten)} D1 rows written, ${grouped(data.accountCount)} accounts stored`,
    floor: `${(data.floorMs / 1000).toFixed(0)} s (${PACER_BURST} pages at once, then ${(PACER_RATE_PER_MS * 1000).toFixed(0)} a second)`,
    ratio: data.wallOverFloor,
    target: "complete; member requests = ceil(N/50); wall ≤ 1.2× the floor",
    pass: ok && data.wallOverFloor !== null && data.wallOverFloor <= 1.2,
    values: data,
  };
}
