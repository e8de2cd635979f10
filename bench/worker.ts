/**
 * Bench-only Worker entry (never deployed; the deployed bundle is src/index.ts alone): the real
 * Worker with
 * - its fetch wrapped, adding floor routes under /__bench/ that the benchmarks compare real routes with;
 * - its scheduled and queue handlers run unchanged, but with env.DB wrapped in a counter, so each
 *   invocation logs one `bench_d1` line: D1 queries made and rows written/read (the figures the
 *   Workers limits and D1 billing are about), including the cron fan-out's own writes.
 * `connector-worker` is an alias that bench/.out/wrangler.bench.jsonc maps to src/index.ts; see
 * connector-worker.d.ts for why it is not a relative import.
 */
import worker, { type BenchD1 } from "connector-worker";

interface BenchEnv {
  DB: BenchD1;
  [binding: string]: unknown;
}

interface WaitUntilContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException?(): void;
}

const json = (body: string) =>
  new Response(body, { headers: { "Content-Type": "application/json; charset=utf-8" } });

/**
 * The SQL of `listUserAccounts` (src/store/user-accounts-read.ts) for one integration's first page, built the
 * same way for the filters the bench uses, run on env.DB directly: no auth, no validation, no row
 * mapping, no cursor. The bench checks that it returns the same ids as the real route. With
 * `map=1` it also maps rows as the API does (a diagnostic for a missed target).
 */
async function bareAccounts(env: BenchEnv, params: URLSearchParams): Promise<Response> {
  const where = ["ua.integration_id = ?", "ua.removed_at IS NULL"];
  const values: (string | number)[] = [params.get("integrationId") ?? ""];
  const twoFactor = params.get("twoFactor");
  if (twoFactor !== null)
    where.push(twoFactor === "true" ? "ua.two_factor_enabled = 1" : "ua.two_factor_enabled IS NOT 1");
  const q = params.get("q");
  if (q !== null) {
    where.push(
      "(instr(lower(ua.email), ?) > 0 OR instr(lower(ifnull(ua.first_name, '') || ' ' || ifnull(ua.last_name, '')), ?) > 0)",
    );
    values.push(q.toLowerCase(), q.toLowerCase());
  }
  const limit = Number(params.get("limit") ?? 100);
  // The same columns as the route's query, so the floor is that query run bare.
  const sql = `SELECT ua.integration_id, ua.id, ua.user_id, ua.email, ua.first_name, ua.last_name, ua.status,
         ua.roles, ua.policies, ua.two_factor_enabled, ua.api_access_enabled, ua.shape, ua.invited_at,
         ua.invited_by, ua.first_seen_at, ua.last_seen_at, ua.removed_at,
         i.last_successful_sync_at AS integration_last_success
    FROM user_accounts ua JOIN integrations i ON i.id = ua.integration_id
   WHERE ${where.join(" AND ")}
   ORDER BY ua.email, ua.id LIMIT ?`;
  // Diagnostic variant: the same query in a D1 session, as every /v1 request runs (src/http/session.ts).
  const db: Pick<BenchD1, "prepare"> =
    params.get("session") === "1" ? env.DB.withSession("first-unconstrained") : env.DB;
  const { results } = await db
    .prepare(sql)
    .bind(...values, limit + 1)
    .all<Record<string, any>>();
  const page = results.slice(0, limit);
  if (params.get("map") !== "1") return json(JSON.stringify(page));
  // Diagnostic variant: the API's row mapping (roles and policies parsed from their JSON columns,
  // camelCase fields) and its { data, nextCursor } envelope, still without auth, validation or cursor.
  const data = page.map((r) => ({
    id: r.id,
    integrationId: r.integration_id,
    userId: r.user_id,
    email: r.email,
    firstName: r.first_name,
    lastName: r.last_name,
    name: [r.first_name, r.last_name].filter((x) => x !== null).join(" ") || null,
    status: r.status,
    roles: JSON.parse(r.roles),
    policies: JSON.parse(r.policies),
    twoFactorEnabled: r.two_factor_enabled === null ? null : r.two_factor_enabled === 1,
    firstSeenAt: r.first_seen_at,
    lastSeenAt: r.removed_at === null ? (r.integration_last_success ?? r.last_seen_at) : r.last_seen_at,
    removedAt: r.removed_at,
  }));
  return json(JSON.stringify({ data, nextCursor: null }));
}

/**
 * The SQL of `listFindings` (src/store/findings.ts) for `status=` and no cursor, run bare: the
 * floor of GET /v1/findings?status=open&limit=100.
 */
async function bareFindings(env: BenchEnv, params: URLSearchParams): Promise<Response> {
  const limit = Number(params.get("limit") ?? 100);
  const { results } = await env.DB.prepare("SELECT * FROM findings WHERE status = ? ORDER BY id LIMIT ?")
    .bind(params.get("status") ?? "open", limit + 1)
    .all<Record<string, unknown>>();
  return json(JSON.stringify(results.slice(0, limit)));
}

/**
 * The SQL of `listPeople` (src/store/people.ts) for the first page without filters, run bare (no
 * auth, validation, grouping into people or cursor): the floor of GET /v1/people?limit=100.
 */
async function barePeople(env: BenchEnv, params: URLSearchParams): Promise<Response> {
  const limit = Number(params.get("limit") ?? 100);
  const { results } = await env.DB.prepare(
    `WITH page AS (SELECT lower(u.email) AS person FROM user_accounts u
                    WHERE u.email <> '' AND lower(u.email) > ?1 AND u.removed_at IS NULL
                    GROUP BY lower(u.email) ORDER BY lower(u.email) LIMIT ?2),
          roster AS (SELECT id FROM roster_uploads WHERE state = 'current')
     SELECT page.person, u.integration_id, u.id, u.first_name, u.last_name, u.status, u.roles, u.policies, u.shape,
            u.two_factor_enabled, u.first_seen_at, u.removed_at, i.label, i.organization_name, i.account_id,
            (SELECT id FROM roster) AS roster_id, rp.name AS roster_name, rp.status AS roster_status
       FROM page
       LEFT JOIN user_accounts u ON lower(u.email) = page.person AND u.email <> ''
       LEFT JOIN integrations i ON i.id = u.integration_id
       LEFT JOIN roster_people rp ON rp.upload_id = (SELECT id FROM roster) AND rp.email = page.person
      ORDER BY page.person, u.removed_at IS NOT NULL, i.label, u.id`,
  )
    .bind("", limit + 1)
    .all<{ person: string }>();
  const people = [...new Set(results.map((r) => r.person))].slice(0, limit);
  return json(JSON.stringify({ people, rows: results.length }));
}

/** Rows of the findings tables: a sync's finding writes are the difference across it. */
async function findingCounts(env: BenchEnv): Promise<Response> {
  const row = await env.DB.prepare(
    "SELECT (SELECT COUNT(*) FROM findings) AS findings, (SELECT COUNT(*) FROM finding_events) AS findingEvents, (SELECT COUNT(*) FROM findings WHERE status = 'open') AS open",
  ).first<Record<string, number>>();
  return json(JSON.stringify(row));
}

/** Events D1 holds for one sync run: part of the floor of the "rows written" figures. */
async function syncEvents(env: BenchEnv, params: URLSearchParams): Promise<Response> {
  const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM events WHERE sync_id = ?")
    .bind(params.get("syncId") ?? "")
    .first<{ n: number }>();
  return json(JSON.stringify({ events: row?.n ?? 0 }));
}

/** Database size as D1 reports it (`meta.size_after`), and row counts of the big tables. */
async function dbSize(env: BenchEnv): Promise<Response> {
  const probe = await env.DB.prepare(
    `SELECT COUNT(*) AS n, AVG(length(integration_id) + length(id) + ifnull(length(user_id), 0) + length(email)
            + ifnull(length(first_name), 0) + ifnull(length(last_name), 0) + length(status) + length(roles)
            + length(policies) + length(access_names) + length(first_seen_at) + length(last_seen_at)) AS payload
       FROM user_accounts`,
  ).all<{ n: number; payload: number | null }>();
  const events = await env.DB.prepare(
    `SELECT COUNT(*) AS n, AVG(length(id) + length(integration_id) + length(type) + length(account_id) + length(email)
            + ifnull(length(changes), 0) + length(sync_id) + length(occurred_at)) AS payload FROM events`,
  ).first<{ n: number; payload: number | null }>();
  let indexes: { results: { tableName: string; name: string; sql: string | null }[] } = { results: [] };
  try {
    indexes = await env.DB.prepare(
      "SELECT tbl_name AS tableName, name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('user_accounts', 'events')",
    ).all<{ tableName: string; name: string; sql: string | null }>();
  } catch {
    // sqlite_master not readable: the note then goes without index names
  }
  return json(
    JSON.stringify({
      bytes: probe.meta?.size_after ?? null,
      userAccounts: probe.results[0]?.n ?? 0,
      userAccountPayloadBytes: probe.results[0]?.payload ?? null,
      events: events?.n ?? 0,
      eventPayloadBytes: events?.payload ?? null,
      indexes: indexes.results,
    }),
  );
}

// ---- D1 accounting for scheduled and queue invocations ----

interface D1Stats {
  queries: number;
  batches: number;
  /** As D1 reports (and bills) them: index entries count too. */
  rowsWritten: number;
  rowsRead: number;
  /** Table rows inserted, updated or deleted (`meta.changes`), without index entries. */
  changes: number;
  /** rows_written of each statement of the invocation's batches (small batches only). */
  batchRowsWritten: number[][];
}

type Meta = { meta?: { rows_written?: number; rows_read?: number; changes?: number } };

/** env.DB with every query counted; statements handed to batch() are unwrapped first. */
function countingDb(db: BenchD1, stats: D1Stats): BenchD1 {
  const real = new WeakMap<object, object>();
  const add = (result: unknown) => {
    const meta = (result as Meta | null)?.meta;
    stats.rowsWritten += meta?.rows_written ?? 0;
    stats.rowsRead += meta?.rows_read ?? 0;
    if ((meta?.rows_written ?? 0) > 0) stats.changes += meta?.changes ?? 0;
  };
  const wrapStatement = (statement: any): any => {
    const proxy = new Proxy(statement, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (prop === "bind") return (...args: unknown[]) => wrapStatement(value.apply(target, args));
        if (prop === "run" || prop === "all" || prop === "first" || prop === "raw") {
          return async (...args: unknown[]) => {
            stats.queries++;
            const result = await value.apply(target, args);
            if (prop !== "first" && prop !== "raw") add(result);
            return result;
          };
        }
        return value.bind(target);
      },
    });
    real.set(proxy, statement);
    return proxy;
  };
  return new Proxy(db as any, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === "prepare") return (sql: string) => wrapStatement(value.call(target, sql));
      if (prop === "batch") {
        return async (statements: object[]) => {
          stats.queries += statements.length;
          stats.batches++;
          const results = await value.call(
            target,
            statements.map((s) => real.get(s) ?? s),
          );
          for (const r of results as unknown[]) add(r);
          if (statements.length <= 20) {
            stats.batchRowsWritten.push((results as Meta[]).map((r) => r.meta?.rows_written ?? 0));
          }
          return results;
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as BenchD1;
}

function logD1(handler: string, stats: D1Stats, fields: Record<string, unknown>) {
  console.log(
    JSON.stringify({
      level: "info",
      event: "bench_d1",
      time: new Date().toISOString(),
      handler,
      ...fields,
      ...stats,
    }),
  );
}

const newStats = (): D1Stats => ({
  queries: 0,
  batches: 0,
  rowsWritten: 0,
  rowsRead: 0,
  changes: 0,
  batchRowsWritten: [],
});

export default {
  async fetch(request: Request, env: BenchEnv, ctx: unknown): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/__bench/bare/accounts") return bareAccounts(env, url.searchParams);
    if (url.pathname === "/__bench/sync-events") return syncEvents(env, url.searchParams);
    if (url.pathname === "/__bench/db-size") return dbSize(env);
    if (url.pathname === "/__bench/bare/findings") return bareFindings(env, url.searchParams);
    if (url.pathname === "/__bench/bare/people") return barePeople(env, url.searchParams);
    if (url.pathname === "/__bench/finding-counts") return findingCounts(env);
    return worker.fetch(request, env, ctx);
  },

  async scheduled(controller: unknown, env: BenchEnv, ctx: WaitUntilContext): Promise<void> {
    const stats = newStats();
    const pending: Promise<unknown>[] = [];
    const counted: WaitUntilContext = {
      waitUntil: (p) => {
        pending.push(p);
        ctx.waitUntil(p);
      },
      passThroughOnException: () => ctx.passThroughOnException?.(),
    };
    await worker.scheduled(controller, { ...env, DB: countingDb(env.DB, stats) }, counted);
    ctx.waitUntil(Promise.allSettled(pending).then(() => logD1("scheduled", stats, {})));
  },

  async queue(batch: { messages: { body: unknown }[] }, env: BenchEnv, ctx: unknown): Promise<void> {
    const stats = newStats();
    try {
      await worker.queue(batch, { ...env, DB: countingDb(env.DB, stats) }, ctx);
    } finally {
      const bodies = batch.messages.map(
        (m) => m.body as { runId?: string; kind?: string; webhookId?: string },
      );
      logD1("queue", stats, {
        runIds: bodies.map((b) => b.runId),
        kinds: bodies.map((b) => b.kind ?? (b.webhookId ? "webhook" : "sync")),
        webhookIds: bodies.map((b) => b.webhookId).filter((id) => id !== undefined),
      });
    }
  },
};
