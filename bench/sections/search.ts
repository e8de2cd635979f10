/**
 * Search against the plain page (part of the read section): `q=` with a rare, a middling and a
 * common term against `limit=100` without `q`, at 10,000 members (the writes section's
 * integration) and at 50,000 (connected here with a generous token budget, so its sync is not
 * paced). Each term meets one of the three plans (docs/storage.md#added-by-0008_search_indexsql-the-search-index):
 * the rare one is sorted from its hits, the middling one matched against the list index in order,
 * the common one walked; each must cost about a plain page.
 */
import type { Context } from "../lib/context";
import { compare } from "../lib/load";
import { ADMIN_TOKEN } from "../lib/processes";
import type { Figure } from "../lib/report";
import { grouped, progress, round } from "../lib/util";
import { rowsIntegration } from "./writes";

const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/** Members of the simulator's generated population (50 first × 50 last names, emails `first.last.n@…`). */
const TERMS = [
  { kind: "rare", q: "zoë zielińska" }, // one first and last name pair: ~1 member in 2,500
  { kind: "middling", q: "son" }, // one surname in 50 (Eriksson): ~1,000 hits at 50,000, served by the keys plan
  { kind: "common", q: "example" }, // every generated email
] as const;

let big: { id: string; members: number } | null = null;

async function bigIntegration(ctx: Context, members: number) {
  if (big) return big;
  const account = await ctx.b.account("Bench Search 50000", members, {
    limit: 1_000_000,
    windowSeconds: 300,
  });
  const integration = await ctx.b.createIntegration("search", account);
  await ctx.b.finished(integration.lastSync!.id, 1_200_000);
  progress(`integration with ${grouped(members)} members connected and synced`);
  big = { id: integration.id, members };
  return big;
}

async function matches(url: string): Promise<number> {
  let total = 0;
  let cursor: string | null = null;
  do {
    const r = await fetch(`${url}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, {
      headers: auth,
    });
    if (!r.ok) throw new Error(`GET ${url} → ${r.status}`);
    const page = (await r.json()) as { data: unknown[]; nextCursor: string | null };
    total += page.data.length;
    cursor = page.nextCursor;
  } while (cursor);
  return total;
}

type Load = Parameters<typeof compare>[2];

async function searchFigure(
  ctx: Context,
  target: { id: string; members: number },
  term: (typeof TERMS)[number],
  load: Load,
  data: Record<string, unknown>,
): Promise<Figure> {
  const { opts } = ctx;
  const list = `${ctx.b.api}/v1/integrations/${target.id}/accounts`;
  const url = `${list}?limit=100&q=${encodeURIComponent(term.q)}`;
  const found = await matches(`${list}?q=${encodeURIComponent(term.q)}`);
  progress(
    `search "${term.q}" at ${grouped(target.members)} members (${grouped(found)} matches) vs the plain page`,
  );
  const c = await compare({ url, headers: auth }, { url: `${list}?limit=100`, headers: auth }, load);
  const id = `search.${term.kind}.${target.members}`;
  data[id] = c;
  return {
    id,
    figure: `GET …/accounts?limit=100&q=${term.q} (${term.kind}: ${grouped(found)} of ${grouped(target.members)} match), ${opts.connections} clients`,
    measured: `${c.subject.rps.toFixed(0)} req/s, p99 ${c.subject.p99} ms`,
    floor: `${c.floor.rps.toFixed(0)} req/s, p99 ${c.floor.p99} ms (plain limit=100 page)`,
    ratio: c.throughputRatio,
    target: "≥ 0.8× throughput",
    pass: c.throughputRatio >= 0.8,
    values: {
      matches: found,
      members: target.members,
      rps: round(c.subject.rps, 1),
      p99: c.subject.p99,
      floorRps: round(c.floor.rps, 1),
      floorP99: c.floor.p99,
    },
  };
}

export async function searchFigures(
  ctx: Context,
  bigMembers = 50_000,
): Promise<{ figures: Figure[]; data: unknown }> {
  const { opts } = ctx;
  const load = {
    connections: opts.connections,
    seconds: opts.httpSeconds,
    rounds: opts.httpRounds,
    onRound: (t: string) => progress(`  ${t}`),
  };
  const rows = await rowsIntegration(ctx);
  const targets = [{ id: rows.integration.id, members: rows.members }, await bigIntegration(ctx, bigMembers)];
  const figures: Figure[] = [];
  const data: Record<string, unknown> = {};
  for (const target of targets) {
    for (const term of TERMS) {
      try {
        figures.push(await searchFigure(ctx, target, term, load, data));
      } catch (e) {
        // One failed comparison (the local Worker dropping a connection under load) is reported, not fatal.
        progress(`search "${term.q}" at ${grouped(target.members)} members failed: ${String(e)}`);
        figures.push({
          id: `search.${term.kind}.${target.members}`,
          figure: `GET …/accounts?limit=100&q=${term.q} (${term.kind}) at ${grouped(target.members)} members`,
          measured: "—",
          floor: "—",
          ratio: null,
          target: "≥ 0.8× throughput",
          pass: null,
          values: {},
          note: `Not measured in this run: ${String(e)}.`,
        });
      }
    }
  }
  return { figures, data };
}
