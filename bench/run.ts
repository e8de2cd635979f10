/**
 * `npm run bench`: starts the simulator and the Worker (as `npm start` does, from the bench entry
 * and bench-only state), runs every benchmark section, writes bench/results.md and
 * bench/results.json, and stops everything it started. See bench/README.md.
 *
 *   npm run bench -- --quick                 smaller N, one repetition, short HTTP runs
 *   npm run bench -- --only=read,writes      some sections (bundle, diff, first-sync, writes, read, console,
 *                                            fanout, review, webhooks, churn, huge); the other sections' figures stay from the last run
 *   npm run bench -- --latency=50 --reps=5 --sizes=1000,10000 --fanout=100 --seconds=5
 * Environment: BENCH_LATENCY_MS, BENCH_PORT (default 8797), BENCH_SIM_PORT (default 8798).
 */
import { cpus } from "node:os";
import { Bench } from "./lib/api";
import { type BenchOptions, Context } from "./lib/context";
import {
  applyMigrations,
  installCleanup,
  resetState,
  startSimulator,
  startWorker,
  stopAll,
  writeBenchConfig,
} from "./lib/processes";
import { type Figure, type Results, readResults, writeResults } from "./lib/report";
import { grouped, progress } from "./lib/util";
import { bundleFigures } from "./sections/bundle";
import { churnFigures } from "./sections/churn";
import { consoleFigures } from "./sections/console";
import { diffFigures } from "./sections/diff";
import { fanoutFigures } from "./sections/fanout";
import { firstSyncFigures } from "./sections/first-sync";
import { hugeFigures } from "./sections/huge";
import { readFigures } from "./sections/read-path";
import { reviewFigures } from "./sections/review";
import { webhookFigures } from "./sections/webhooks";
import { writeFigures } from "./sections/writes";

/** In run and report order; `churn` and `huge` run only when asked for (--only=churn,huge). */
const SECTIONS = [
  "bundle",
  "diff",
  "first-sync",
  "writes",
  "read",
  "console",
  "fanout",
  "review",
  "webhooks",
  "churn",
  "huge",
];
const DEFAULT_SECTIONS = SECTIONS.filter((s) => s !== "churn" && s !== "huge");

function parseOptions(argv: string[]): BenchOptions {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unknown argument ${arg} (see bench/README.md)`);
    flags.set(m[1]!, m[2] ?? "true");
  }
  const quick = flags.get("quick") === "true";
  const int = (name: string, fallback: number) => {
    const raw = flags.get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number`);
    return n;
  };
  const sections = flags.has("only") ? flags.get("only")!.split(",") : DEFAULT_SECTIONS;
  for (const s of sections) if (!SECTIONS.includes(s)) throw new Error(`unknown section ${s}`);
  return {
    quick,
    latencyMs: int("latency", Number(process.env.BENCH_LATENCY_MS ?? 25)),
    reps: Math.max(1, int("reps", quick ? 1 : 3)),
    sizes: flags.has("sizes")
      ? flags.get("sizes")!.split(",").map(Number)
      : quick
        ? [1_000, 2_000, 5_000]
        : [1_000, 10_000, 50_000],
    rowsMembers: int("rows-members", quick ? 2_000 : 10_000),
    connections: int("connections", 16),
    httpSeconds: int("seconds", quick ? 2 : 5),
    httpRounds: int("rounds", quick ? 1 : 3),
    fanout: int("fanout", quick ? 20 : 200),
    fanoutMembers: int("fanout-members", 1_000),
    diffMembers: int("diff-members", quick ? 10_000 : 50_000),
    hugeMembers: int("huge-members", 100_000),
    workerPort: Number(process.env.BENCH_PORT ?? 8797),
    simPort: Number(process.env.BENCH_SIM_PORT ?? 8798),
    sections,
  };
}

function fanoutMarkdown(data: Record<string, any> | undefined): string[] {
  if (!data) return [];
  const c = data.cronResync;
  const f = data.connectAndFirstSync;
  return [
    "",
    `## Scale run: ${data.integrations} integrations × ${grouped(data.membersEach)} members through the local queue`,
    "",
    "| | connect + first sync | cron re-sync (unchanged) |",
    "|---|---|---|",
    `| wall time, all integrations | ${(f.wallMs / 1000).toFixed(1)} s | ${(c.wallMs / 1000).toFixed(1)} s (tick ${c.tickMs} ms) |`,
    `| sync wall time, median / p95 | ${f.durationMsMedian} / ${f.durationMsP95} ms | ${c.durationMsMedian} / ${c.durationMsP95} ms |`,
    `| syncs in flight at once (max) | ${f.maxConcurrent} | ${c.maxConcurrent} |`,
    `| Cloudflare requests per sync | ${f.apiRequestsMedian} | ${c.apiRequestsMedian} |`,
    `| D1 rows written per sync | ${grouped(f.rowsWrittenMedian)} | ${c.rowsWrittenMedian} (+ ${(c.tickD1.rowsWritten / data.integrations).toFixed(1)} by the tick) |`,
    `| workerd CPU per integration | ${(f.workerCpuMs / data.integrations).toFixed(1)} ms (incl. connect) | ${c.workerCpuMsPerIntegration} ms |`,
    `| D1 queries per sync invocation | — | ${c.d1QueriesPerSyncMedian} |`,
    `| D1 bytes per member (rows + events + indexes) | ${f.dbBytesPerMember ?? "n/a"} | — |`,
    "",
    `The cron tick made ${c.tickD1.queries} D1 queries (${c.tickD1.batches} batches) and wrote ${grouped(c.tickD1.rowsWritten)} rows for ${data.integrations} integrations. docs/scale.md extrapolates these figures.`,
  ];
}

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  installCleanup();
  const results: Results = {
    meta: {
      date: new Date().toISOString(),
      machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? "cpu"}, Node ${process.version}`,
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
      latencyMs: opts.latencyMs,
      reps: opts.reps,
      connections: opts.connections,
      httpSeconds: opts.httpSeconds,
      rounds: opts.httpRounds,
      options: opts,
    },
    figures: [],
    sections: {},
  };
  const figures: Record<string, Figure[]> = {};
  // A partial run keeps the figures of the sections it does not measure.
  const previous = readResults();
  results.sectionRuns = {};
  if (previous) {
    for (const f of previous.figures) {
      if (!f.section || opts.sections.includes(f.section)) continue;
      figures[f.section] = [...(figures[f.section] ?? []), f];
    }
    for (const [name, data] of Object.entries(previous.sections)) {
      if (!opts.sections.includes(name)) results.sections[name] = data;
    }
    for (const [name, r] of Object.entries(previous.sectionRuns ?? {})) {
      if (!opts.sections.includes(name)) results.sectionRuns[name] = r;
    }
  }
  const save = () => {
    results.figures = SECTIONS.flatMap((s) => figures[s] ?? []);
    writeResults(results, fanoutMarkdown(results.sections.fanout as Record<string, any> | undefined));
  };
  const record = (name: string, out: { figures: Figure[]; data: unknown }) => {
    figures[name] = out.figures.map((f) => ({ ...f, section: name }));
    results.sections[name] = out.data;
    results.sectionRuns![name] = {
      date: results.meta.date as string,
      command: results.meta.command as string,
    };
    save();
  };
  progress(
    `options: latency ${opts.latencyMs} ms, ${opts.reps} reps, N = ${opts.sizes.map(grouped).join(" / ")}, sections ${opts.sections.join(", ")}`,
  );

  // No servers needed, and the CPU is quiet while they run.
  if (opts.sections.includes("bundle")) record("bundle", bundleFigures());
  if (opts.sections.includes("diff")) record("diff", diffFigures(opts));

  // Every other section needs the simulator and the Worker running.
  const serverSections = SECTIONS.filter((s) => s !== "bundle" && s !== "diff" && opts.sections.includes(s));
  if (serverSections.length > 0) {
    progress("preparing bench/.out: config from wrangler.jsonc, fresh local state, D1 migrations");
    writeBenchConfig();
    resetState();
    applyMigrations();
    progress(`starting the simulator on 127.0.0.1:${opts.simPort} (latency ${opts.latencyMs} ms)`);
    const sim = await startSimulator(opts.simPort, opts.latencyMs);
    progress(`starting the Worker (wrangler dev, bench entry) on 127.0.0.1:${opts.workerPort}`);
    const worker = await startWorker(opts.workerPort, opts.simPort);
    const ctx = new Context(
      opts,
      new Bench(opts.workerPort, opts.simPort, worker.tap),
      worker.tap,
      worker.pid,
      sim.pid,
    );
    if (serverSections.includes("first-sync")) record("first-sync", await firstSyncFigures(ctx));
    if (serverSections.includes("writes")) record("writes", await writeFigures(ctx));
    if (serverSections.includes("read")) record("read", await readFigures(ctx));
    if (serverSections.includes("console")) record("console", await consoleFigures(ctx));
    if (serverSections.includes("fanout")) record("fanout", await fanoutFigures(ctx));
    if (serverSections.includes("review")) record("review", await reviewFigures(ctx));
    if (serverSections.includes("webhooks")) record("webhooks", await webhookFigures(ctx));
    if (serverSections.includes("churn")) record("churn", await churnFigures(ctx));
    if (serverSections.includes("huge")) record("huge", await hugeFigures(ctx));
  }

  await stopAll();
  save();
  const missed = results.figures.filter((f) => f.pass === false);
  progress(
    `done: ${results.figures.length} figures, ${missed.length} missed${missed.length ? ` (${missed.map((f) => f.id).join(", ")})` : ""}; wrote bench/results.md and bench/results.json`,
  );
}

main().catch(async (e) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  if (e instanceof Error && e.cause) console.error("cause:", e.cause);
  await stopAll();
  process.exit(1);
});
