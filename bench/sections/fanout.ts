/**
 * Scale by simulation: M integrations (default 200) of 1,000 members each, connected through the
 * API (first syncs through the real local queue), then one cron tick that fans all of them out
 * again. Measures the per-integration cost (wall, CPU, Cloudflare requests, D1 rows and queries,
 * database bytes per member) that docs/scale.md extrapolates from.
 */
import type { SyncRunLog } from "../lib/api";
import type { Context } from "../lib/context";
import type { Figure } from "../lib/report";
import { grouped, mapLimit, median, percentile, progress, round, waitFor } from "../lib/util";

interface Interval {
  start: number;
  end: number;
}

/** Most runs in flight at once. */
function maxOverlap(intervals: Interval[]): number {
  const points = intervals.flatMap((i) => [
    { t: i.start, d: 1 },
    { t: i.end, d: -1 },
  ]);
  points.sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let max = 0;
  for (const p of points) {
    now += p.d;
    max = Math.max(max, now);
  }
  return max;
}

const interval = (l: SyncRunLog): Interval => {
  const end = Date.parse(l.time);
  return { start: end - l.durationMs, end };
};

async function dbSize(ctx: Context): Promise<{ bytes: number | null; userAccounts: number; events: number }> {
  const r = await fetch(`${ctx.b.api}/__bench/db-size`);
  return (await r.json()) as { bytes: number | null; userAccounts: number; events: number };
}

function summary(logs: SyncRunLog[]) {
  return {
    runs: logs.length,
    failed: logs.filter((l) => l.status !== "succeeded").length,
    durationMsMedian: median(logs.map((l) => l.durationMs)),
    durationMsP95: percentile(
      logs.map((l) => l.durationMs),
      95,
    ),
    apiRequestsMedian: median(logs.map((l) => l.apiRequests)),
    pagesMedian: median(logs.map((l) => l.pages ?? 0)),
    rowsWrittenMedian: median(logs.map((l) => l.rowsWritten ?? 0)),
    maxConcurrent: maxOverlap(logs.map(interval)),
  };
}

export async function fanoutFigures(ctx: Context): Promise<{ figures: Figure[]; data: Record<string, any> }> {
  const { b, opts } = ctx;
  const m = opts.fanout;
  const n = opts.fanoutMembers;

  // Only the fleet is enabled, so the cron tick fans out exactly M integrations.
  const existing = await b.call<{ data: { id: string; enabled: boolean }[] }>("GET", "/v1/integrations");
  for (const i of existing.data.filter((x) => x.enabled)) {
    await b.call("PATCH", `/v1/integrations/${i.id}`, { enabled: false });
  }

  progress(`fan-out: creating ${m} simulated accounts of ${grouped(n)} members`);
  const accounts = await mapLimit(
    Array.from({ length: m }, (_, i) => i),
    8,
    (i) => b.account(`Fleet ${String(i).padStart(4, "0")}`, n),
  );

  // Phase 1: connect all of them through the API; each connection queues a first sync.
  const size0 = await dbSize(ctx);
  const cpu0 = ctx.workerCpuMs();
  const t0 = Date.now();
  let connected = 0;
  const integrations = await mapLimit(accounts, 4, async (a, i) => {
    const integration = await b.createIntegration(`fleet-${i}`, a);
    if (++connected % 50 === 0) progress(`fan-out: ${connected}/${m} integrations connected`);
    return integration;
  });
  const fleet = new Set(integrations.map((i) => i.id));
  // The local queue runs one sync at a time, so the last first sync ends minutes after its creation.
  const firstLogs = await Promise.all(integrations.map((i) => b.runLog(i.lastSync!.id, 30 * 60_000)));
  const firstMs = Date.now() - t0;
  const firstCpu = ctx.workerCpuMs() - cpu0;
  const size1 = await dbSize(ctx);
  const first = summary(firstLogs);
  progress(
    `fan-out: ${m} connections + first syncs in ${(firstMs / 1000).toFixed(1)} s; median sync ${first.durationMsMedian} ms, ${first.rowsWrittenMedian} rows`,
  );

  // Phase 2: one cron tick re-syncs every integration (nothing changed).
  const cpu1 = ctx.workerCpuMs();
  const sim1 = ctx.simulatorCpuMs();
  const since = new Date().toISOString();
  const t1 = Date.now();
  const r = await fetch(`${b.api}/__scheduled?cron=${encodeURIComponent("*/15 * * * *")}`);
  await r.arrayBuffer();
  const tick = await ctx.workerLog.waitFor(
    (e) => e.event === "cron_tick" && e.time >= since,
    120_000,
    "the cron_tick log line",
  );
  const tickD1 = await ctx.workerLog.waitFor(
    (e) => e.event === "bench_d1" && e.handler === "scheduled" && e.time >= since,
    120_000,
    "the scheduled bench_d1 line",
  );
  const tickMs = Date.parse(tick.time) - t1;
  let reported = 0;
  const cronLogs = await waitFor(
    `${m} cron syncs`,
    async () => {
      const logs = ctx.workerLog.events.filter(
        (e) =>
          e.event === "sync_run" &&
          e.trigger === "cron" &&
          e.status !== "requeued" &&
          e.time >= since &&
          fleet.has(e.integrationId),
      ) as unknown as SyncRunLog[];
      if (logs.length >= reported + 50) {
        reported = logs.length - (logs.length % 50);
        progress(`fan-out: ${logs.length}/${m} cron syncs done`);
      }
      return logs.length >= m ? logs : undefined;
    },
    30 * 60_000,
    500,
  );
  const cronMs = Math.max(...cronLogs.map((l) => Date.parse(l.time))) - t1;
  const cronCpu = ctx.workerCpuMs() - cpu1;
  const cronSimCpu = ctx.simulatorCpuMs() - sim1;
  const runIds = new Set(cronLogs.map((l) => l.runId));
  const queueD1 = ctx.workerLog.events.filter(
    (e) => e.event === "bench_d1" && e.handler === "queue" && e.runIds?.some((id: string) => runIds.has(id)),
  );
  const cron = summary(cronLogs);
  const perIntegrationCpu = cronCpu / m;
  const bytesPerMember =
    size0.bytes !== null && size1.bytes !== null ? (size1.bytes - size0.bytes) / (m * n) : null;
  progress(
    `fan-out: cron tick ${tickMs} ms, all ${m} syncs done ${(cronMs / 1000).toFixed(1)} s after it; ` +
      `${perIntegrationCpu.toFixed(1)} ms workerd CPU per integration, at most ${cron.maxConcurrent} in flight`,
  );

  const data = {
    integrations: m,
    membersEach: n,
    latencyMs: opts.latencyMs,
    connectAndFirstSync: {
      wallMs: firstMs,
      workerCpuMs: firstCpu,
      ...first,
      dbBytesBefore: size0.bytes,
      dbBytesAfter: size1.bytes,
      userAccountRows: size1.userAccounts - size0.userAccounts,
      eventRows: size1.events - size0.events,
      dbBytesPerMember: bytesPerMember === null ? null : round(bytesPerMember, 1),
    },
    cronResync: {
      tickMs,
      tick: { queued: tick.queued, alreadyActive: tick.alreadyActive, pruned: tick.pruned },
      tickD1: {
        queries: tickD1.queries,
        batches: tickD1.batches,
        rowsWritten: tickD1.rowsWritten,
        rowsRead: tickD1.rowsRead,
      },
      wallMs: cronMs,
      integrationsPerSecond: round((m * 1000) / cronMs, 2),
      workerCpuMs: cronCpu,
      workerCpuMsPerIntegration: round(perIntegrationCpu, 2),
      simulatorCpuMsPerIntegration: round(cronSimCpu / m, 2),
      ...cron,
      d1QueriesPerSyncMedian: median(queueD1.map((e) => e.queries as number)),
      d1RowsWrittenPerSyncMedian: median(queueD1.map((e) => e.rowsWritten as number)),
      d1RowsReadPerSyncMedian: median(queueD1.map((e) => e.rowsRead as number)),
    },
  };

  const figures: Figure[] = [
    {
      id: "fanout.cron",
      figure: `cron fan-out of ${m} integrations × ${grouped(n)} members (local queue, unchanged)`,
      measured: `${(cronMs / 1000).toFixed(1)} s to finish all; per sync ${cron.durationMsMedian} ms wall, ${perIntegrationCpu.toFixed(1)} ms workerd CPU, ${cron.apiRequestsMedian} Cloudflare requests, ${cron.rowsWrittenMedian} rows`,
      floor: "—",
      ratio: null,
      target: "report (docs/scale.md)",
      pass: null,
      values: data.cronResync,
    },
    {
      id: "fanout.tick",
      figure: `cron tick enqueueing ${m} integrations`,
      measured: `${tickMs} ms, ${tickD1.queries} D1 queries in ${tickD1.batches} batches, ${grouped(tickD1.rowsWritten)} rows written (${(tickD1.rowsWritten / m).toFixed(1)} per integration)`,
      floor: "—",
      ratio: null,
      target: "report (docs/scale.md)",
      pass: null,
      values: data.cronResync.tickD1,
    },
    {
      id: "fanout.first",
      figure: `connect + first sync of ${m} integrations × ${grouped(n)} members`,
      measured: `${(firstMs / 1000).toFixed(1)} s; per sync ${first.durationMsMedian} ms, ${grouped(first.rowsWrittenMedian)} rows; D1 ${bytesPerMember === null ? "n/a" : `${bytesPerMember.toFixed(0)} bytes`} per member (rows, events, indexes)`,
      floor: "—",
      ratio: null,
      target: "report (docs/scale.md)",
      pass: null,
      values: data.connectAndFirstSync,
    },
  ];
  return { figures, data };
}
