/**
 * Beyond one invocation (optional: `--only=huge`): the first sync of one account of 100,000 members
 * (2,001 Cloudflare requests) against the default token budget of 1,200 requests per 5 minutes.
 * Records what the design does: how far each attempt gets, how it gives the run back to the queue,
 * and how the run ends. docs/scale.md cites it.
 */
import type { Context } from "../lib/context";
import type { Figure } from "../lib/report";
import { grouped, progress, waitFor } from "../lib/util";
import { dispose } from "./first-sync";

export async function hugeFigures(ctx: Context): Promise<{ figures: Figure[]; data: unknown }> {
  const { b } = ctx;
  const n = ctx.opts.hugeMembers;
  progress(`huge: first sync of one account of ${grouped(n)} members (default token budget)`);
  const account = await b.account(`Bench Huge ${n}`, n);
  const t0 = Date.now();
  const integration = await b.createIntegration("huge", account);
  const runId = integration.lastSync!.id;
  let seen = 0;
  let lastActivity = Date.now();
  let lastRequests = 0;
  let retryAfterMs = 0;
  let stalled = false;
  const run = await waitFor(
    "the huge sync to end",
    async () => {
      const r = await b.call("GET", `/v1/syncs/${runId}`);
      const attempts = ctx.workerLog.events.filter((e) => e.event === "sync_run" && e.runId === runId);
      if (attempts.length > seen) {
        seen = attempts.length;
        const last = attempts[attempts.length - 1]!;
        retryAfterMs = (last.retryAfterSeconds ?? 0) * 1000;
        lastActivity = Date.now();
        progress(
          `huge: attempt ${seen} ended ${last.status} after ${last.apiRequests} requests` +
            (last.retryAfterSeconds ? `, back in the queue in ${last.retryAfterSeconds} s` : ""),
        );
      }
      if (r.status === "succeeded" || r.status === "failed") return r;
      const requests = (await b.memberListingRequests(account.accountId)).length;
      if (requests !== lastRequests) {
        lastRequests = requests;
        lastActivity = Date.now();
      }
      // A queued run with no request long after its retry was due: the local queue lost the message.
      if (r.status === "queued" && Date.now() - lastActivity > retryAfterMs + 90_000) {
        stalled = true;
        return r;
      }
      return undefined;
    },
    30 * 60_000,
    1000,
  );
  const wallMs = Date.now() - t0;
  // The final attempt's log line follows its D1 write.
  if (!stalled) await b.runLog(runId);
  const attempts = ctx.workerLog.events
    .filter((e) => e.event === "sync_run" && e.runId === runId)
    .map((e) => ({
      status: e.status,
      apiRequests: e.apiRequests,
      durationMs: e.durationMs,
      retryAfterSeconds: e.retryAfterSeconds ?? null,
      error: e.error ?? null,
    }));
  const { requests } = await b.control<{ requests: { status: number; query: string }[] }>(
    "GET",
    `/requests?accountId=${account.accountId}&route=members`,
  );
  const listing = requests.filter((r) => /(^|&)per_page=50(&|$)/.test(r.query));
  const queueLines = ctx.workerLog.lines
    .filter((l) => /QUEUE|Retrying|Dropped|dead letter/.test(l))
    .slice(-10);
  const data = {
    members: n,
    stalled,
    queueLog: queueLines,
    pagesNeeded: Math.ceil(n / 50),
    status: run.status,
    error: run.error,
    wallMs,
    attempts,
    memberRequests: listing.length,
    rateLimited429: listing.filter((r) => r.status === 429).length,
    accountCount: (await b.call("GET", `/v1/integrations/${integration.id}`)).accountCount,
  };
  if (stalled) {
    progress(
      `huge: the run is still queued ${((Date.now() - lastActivity) / 1000).toFixed(0)} s after its retry was due: the local queue lost the message`,
    );
  }
  progress(
    `huge: run ${run.status}${run.error ? ` (${run.error.code})` : ""} after ${(wallMs / 1000).toFixed(0)} s, ${attempts.length} attempts, ${listing.length} member requests (${data.rateLimited429} answered 429)`,
  );
  await dispose(ctx, integration.id, account.accountId);
  return {
    figures: [
      {
        id: "huge",
        figure: `first sync of one account of ${grouped(n)} members (${grouped(data.pagesNeeded)} pages, default token budget)`,
        measured: `${stalled ? "stalled (the local queue lost the message), still " : ""}${run.status}${run.error ? ` ${run.error.code}` : ""} after ${(wallMs / 1000).toFixed(0)} s: ${attempts.length} attempts, ${grouped(listing.length)} member requests, ${data.rateLimited429} answered 429, ${grouped(data.accountCount)} accounts stored`,
        floor: "—",
        ratio: null,
        target: "report (docs/scale.md)",
        pass: null,
        values: data,
      },
    ],
    data,
  };
}
