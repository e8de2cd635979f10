/**
 * The admin console (docs/console.md): the accounts page of 100 rows against the JSON route for
 * the same query (same store function, same keyset page: what the page adds is the session check
 * and rendering the HTML), and the size of that page.
 */
import { gzipSync } from "node:zlib";
import type { BenchOptions, Context } from "../lib/context";
import { type Comparison, compare, compareServerTime, type ServerTimeComparison } from "../lib/load";
import { ADMIN_TOKEN } from "../lib/processes";
import type { Figure } from "../lib/report";
import { grouped, progress, round } from "../lib/util";
import { rowsIntegration } from "./writes";

const cookieOf = (r: Response, name: string) =>
  r.headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!)
    .find((c) => c.startsWith(`${name}=`));

/** Signs in as a browser would: the form (its nonce cookie and CSRF token), then the post. */
async function signIn(api: string): Promise<string> {
  const form = await fetch(`${api}/sign-in`);
  const nonce = cookieOf(form, "cc_sign_in")!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const answer = await fetch(`${api}/sign-in`, {
    method: "POST",
    redirect: "manual",
    headers: { Cookie: nonce, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: csrf, token: ADMIN_TOKEN }),
  });
  const session = cookieOf(answer, "cc_session");
  if (answer.status !== 303 || !session) throw new Error(`console sign-in failed: ${answer.status}`);
  return session;
}

export async function consoleFigures(ctx: Context): Promise<{ figures: Figure[]; data: unknown }> {
  const { opts } = ctx;
  const { integration, members } = await rowsIntegration(ctx);
  const api = ctx.b.api;
  const cookie = await signIn(api);
  const query = `integrationId=${integration.id}&limit=100`;
  const subject = { url: `${api}/accounts?${query}`, headers: { Cookie: cookie } };
  const floor = { url: `${api}/v1/accounts?${query}`, headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } };

  const html = await (await fetch(subject.url, { headers: subject.headers })).text();
  const rows = (html.match(/<tr>/g) ?? []).length - 1;
  if (rows !== 100) throw new Error(`the accounts page shows ${rows} rows, not 100`);

  progress(`console accounts page (100 rows of ${grouped(members)}) vs GET /v1/accounts, same query`);
  const t = await compareServerTime(subject, floor, {
    blocks: opts.quick ? 4 : 10,
    perBlock: opts.quick ? 40 : 100,
    cpuMs: () => ctx.workerCpuMs(),
  });
  progress(
    `  one at a time: workerd CPU ${t.subject.cpuMs.toFixed(2)} vs ${t.floor.cpuMs.toFixed(2)} ms/request (${t.cpuRatio.toFixed(2)}×), wall ${t.subject.latencyMs.toFixed(2)} vs ${t.floor.latencyMs.toFixed(2)} ms (${t.latencyRatio.toFixed(2)}×)`,
  );
  // At saturation too, for the record: noisier, since the load generator shares the machine's cores.
  const c = await compare(subject, floor, {
    connections: opts.connections,
    seconds: opts.httpSeconds,
    rounds: opts.httpRounds,
    onRound: (text) => progress(`  ${text}`),
  });
  return {
    figures: [pageFigure(opts, members, t, c), htmlFigure(html)],
    data: { serverTime: t, saturation: c },
  };
}

function pageFigure(opts: BenchOptions, members: number, t: ServerTimeComparison, c: Comparison): Figure {
  return {
    id: "console.accounts-page",
    figure: `console /accounts, 100 rows of ${grouped(members)} accounts: server time (workerd CPU per request, ${t.blocks} alternating blocks of ${t.perBlock})`,
    measured: `${t.subject.cpuMs.toFixed(2)} ms CPU, ${t.subject.latencyMs.toFixed(2)} ms wall per request`,
    floor: `${t.floor.cpuMs.toFixed(2)} ms CPU, ${t.floor.latencyMs.toFixed(2)} ms wall (GET /v1/accounts, same query)`,
    ratio: t.cpuRatio,
    target: "≤ 1.3× server time",
    pass: t.cpuRatio <= 1.3,
    note: `Wall time one request at a time: ${t.latencyRatio.toFixed(2)}×. At saturation (${opts.connections} clients, median of ${opts.httpRounds} interleaved rounds, load generator on the same cores): ${c.subject.rps.toFixed(0)} vs ${c.floor.rps.toFixed(0)} req/s, ${(1 / c.throughputRatio).toFixed(2)}×.`,
    values: {
      cpuMs: round(t.subject.cpuMs, 3),
      floorCpuMs: round(t.floor.cpuMs, 3),
      cpuRatio: round(t.cpuRatio, 3),
      latencyMs: round(t.subject.latencyMs, 3),
      floorLatencyMs: round(t.floor.latencyMs, 3),
      latencyRatio: round(t.latencyRatio, 3),
      saturation: {
        rps: round(c.subject.rps, 1),
        p99: c.subject.p99,
        floorRps: round(c.floor.rps, 1),
        floorP99: c.floor.p99,
        timeRatio: round(1 / c.throughputRatio, 3),
        errors: c.subject.errors + c.floor.errors,
      },
    },
  };
}

function htmlFigure(html: string): Figure {
  const bytes = Buffer.byteLength(html);
  const gzip = gzipSync(html, { level: 6 }).length;
  return {
    id: "console.accounts-html",
    figure: "console /accounts HTML, 100 rows",
    measured: `${(bytes / 1024).toFixed(1)} KiB (${(gzip / 1024).toFixed(1)} KiB gzip)`,
    floor: "—",
    ratio: null,
    target: "≤ 60 KiB",
    pass: bytes <= 60 * 1024,
    values: { bytes, gzipBytes: gzip },
  };
}
