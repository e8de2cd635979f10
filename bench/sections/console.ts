/**
 * The admin console (docs/console.md): the accounts page of 100 rows against the JSON route for
 * the same query (same store function, same keyset page: what the page adds is the session check
 * and rendering the HTML), and the size of that page.
 */
import { gzipSync } from "node:zlib";
import type { Context } from "../lib/context";
import { compare } from "../lib/load";
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
  const pageUrl = `${api}/accounts?${query}`;
  const jsonUrl = `${api}/v1/accounts?${query}`;

  const html = await (await fetch(pageUrl, { headers: { Cookie: cookie } })).text();
  const rows = (html.match(/<tr>/g) ?? []).length - 1;
  if (rows !== 100) throw new Error(`the accounts page shows ${rows} rows, not 100`);
  const bytes = Buffer.byteLength(html);
  const gzip = gzipSync(html, { level: 6 }).length;

  progress(`console accounts page (100 rows of ${grouped(members)}) vs GET /v1/accounts, same query`);
  const c = await compare(
    { url: pageUrl, headers: { Cookie: cookie } },
    { url: jsonUrl, headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } },
    {
      connections: opts.connections,
      seconds: opts.httpSeconds,
      rounds: opts.httpRounds,
      onRound: (t) => progress(`  ${t}`),
    },
  );
  // Server time per request at saturation is the inverse of throughput.
  const timeRatio = 1 / c.throughputRatio;
  return {
    figures: [
      {
        id: "console.accounts-page",
        figure: `console /accounts, 100 rows, ${opts.connections} clients, ${grouped(members)} accounts`,
        measured: `${c.subject.rps.toFixed(0)} req/s, p99 ${c.subject.p99} ms (${(1000 / c.subject.rps).toFixed(2)} ms/request)`,
        floor: `${c.floor.rps.toFixed(0)} req/s, p99 ${c.floor.p99} ms (GET /v1/accounts, same query)`,
        ratio: timeRatio,
        target: "≤ 1.3× server time",
        pass: timeRatio <= 1.3,
        values: {
          rps: round(c.subject.rps, 1),
          p99: c.subject.p99,
          floorRps: round(c.floor.rps, 1),
          floorP99: c.floor.p99,
          timeRatio: round(timeRatio, 3),
          p99Ratio: round(c.p99Ratio, 3),
          errors: c.subject.errors + c.floor.errors,
        },
      },
      {
        id: "console.accounts-html",
        figure: "console /accounts HTML, 100 rows",
        measured: `${(bytes / 1024).toFixed(1)} KiB (${(gzip / 1024).toFixed(1)} KiB gzip)`,
        floor: "—",
        ratio: null,
        target: "≤ 60 KiB",
        pass: bytes <= 60 * 1024,
        values: { bytes, gzipBytes: gzip },
      },
    ],
    data: c,
  };
}
