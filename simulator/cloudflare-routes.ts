// The simulated Cloudflare API v4 routes (mounted at /client/v4): token verify, accounts, account
// details and account members, with the auth, paging, rate-limit and error behaviour of the real API
// (Cloudflare's OpenAPI schema in cloudflare/api-schemas, recorded responses, public issue threads;
// see simulator/README.md). Every request passes one pipeline:
// latency → rate limit → auth header → fault → token → handler.

import { type Context, Hono } from "hono";
import {
  type ApiMessage,
  CODE_MESSAGES,
  FAILURES,
  fail,
  type Outcome,
  ok,
  type ResultInfo,
  toResponse,
} from "./envelope.ts";
import { type Fault, NetworkReset } from "./faults.ts";
import type { RawMember } from "./members.ts";
import { rateLimitHeaders } from "./rate-limit.ts";
import { sourceRoutes } from "./sources.ts";
import {
  type Account,
  DEFAULT_RATE_LIMIT,
  effectiveStatus,
  type RequestRecord,
  type RouteKind,
  type SimulatorState,
  type Token,
} from "./state.ts";

type Vars = { fault?: string };
type Ctx = Context<{ Variables: Vars }>;

/** Cloudflare's OpenAPI schema: per_page minimum 5, maximum 50, default 20 on both list endpoints. */
const PER_PAGE = { min: 5, max: 50, default: 20 } as const;
const MEMBER_ORDERS = ["user.first_name", "user.last_name", "user.email", "status"] as const;
const MEMBER_STATUSES = ["accepted", "pending", "rejected"] as const;
const VERIFY_MESSAGE: ApiMessage = { code: 10000, message: "This API Token is valid and active" };
/** What `malformed_json` answers: a body cut off mid-string. */
const TRUNCATED_BODY = '{"success":true,"errors":[],"messages":[],"result":[{"id":"4536bcfad5fac';
/** Status texts for `status` faults that give no message. */
const STATUS_MESSAGES: Record<number, string> = {
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** A delay that never keeps a Node process alive on its own (a long `timeout` fault outliving a test run). */
const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    const timer: unknown = setTimeout(resolve, ms);
    (timer as { unref?: () => void }).unref?.();
  });

/** The bearer value, or undefined when the header is missing or not `Bearer <token>`. */
function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer +([\x21-\x7e]+) *$/);
  return match?.[1];
}

/** Which endpoint a path names, for the request log and faults, even when the request never reaches it. */
function classify(path: string): { route?: RouteKind; accountId?: string } {
  const rest = path.replace(/^\/client\/v4/, "");
  if (rest === "/user/tokens/verify") return { route: "user_verify" };
  if (rest === "/accounts") return { route: "accounts" };
  const one = rest.match(/^\/accounts\/([^/]+)\/members\/[^/]+$/);
  if (one) return { route: "member", accountId: decodeURIComponent(one[1] as string) };
  const m = rest.match(
    /^\/accounts\/([^/]+)(\/members|\/tokens\/verify|\/tokens|\/logs\/audit|\/sso_connectors)?$/,
  );
  if (!m) return {};
  const accountId = decodeURIComponent(m[1] as string);
  if (m[2] === "/members") return { route: "members", accountId };
  if (m[2] === "/tokens/verify") return { route: "account_verify", accountId };
  if (m[2] === "/tokens") return { route: "tokens", accountId };
  if (m[2] === "/logs/audit") return { route: "audit", accountId };
  if (m[2] === "/sso_connectors") return { route: "sso", accountId };
  return { route: "account", accountId };
}

type Parsed<T> = { ok: true; value: T } | { ok: false; outcome: Outcome };

/** `page` and `per_page` with the schema's defaults and bounds. */
function parsePaging(q: Record<string, string>): Parsed<{ page: number; perPage: number }> {
  const perPage = q.per_page === undefined ? PER_PAGE.default : Number(q.per_page);
  if (!Number.isInteger(perPage) || perPage < PER_PAGE.min || perPage > PER_PAGE.max) {
    return {
      ok: false,
      outcome: FAILURES.badRequest(`per_page must be between ${PER_PAGE.min} and ${PER_PAGE.max}`),
    };
  }
  const page = q.page === undefined ? 1 : Number(q.page);
  if (!Number.isInteger(page) || page < 1) {
    return { ok: false, outcome: FAILURES.badRequest("page must be a positive integer") };
  }
  return { ok: true, value: { page, perPage } };
}

function parseDirection(q: Record<string, string>): Parsed<"asc" | "desc" | undefined> {
  const d = q.direction;
  if (d === undefined || d === "asc" || d === "desc") return { ok: true, value: d };
  return { ok: false, outcome: FAILURES.badRequest("direction must be one of asc, desc") };
}

function accountObject(account: Account): Record<string, unknown> {
  return {
    id: account.id,
    name: account.name,
    type: account.type,
    settings: { enforce_twofactor: account.enforceTwoFactor, abuse_contact_email: null },
    created_on: account.createdOn,
  };
}

function field(member: RawMember, path: (typeof MEMBER_ORDERS)[number]): string {
  const user = member.user !== null && typeof member.user === "object" ? (member.user as RawMember) : {};
  const value =
    path === "user.first_name"
      ? user.first_name
      : path === "user.last_name"
        ? user.last_name
        : path === "user.email"
          ? (user.email ?? member.email)
          : member.status;
  // Missing and null sort as the empty string: first ascending, as SQL puts NULLs.
  return typeof value === "string" ? value : "";
}

/** Members filtered and sorted per query, cached on the account until its members change. */
function memberView(
  account: Account,
  order: (typeof MEMBER_ORDERS)[number] | undefined,
  direction: "asc" | "desc" | undefined,
  status: string | undefined,
): RawMember[] {
  const key = `${order ?? ""}|${direction ?? ""}|${status ?? ""}`;
  const cached = account.sortedViews.get(key);
  if (cached && cached.version === account.version) return cached.members;
  let members =
    status === undefined ? [...account.members] : account.members.filter((m) => m.status === status);
  const sign = direction === "desc" ? -1 : 1;
  if (order !== undefined) {
    // Binary (code unit) comparison; Array#sort is stable, so ties keep insertion order.
    const keyed = members.map((m) => ({ m, k: field(m, order) }));
    keyed.sort((a, b) => (a.k < b.k ? -sign : a.k > b.k ? sign : 0));
    members = keyed.map((x) => x.m);
  } else if (direction === "desc") {
    members.reverse();
  }
  account.sortedViews.set(key, { version: account.version, members });
  return members;
}

/** Whether the token may read this account's settings and members. */
function canRead(token: Token, accountId: string): boolean {
  return token.accountIds.includes(accountId) && token.permissions.accountSettingsRead;
}

/** The path as Cloudflare names it in a 7003 message: without the `/client/v4` prefix. */
const apiPath = (pathname: string) => pathname.replace(/^\/client\/v4/, "");

/**
 * The account an account-scoped read names, or Cloudflare's answer when there is none: an
 * unknown account is an unroutable path (7003), a token without Account Settings Read on it a 403.
 */
function readableAccount(
  state: SimulatorState,
  token: unknown,
  accountId: string,
  url: string,
): Parsed<Account> {
  const account = state.accounts.get(accountId);
  if (!account) return { ok: false, outcome: FAILURES.noRoute(apiPath(new URL(url).pathname)) };
  const t = token as Token;
  if (!canRead(t, accountId)) return { ok: false, outcome: FAILURES.forbidden(t.forbiddenCode) };
  return { ok: true, value: account };
}

/** Applies the fault that acts before the endpoint answers; returns a response if the fault replaces it. */
async function preempt(
  fault: Fault | undefined,
  route: RouteKind,
  pathname: string,
): Promise<Response | undefined> {
  switch (fault?.kind) {
    case "reset":
      throw new NetworkReset();
    case "status":
      return toResponse(
        fail(
          fault.status,
          fault.code ?? 10000,
          fault.message ??
            (fault.code !== undefined ? CODE_MESSAGES[fault.code] : undefined) ??
            STATUS_MESSAGES[fault.status] ??
            "Request failed",
        ),
      );
    case "no_route":
      return toResponse(FAILURES.noRoute(apiPath(pathname), fault.status));
    case "replay":
      return new Response(JSON.stringify(fault.body), {
        status: fault.status,
        headers: { "Content-Type": "application/json", ...fault.headers },
      });
    case "rate_limit":
      return toResponse(FAILURES.rateLimited(), {
        "Retry-After": String(fault.retryAfter),
        Ratelimit: `"default";r=0;t=${fault.retryAfter}`,
      });
    case "malformed_json":
      return new Response(TRUNCATED_BODY, { status: 200, headers: { "Content-Type": "application/json" } });
    case "invalid_schema":
      if (fault.shape === "missing_id") return undefined;
      return toResponse(
        ok(
          { oops: true },
          route === "members" || route === "accounts"
            ? {
                resultInfo: { page: 1, per_page: PER_PAGE.default, count: 1, total_count: 1, total_pages: 1 },
              }
            : {},
        ),
      );
    case "timeout":
      await sleep(fault.ms);
      return undefined;
    default:
      return undefined;
  }
}

/** Applies the faults that bend a successful answer. */
function bend(fault: Fault | undefined, outcome: Outcome): Outcome {
  if (outcome.status !== 200 || !fault) return outcome;
  const paged = outcome.body.result_info;
  if (fault.kind === "total_count" && paged && "total_count" in paged && paged.total_count !== undefined) {
    const info = paged;
    const totalCount = (info.total_count as number) + fault.delta;
    // A server that believes in another total also reports the page count that goes with it.
    const bent: ResultInfo = { ...info, total_count: totalCount };
    if (info.total_pages !== undefined) bent.total_pages = Math.max(0, Math.ceil(totalCount / info.per_page));
    return { ...outcome, body: { ...outcome.body, result_info: bent } };
  }
  if (fault.kind === "invalid_schema" && fault.shape === "missing_id") {
    const result = outcome.body.result;
    const strip = (x: unknown) => {
      if (x === null || typeof x !== "object") return x;
      const { id: _id, ...rest } = x as Record<string, unknown>;
      return rest;
    };
    return {
      ...outcome,
      body: { ...outcome.body, result: Array.isArray(result) ? result.map(strip) : strip(result) },
    };
  }
  return outcome;
}

export function cloudflareRoutes(state: SimulatorState): Hono<{ Variables: Vars }> {
  const app = new Hono<{ Variables: Vars }>();

  // Latency, rate limit, rate-limit headers and the request log, for every request under /client/v4.
  app.use("*", async (c, next) => {
    const url = new URL(c.req.url);
    const token = bearerToken(c.req.header("Authorization"));
    const record: RequestRecord = {
      method: c.req.method,
      path: url.pathname,
      query: url.search.replace(/^\?/, ""),
      status: 0,
      at: new Date().toISOString(),
      ...classify(url.pathname),
      ...(token !== undefined ? { token } : {}),
    };
    try {
      if (state.latencyMs > 0) await sleep(state.latencyMs);
      const policy = (token !== undefined ? state.tokens.get(token)?.rateLimit : null) ?? DEFAULT_RATE_LIMIT;
      // Requests without a usable token are not metered (Cloudflare meters those per IP, which here would
      // be one bucket shared by every test); they still get the headers.
      const decision =
        token !== undefined
          ? state.limiter.hit(token, policy)
          : { allowed: true, remaining: policy.limit, resetSeconds: 0, policy };
      const headers = rateLimitHeaders(decision);
      let response: Response;
      if (!decision.allowed) {
        response = toResponse(FAILURES.rateLimited(), headers);
      } else {
        await next();
        response = c.res;
        // A fault may have set its own (e.g. `rate_limit`); keep those.
        for (const [name, value] of Object.entries(headers)) {
          if (!response.headers.has(name)) response.headers.set(name, value);
        }
      }
      record.status = response.status;
      const fault = c.get("fault");
      if (fault !== undefined) record.fault = fault;
      state.record(record);
      return response;
    } catch (err) {
      record.fault = c.get("fault") ?? "error";
      state.record(record);
      throw err;
    }
  });

  /**
   * The shared part of every endpoint: auth header, then the fault (if any), then the token
   * (unless the endpoint checks it itself, as verify does), then the endpoint.
   */
  async function answer(
    c: Ctx,
    route: RouteKind,
    accountId: string | undefined,
    endpoint: (token: Token | undefined, bearer: string) => Outcome,
    { checksToken = false } = {},
  ): Promise<Response> {
    const bearer = bearerToken(c.req.header("Authorization"));
    if (bearer === undefined) return toResponse(FAILURES.missingAuth());
    const page = Number(c.req.query("page") ?? 1);
    const fault = state.faults.take({ route, token: bearer, accountId, page });
    if (fault) c.set("fault", fault.kind);
    const replaced = await preempt(fault, route, new URL(c.req.url).pathname);
    if (replaced) return replaced;
    const token = state.tokens.get(bearer);
    const live = token !== undefined && !token.revoked ? token : undefined;
    if (!checksToken) {
      if (live === undefined || effectiveStatus(live) !== "active")
        return toResponse(FAILURES.invalidToken());
      // Cloudflare documents that client-IP filtering is not applied to the Verify Token endpoint
      // (developers.cloudflare.com/fundamentals/api/how-to/restrict-tokens, cloudflare-docs PR
      // #16450), so an IP-filtered token verifies as active and is refused everywhere else.
      if (live.ipRestricted) return toResponse(FAILURES.ipRestricted(live.clientIp));
    }
    return toResponse(bend(fault, endpoint(live, bearer)));
  }

  app.get("/user/tokens/verify", (c) =>
    answer(
      c,
      "user_verify",
      undefined,
      (token) => (token?.kind === "user" ? verifyResult(token) : FAILURES.invalidToken()),
      { checksToken: true },
    ),
  );

  app.get("/accounts/:accountId/tokens/verify", (c) => {
    const accountId = c.req.param("accountId");
    return answer(
      c,
      "account_verify",
      accountId,
      (token) =>
        token?.kind === "account" && token.accountIds[0] === accountId
          ? verifyResult(token)
          : FAILURES.invalidToken(),
      { checksToken: true },
    );
  });

  app.get("/accounts", (c) =>
    answer(c, "accounts", undefined, (token) => {
      const t = token as Token;
      const q = c.req.query();
      const paging = parsePaging(q);
      if (!paging.ok) return paging.outcome;
      const direction = parseDirection(q);
      if (!direction.ok) return direction.outcome;
      const { page, perPage } = paging.value;

      if (t.kind === "account") {
        // Reference §2: older API refuses account tokens; the current one ignores `page` and
        // answers the owner account on every page, which makes naive paginators loop for ever.
        if (t.accountsList === "reject") {
          return FAILURES.badRequest("List accounts endpoint does not support account owned tokens.");
        }
        const owner = state.accounts.get(t.accountIds[0] ?? "");
        const result = owner ? [accountObject(owner)] : [];
        return ok(result, {
          resultInfo: {
            page,
            per_page: perPage,
            count: result.length,
            total_count: result.length,
            total_pages: result.length,
          },
        });
      }

      const needle = q.name?.toLowerCase();
      let accounts = t.accountIds
        .map((id) => state.accounts.get(id))
        .filter((a): a is Account => a !== undefined)
        .filter((a) => needle === undefined || a.name.toLowerCase().includes(needle));
      if (direction.value !== undefined) {
        const sign = direction.value === "desc" ? -1 : 1;
        accounts = [...accounts].sort((a, b) => (a.name < b.name ? -sign : a.name > b.name ? sign : 0));
      }
      const slice = accounts.slice((page - 1) * perPage, page * perPage);
      return ok(slice.map(accountObject), {
        resultInfo: {
          page,
          per_page: perPage,
          count: slice.length,
          total_count: accounts.length,
          // Not in the schema's iam_result_info, but the recorded live answer carries it
          // (cloudflare/cf-terraforming testdata/cloudflare/v5/cloudflare_account.yaml).
          total_pages: Math.ceil(accounts.length / perPage),
        },
      });
    }),
  );

  app.get("/accounts/:accountId", (c) => {
    const accountId = c.req.param("accountId");
    return answer(c, "account", accountId, (token) => {
      const read = readableAccount(state, token, accountId, c.req.url);
      return read.ok ? ok(accountObject(read.value)) : read.outcome;
    });
  });

  app.get("/accounts/:accountId/members", (c) => {
    const accountId = c.req.param("accountId");
    return answer(c, "members", accountId, (token) => {
      const read = readableAccount(state, token, accountId, c.req.url);
      if (!read.ok) return read.outcome;
      const account = read.value;
      const q = c.req.query();
      const paging = parsePaging(q);
      if (!paging.ok) return paging.outcome;
      const direction = parseDirection(q);
      if (!direction.ok) return direction.outcome;
      const order = q.order;
      if (order !== undefined && !(MEMBER_ORDERS as readonly string[]).includes(order)) {
        return FAILURES.badRequest(`order must be one of ${MEMBER_ORDERS.join(", ")}`);
      }
      const status = q.status;
      if (status !== undefined && !(MEMBER_STATUSES as readonly string[]).includes(status)) {
        return FAILURES.badRequest(`status must be one of ${MEMBER_STATUSES.join(", ")}`);
      }
      const { page } = paging.value;
      // The page size actually served: a client must read it back from result_info.per_page
      // rather than assume the one it asked for.
      const perPage = Math.min(paging.value.perPage, account.servePerPage ?? PER_PAGE.max);
      const view = memberView(
        account,
        order as (typeof MEMBER_ORDERS)[number] | undefined,
        direction.value,
        status,
      );
      const slice = view.slice((page - 1) * perPage, page * perPage);
      const served = account.nestedOrder === "reversed" ? slice.map(reverseNested) : slice;
      // The recorded real answer (cloudflare/cf-terraforming testdata/cloudflare/v5/
      // cloudflare_account_member.yaml, first version) carries page, per_page, total_pages, count
      // and total_count; Cloudflare's OpenAPI schema lists all but total_pages.
      const resultInfo: ResultInfo = { page, per_page: perPage, count: slice.length };
      if (account.resultInfo !== "no_totals") resultInfo.total_count = view.length;
      if (account.resultInfo === "full") resultInfo.total_pages = Math.ceil(view.length / perPage);
      return ok(served.length === 0 && account.emptyResult === "null" ? null : served, { resultInfo });
    });
  });

  // Member Details. Unknown id: 404, code 1003 "Member not found for account" (the not-found
  // fixture of Dwolla/scala-cloudflare's AccountMembersClientSpec; clients such as
  // terraform-provider-cloudflare go by the 404 alone). Same member object as a list item.
  app.get("/accounts/:accountId/members/:memberId", (c) => {
    const accountId = c.req.param("accountId");
    return answer(c, "member", accountId, (token) => {
      const read = readableAccount(state, token, accountId, c.req.url);
      if (!read.ok) return read.outcome;
      const account = read.value;
      const member = account.members.find((m) => m.id === c.req.param("memberId"));
      return member ? ok(member) : FAILURES.memberNotFound();
    });
  });

  sourceRoutes(app, state, answer);
  return app;
}

/**
 * A member with its lists in reverse order: roles, policies, and each policy's permission and
 * resource groups. Cloudflare does not promise an order for these (terraform-provider-cloudflare
 * PR #6488 made member policies a set for that reason), so a client must not read meaning into it.
 */
function reverseNested(member: RawMember): RawMember {
  const out: RawMember = { ...member };
  if (Array.isArray(member.roles)) out.roles = [...member.roles].reverse();
  if (Array.isArray(member.policies)) {
    out.policies = [...member.policies].reverse().map((p: unknown) => {
      if (p === null || typeof p !== "object") return p;
      const policy = { ...(p as RawMember) };
      for (const key of ["permission_groups", "resource_groups"]) {
        if (Array.isArray(policy[key])) policy[key] = [...(policy[key] as unknown[])].reverse();
      }
      return policy;
    });
  }
  return out;
}

function verifyResult(token: Token): Outcome {
  const result: Record<string, unknown> = { id: token.id, status: effectiveStatus(token) };
  if (token.expiresOn !== null) result.expires_on = token.expiresOn;
  if (token.notBefore !== null) result.not_before = token.notBefore;
  return ok(result, { messages: [VERIFY_MESSAGE] });
}
