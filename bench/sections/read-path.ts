/**
 * The read path over an integration of 10,000 accounts, under autocannon: the account list
 * against its bare SQL (bench-only route), limit=1 against /health, page 100 of a cursor walk
 * against page 1, the CSV export's time to first byte and total, and search against the plain
 * page at 10,000 and 50,000 members (search.ts).
 */
import type { Context } from "../lib/context";
import { compare } from "../lib/load";
import { ADMIN_TOKEN } from "../lib/processes";
import type { Figure } from "../lib/report";
import { grouped, median, progress, round } from "../lib/util";
import { searchFigures } from "./search";
import { rowsIntegration } from "./writes";

const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/** Search used by the filtered figure: a common surname fragment, as an admin would type it. */
const Q = "son";

async function getJson(url: string, headers: Record<string, string> = {}): Promise<any> {
  const r = await fetch(url, { headers });
  if (!r.ok) throw new Error(`GET ${url} → ${r.status}: ${(await r.text()).slice(0, 300)}`);
  return r.json();
}

/** The floor must answer the same rows as the real route, or the comparison means nothing. */
async function assertSameRows(realUrl: string, bareUrl: string) {
  const real = (await getJson(realUrl, auth)).data.map((a: { id: string }) => a.id);
  const bare = (await getJson(bareUrl)).map((a: { id: string }) => a.id);
  if (real.length === 0 || JSON.stringify(real) !== JSON.stringify(bare)) {
    throw new Error(
      `bare SQL route and real route disagree for ${realUrl} (${real.length} vs ${bare.length} rows)`,
    );
  }
  return real.length as number;
}

async function csvTiming(url: string) {
  const t0 = performance.now();
  const r = await fetch(url, { headers: auth });
  const reader = r.body!.getReader();
  let first = Number.NaN;
  let bytes = 0;
  let lines = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (Number.isNaN(first)) first = performance.now() - t0;
    bytes += value.byteLength;
    for (const b of value) if (b === 10) lines++;
  }
  return { firstByteMs: first, totalMs: performance.now() - t0, bytes, lines };
}

export async function readFigures(ctx: Context): Promise<{ figures: Figure[]; data: unknown }> {
  const { opts } = ctx;
  const { integration, members } = await rowsIntegration(ctx);
  const api = ctx.b.api;
  const list = `${api}/v1/integrations/${integration.id}/accounts`;
  const bare = `${api}/__bench/bare/accounts?integrationId=${integration.id}`;
  const load = {
    connections: opts.connections,
    seconds: opts.httpSeconds,
    rounds: opts.httpRounds,
    onRound: (t: string) => progress(`  ${t}`),
  };
  const figures: Figure[] = [];
  const data: Record<string, unknown> = {};

  const pair = async (
    id: string,
    name: string,
    realUrl: string,
    bareUrl: string,
    floorName: string,
  ): Promise<Figure> => {
    const rows = await assertSameRows(realUrl, bareUrl);
    progress(`${name}: ${rows} rows per answer, real route vs its bare SQL`);
    const c = await compare({ url: realUrl, headers: auth }, { url: bareUrl }, load);
    data[id] = c;
    const pass = c.throughputRatio >= 0.8;
    let note: string | undefined;
    if (!pass) {
      // How much of the gap is the API's row mapping (JSON columns parsed, objects re-serialised)?
      progress(`${name}: diagnosing the gap: bare SQL plus the API's row mapping vs bare SQL`);
      const d = await compare({ url: `${bareUrl}&map=1` }, { url: bareUrl }, load);
      data[`${id}.diagnosis`] = d;
      // And how much is the D1 session every /v1 request runs in (src/http/session.ts)?
      progress(`${name}: diagnosing the gap: bare SQL in a D1 session vs bare SQL`);
      const s = await compare({ url: `${bareUrl}&session=1` }, { url: bareUrl }, load);
      data[`${id}.session`] = s;
      const gap = 1 - c.throughputRatio;
      const mapping = 1 - d.throughputRatio;
      const sessionShare = Math.max(0, Math.min(100, ((1 - s.throughputRatio) / gap) * 100));
      note =
        `The route answers at ${c.throughputRatio.toFixed(2)}× its bare SQL. The bare SQL plus only the API's row mapping (roles and policies parsed from their JSON columns, camelCase objects, re-serialised) answers at ${d.throughputRatio.toFixed(2)}× in the same run, so mapping accounts for about ${Math.max(0, Math.min(100, (mapping / gap) * 100)).toFixed(0)}% of the gap; the bare SQL run in a D1 session (withSession, as every /v1 request is) answers at ${s.throughputRatio.toFixed(2)}×, about ${sessionShare.toFixed(0)}% of the gap; the rest is bearer auth (two SHA-256 digests), zod query validation, Hono routing and sealing the next cursor (AES-GCM). ` +
        "Likely fix, if the mapping dominates: keep each row's roles and policies as JSON text end to end and splice them into the response body instead of JSON.parse followed by JSON.stringify (the API shape stays the same).";
    }
    return {
      id,
      figure: name,
      measured: `${c.subject.rps.toFixed(0)} req/s, p99 ${c.subject.p99} ms`,
      floor: `${c.floor.rps.toFixed(0)} req/s, p99 ${c.floor.p99} ms (${floorName})`,
      ratio: c.throughputRatio,
      target: "≥ 0.8× throughput",
      pass,
      values: {
        rps: round(c.subject.rps, 1),
        p99: c.subject.p99,
        floorRps: round(c.floor.rps, 1),
        floorP99: c.floor.p99,
        p99Ratio: round(c.p99Ratio, 3),
        errors: c.subject.errors + c.floor.errors,
      },
      ...(note ? { note } : {}),
    };
  };

  figures.push(
    await pair(
      "http.list",
      `GET …/accounts?limit=100, ${opts.connections} clients, ${grouped(members)} accounts`,
      `${list}?limit=100`,
      `${bare}&limit=100`,
      "bare SQL",
    ),
  );
  figures.push(
    await pair(
      "http.list-filtered",
      `GET …/accounts?limit=100&q=${Q}&twoFactor=false, ${opts.connections} clients`,
      `${list}?limit=100&q=${Q}&twoFactor=false`,
      `${bare}&limit=100&q=${Q}&twoFactor=false`,
      "bare SQL",
    ),
  );

  // limit=1 against /health: what a local D1 round trip (plus auth) adds to a trivial request.
  progress("GET …/accounts?limit=1 vs GET /health");
  const one = await compare({ url: `${list}?limit=1`, headers: auth }, { url: `${api}/health` }, load);
  data["http.limit1"] = one;
  figures.push({
    id: "http.limit1",
    figure: `GET …/accounts?limit=1, ${opts.connections} clients`,
    measured: `${one.subject.rps.toFixed(0)} req/s, p99 ${one.subject.p99} ms`,
    floor: `${one.floor.rps.toFixed(0)} req/s, p99 ${one.floor.p99} ms (GET /health)`,
    ratio: one.throughputRatio,
    target: "report",
    pass: null,
    values: {
      rps: round(one.subject.rps, 1),
      p99: one.subject.p99,
      floorRps: round(one.floor.rps, 1),
      floorP99: one.floor.p99,
      p99Ratio: round(one.p99Ratio, 3),
      msPerRequest: round(1000 / one.subject.rps, 2),
      msPerHealth: round(1000 / one.floor.rps, 2),
    },
    note: `The machine is saturated at ${opts.connections} clients, so 1 / throughput is the machine time one request costs: ${(1000 / one.subject.rps).toFixed(1)} ms for limit=1 against ${(1000 / one.floor.rps).toFixed(1)} ms for /health, i.e. ${(1000 / one.subject.rps - 1000 / one.floor.rps).toFixed(1)} ms for auth, validation, the route's local D1 query and the JSON. A local D1 query is the dominant cost here (it runs in the same workerd, on the same 2 cores); on Cloudflare it is a network round trip instead.`,
  });

  // Cursor walk: page 100 must cost what page 1 costs (keyset pagination, no OFFSET).
  const cursors: (string | null)[] = [null];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: { data: unknown[]; nextCursor: string | null } = await getJson(
      `${list}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      auth,
    );
    pages++;
    cursor = page.nextCursor;
    cursors.push(cursor);
  } while (cursor && pages < 100);
  const lastPage = pages;
  const lastCursor = cursors[lastPage - 1]!;
  progress(`cursor walk: page 1 vs page ${lastPage}`);
  const walk = await compare(
    { url: `${list}?limit=100&cursor=${encodeURIComponent(lastCursor)}`, headers: auth },
    { url: `${list}?limit=100`, headers: auth },
    load,
  );
  data["http.cursor"] = walk;
  // Time per request of page 100 relative to page 1 (inverse throughput).
  const walkRatio = 1 / walk.throughputRatio;
  figures.push({
    id: "http.cursor",
    figure: `page ${lastPage} vs page 1 of a cursor walk (limit 100)`,
    measured: `${walk.subject.rps.toFixed(0)} req/s, p99 ${walk.subject.p99} ms`,
    floor: `${walk.floor.rps.toFixed(0)} req/s, p99 ${walk.floor.p99} ms (page 1)`,
    ratio: walkRatio,
    target: "≤ 1.3×",
    pass: walkRatio <= 1.3,
    values: {
      page: lastPage,
      rps: round(walk.subject.rps, 1),
      p99: walk.subject.p99,
      floorRps: round(walk.floor.rps, 1),
      floorP99: walk.floor.p99,
    },
  });

  // CSV of the whole list: streamed, so the first byte must not wait for the last row.
  const csv = [];
  for (let i = 0; i < opts.reps + 2; i++) csv.push(await csvTiming(`${list}?format=csv`));
  const first = median(csv.map((c) => c.firstByteMs));
  const total = median(csv.map((c) => c.totalMs));
  progress(
    `CSV of ${grouped(csv[0]!.lines - 1)} accounts: first byte ${first.toFixed(0)} ms, total ${total.toFixed(0)} ms`,
  );
  data["http.csv"] = csv;
  figures.push({
    id: "http.csv",
    figure: `CSV of ${grouped(csv[0]!.lines - 1)} accounts`,
    measured: `first byte ${first.toFixed(0)} ms, total ${total.toFixed(0)} ms (${(csv[0]!.bytes / 1024 / 1024).toFixed(1)} MiB)`,
    floor: "—",
    ratio: null,
    target: "first byte ≤ 0.5 s",
    pass: first <= 500,
    values: { firstByteMs: round(first, 1), totalMs: round(total, 1), samples: csv },
  });
  const search = await searchFigures(ctx);
  figures.push(...search.figures);
  data.search = search.data;
  return { figures, data };
}
