/**
 * HTTP load with autocannon (a real load generator, in this process): fixed-duration runs with N
 * concurrent connections, floors and subjects interleaved round by round so that drift on a
 * shared, noisy machine hits both alike, and the median of the rounds reported.
 */
import autocannon from "autocannon";
import { median } from "./util";

export interface LoadResult {
  /** Completed 2xx requests per second over the whole run. */
  rps: number;
  p50: number;
  p99: number;
  mean: number;
  requests: number;
  errors: number;
}

export async function load(
  url: string,
  options: { connections: number; seconds: number; headers?: Record<string, string> },
): Promise<LoadResult> {
  const r = await autocannon({
    url,
    connections: options.connections,
    duration: options.seconds,
    headers: options.headers ?? {},
    timeout: 30,
  });
  const seconds = (r.finish.getTime() - r.start.getTime()) / 1000;
  const errors = r.errors + r.timeouts + r.non2xx;
  return {
    rps: r["2xx"] / seconds,
    p50: r.latency.p50,
    p99: r.latency.p99,
    mean: r.latency.mean,
    requests: r["2xx"],
    errors,
  };
}

export interface Comparison {
  subject: LoadResult;
  floor: LoadResult;
  rounds: { subject: LoadResult; floor: LoadResult }[];
  /** Median over rounds of subject rps / floor rps. */
  throughputRatio: number;
  /** Median over rounds of subject p99 / floor p99. */
  p99Ratio: number;
}

const medianResult = (rs: LoadResult[]): LoadResult => ({
  rps: median(rs.map((r) => r.rps)),
  p50: median(rs.map((r) => r.p50)),
  p99: median(rs.map((r) => r.p99)),
  mean: median(rs.map((r) => r.mean)),
  requests: rs.reduce((s, r) => s + r.requests, 0),
  errors: rs.reduce((s, r) => s + r.errors, 0),
});

/** Rounds of floor-then-subject (after a short warm-up of each), the order alternating per round. */
export async function compare(
  subject: { url: string; headers?: Record<string, string> },
  floor: { url: string; headers?: Record<string, string> },
  options: { connections: number; seconds: number; rounds: number; onRound?: (text: string) => void },
): Promise<Comparison> {
  const run = (t: { url: string; headers?: Record<string, string> }, seconds: number) =>
    load(t.url, { connections: options.connections, seconds, ...(t.headers ? { headers: t.headers } : {}) });
  await run(floor, 1);
  await run(subject, 1);
  const rounds: { subject: LoadResult; floor: LoadResult }[] = [];
  for (let i = 0; i < options.rounds; i++) {
    let s: LoadResult;
    let f: LoadResult;
    if (i % 2 === 0) {
      f = await run(floor, options.seconds);
      s = await run(subject, options.seconds);
    } else {
      s = await run(subject, options.seconds);
      f = await run(floor, options.seconds);
    }
    rounds.push({ subject: s, floor: f });
    options.onRound?.(
      `round ${i + 1}/${options.rounds}: ${s.rps.toFixed(0)} vs floor ${f.rps.toFixed(0)} req/s, p99 ${s.p99} vs ${f.p99} ms`,
    );
  }
  return {
    subject: medianResult(rounds.map((r) => r.subject)),
    floor: medianResult(rounds.map((r) => r.floor)),
    rounds,
    throughputRatio: median(rounds.map((r) => r.subject.rps / r.floor.rps)),
    p99Ratio: median(rounds.map((r) => r.subject.p99 / Math.max(1, r.floor.p99))),
  };
}

export interface ServerTime {
  /** workerd CPU per request, median over blocks (ms). */
  cpuMs: number;
  /** Median wall time of one request, one at a time (ms). */
  latencyMs: number;
}

export interface ServerTimeComparison {
  subject: ServerTime;
  floor: ServerTime;
  /** Median over adjacent block pairs of subject / floor workerd CPU per request. */
  cpuRatio: number;
  /** Median of subject / floor wall time over the i-th requests of adjacent blocks. */
  latencyRatio: number;
  blocks: number;
  perBlock: number;
}

/**
 * Server time of two requests without a load generator in the way: blocks of sequential requests,
 * subject and floor alternating (which goes first alternates too), each block timed by the
 * workerd CPU it used and by each request's wall time. Adjacent blocks share the machine's
 * moment, so drift and other processes hit both alike; medians drop the outliers.
 */
export async function compareServerTime(
  subject: { url: string; headers?: Record<string, string> },
  floor: { url: string; headers?: Record<string, string> },
  options: { blocks: number; perBlock: number; cpuMs: () => number },
): Promise<ServerTimeComparison> {
  const block = async (t: { url: string; headers?: Record<string, string> }) => {
    const cpu0 = options.cpuMs();
    const walls: number[] = [];
    for (let i = 0; i < options.perBlock; i++) {
      const t0 = performance.now();
      const r = await fetch(t.url, { headers: t.headers ?? {} });
      await r.arrayBuffer();
      if (!r.ok) throw new Error(`${t.url}: ${r.status}`);
      walls.push(performance.now() - t0);
    }
    return { cpu: (options.cpuMs() - cpu0) / options.perBlock, walls };
  };
  await block(floor);
  await block(subject);
  const pairs: { s: Awaited<ReturnType<typeof block>>; f: Awaited<ReturnType<typeof block>> }[] = [];
  for (let i = 0; i < options.blocks; i++) {
    const [s, f] =
      i % 2 === 0
        ? [await block(subject), await block(floor)]
        : reversed(await block(floor), await block(subject));
    pairs.push({ s, f });
  }
  const latencyRatios = pairs.flatMap(({ s, f }) => s.walls.map((w, i) => w / f.walls[i]!));
  return {
    subject: { cpuMs: median(pairs.map((p) => p.s.cpu)), latencyMs: median(pairs.flatMap((p) => p.s.walls)) },
    floor: { cpuMs: median(pairs.map((p) => p.f.cpu)), latencyMs: median(pairs.flatMap((p) => p.f.walls)) },
    cpuRatio: median(pairs.map((p) => p.s.cpu / p.f.cpu)),
    latencyRatio: median(latencyRatios),
    blocks: options.blocks,
    perBlock: options.perBlock,
  };
}

const reversed = <T>(first: T, second: T): [T, T] => [second, first];
