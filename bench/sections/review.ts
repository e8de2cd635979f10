/**
 * The access review at scale (docs/people.md, docs/findings.md), over M integrations (default
 * 200) of 1,000 members each — the fan-out section's fleet when it ran first, else created here:
 * a roster of 100,000 people uploaded in one request and its findings recomputed in one queue
 * invocation; then GET /v1/findings?status=open&limit=100 and GET /v1/people?limit=100 against
 * their own SQL run bare.
 */
import type { Context } from "../lib/context";
import { compare } from "../lib/load";
import { ADMIN_TOKEN } from "../lib/processes";
import type { Figure } from "../lib/report";
import { grouped, mapLimit, progress, round } from "../lib/util";
import { findingCounts } from "./writes";

const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const ROSTER_PEOPLE = 100_000;
/** One roster person in a hundred is a leaver. */
const LEAVER_EVERY = 100;

/** The integrations labelled `fleet-…` (the fan-out section's), created here if there are fewer than M. */
async function ensureFleet(ctx: Context): Promise<{ id: string; accountId: string }[]> {
  const { b, opts } = ctx;
  const all = await b.call<{ data: { id: string; label: string; accountId: string }[] }>(
    "GET",
    "/v1/integrations",
  );
  const fleet = all.data.filter((i) => i.label.startsWith("fleet-"));
  if (fleet.length >= opts.fanout) return fleet.slice(0, opts.fanout);
  const missing = opts.fanout - fleet.length;
  progress(`review: creating ${missing} integrations of ${grouped(opts.fanoutMembers)} members`);
  const created = await mapLimit(
    Array.from({ length: missing }, (_, i) => fleet.length + i),
    4,
    async (i) => {
      const account = await b.account(`Fleet ${String(i).padStart(4, "0")}`, opts.fanoutMembers, {
        limit: 1_000_000,
        windowSeconds: 300,
      });
      return b.createIntegration(`fleet-${i}`, account);
    },
  );
  for (const [n, i] of created.entries()) {
    await b.finished(i.lastSync!.id, 30 * 60_000);
    if ((n + 1) % 50 === 0) progress(`review: ${n + 1}/${missing} first syncs done`);
  }
  return [...fleet, ...created.map((i) => ({ id: i.id, accountId: i.accountId }))];
}

/** The members' emails of the first accounts, up to `count`: the people HR knows. */
async function rosterCsv(ctx: Context, fleet: { accountId: string }[], count: number) {
  const lines = ["email,name,status"];
  let leavers = 0;
  for (const { accountId } of fleet) {
    const { members } = await ctx.b.control<{
      members: { user?: { email?: string; first_name?: string | null } }[];
    }>("GET", `/accounts/${accountId}/members`);
    for (const m of members) {
      const email = m.user?.email;
      if (!email || lines.length > count) continue;
      const leaver = (lines.length - 1) % LEAVER_EVERY === 0;
      if (leaver) leavers++;
      lines.push(`${email},${m.user?.first_name ?? ""},${leaver ? "leaver" : "active"}`);
    }
    if (lines.length > count) break;
  }
  return { csv: `${lines.join("\n")}\n`, people: lines.length - 1, leavers };
}

async function rosterFigure(ctx: Context, fleet: { accountId: string }[]): Promise<Figure> {
  const { b } = ctx;
  const roster = await rosterCsv(ctx, fleet, ROSTER_PEOPLE);
  const before = await findingCounts(ctx);
  const since = new Date().toISOString();
  const t0 = performance.now();
  const response = await fetch(`${b.api}/v1/roster`, {
    method: "PUT",
    headers: { ...auth, "Content-Type": "text/csv" },
    body: roster.csv,
  });
  const putMs = performance.now() - t0;
  const answer = (await response.json()) as { roster?: { people: number }; error?: unknown };
  if (response.status !== 200)
    throw new Error(`PUT /v1/roster → ${response.status}: ${JSON.stringify(answer)}`);
  progress(
    `review: roster of ${grouped(roster.people)} people (${(roster.csv.length / 1024 / 1024).toFixed(1)} MiB) accepted in ${putMs.toFixed(0)} ms`,
  );
  const done = await ctx.workerLog.waitFor(
    (e) => e.event === "roster_findings_recomputed" && e.time >= since,
    10 * 60_000,
    "the roster_findings_recomputed log line",
  );
  const d1 = await ctx.workerLog.waitFor(
    (e) =>
      e.event === "bench_d1" &&
      e.handler === "queue" &&
      e.kinds?.includes("roster_findings") &&
      e.time >= since,
    60_000,
    "the roster job's bench_d1 line",
  );
  const invocations = ctx.workerLog.events.filter(
    (e) => e.event === "bench_d1" && e.kinds?.includes("roster_findings") && e.time >= since,
  ).length;
  const crashed = ctx.workerLog.events.some((e) => e.event === "roster_findings_crashed" && e.time >= since);
  const recomputeMs = done.durationMs as number;
  const after = await findingCounts(ctx);
  const opened = after.findingEvents - before.findingEvents;
  progress(
    `review: findings recomputed for ${done.integrations} integrations in ${invocations} queue invocation(s) taking ${(recomputeMs / 1000).toFixed(1)} s; ${grouped(opened)} findings opened, ${grouped(d1.rowsWritten)} D1 rows written`,
  );
  return {
    id: "review.roster",
    figure: `roster of ${grouped(roster.people)} people over ${fleet.length} integrations × 1,000 members`,
    measured: `accepted in one request (${putMs.toFixed(0)} ms, ${(roster.csv.length / 1024 / 1024).toFixed(1)} MiB CSV); findings recomputed in ${invocations} queue invocation (${(recomputeMs / 1000).toFixed(1)} s, ${d1.queries} D1 queries, ${grouped(d1.rowsWritten)} rows written; ${grouped(opened)} findings opened)`,
    floor: "—",
    ratio: null,
    target: "one request; one queue invocation",
    pass: response.status === 200 && invocations === 1 && !crashed && answer.roster?.people === roster.people,
    values: {
      people: roster.people,
      leavers: roster.leavers,
      bytes: roster.csv.length,
      putMs: round(putMs, 1),
      recomputeMs: round(recomputeMs, 1),
      invocations,
      d1Queries: d1.queries,
      d1RowsWritten: d1.rowsWritten,
      findingsOpened: opened,
      openFindings: after.open,
    },
    note: `1 in ${LEAVER_EVERY} roster people is a leaver (each still a member: one leaver_with_access each); the members of the integrations beyond the first ${grouped(ROSTER_PEOPLE)} people are on no roster (one unknown_person each). The time is the job's own (its log line's durationMs), on the local queue and D1.`,
  };
}

/** A real list route against its own SQL run bare (bench routes), under load. */
async function versusBare(
  ctx: Context,
  id: string,
  name: string,
  realUrl: string,
  bareUrl: string,
): Promise<Figure> {
  const { opts } = ctx;
  progress(`review: ${name} vs its bare SQL`);
  const c = await compare(
    { url: realUrl, headers: auth },
    { url: bareUrl },
    {
      connections: opts.connections,
      seconds: opts.httpSeconds,
      rounds: opts.httpRounds,
      onRound: (t: string) => progress(`  ${t}`),
    },
  );
  return {
    id,
    figure: `${name}, ${opts.connections} clients`,
    measured: `${c.subject.rps.toFixed(0)} req/s, p99 ${c.subject.p99} ms`,
    floor: `${c.floor.rps.toFixed(0)} req/s, p99 ${c.floor.p99} ms (bare SQL)`,
    ratio: c.throughputRatio,
    target: "≥ 0.8× throughput",
    pass: c.throughputRatio >= 0.8,
    values: {
      rps: round(c.subject.rps, 1),
      p99: c.subject.p99,
      floorRps: round(c.floor.rps, 1),
      floorP99: c.floor.p99,
      errors: c.subject.errors + c.floor.errors,
    },
  };
}

export async function reviewFigures(ctx: Context): Promise<{ figures: Figure[]; data: unknown }> {
  const fleet = await ensureFleet(ctx);
  const api = ctx.b.api;
  const figures = [await rosterFigure(ctx, fleet)];
  const scale = `${fleet.length} integrations × ${grouped(ctx.opts.fanoutMembers)} members`;
  figures.push(
    await versusBare(
      ctx,
      "review.findings",
      `GET /v1/findings?status=open&limit=100 (${scale})`,
      `${api}/v1/findings?status=open&limit=100`,
      `${api}/__bench/bare/findings?status=open&limit=100`,
    ),
  );
  figures.push(
    await versusBare(
      ctx,
      "review.people",
      `GET /v1/people?limit=100 (${scale})`,
      `${api}/v1/people?limit=100`,
      `${api}/__bench/bare/people?limit=100`,
    ),
  );
  return { figures, data: { integrations: fleet.length, figures: figures.map((f) => f.values) } };
}
