// The account's optional sources as Cloudflare serves them (docs/cloudflare.md in the connector):
// Audit Logs v2 (cursor paging, `since` and `before` required), account API tokens (page-based,
// `result_info` without total_pages) and SSO connectors (one list). Also the audit entries the
// control API records for every member change, shaped like the documented "Add Member" example.

import type { Hono } from "hono";
import { FAILURES, type Outcome, ok } from "./envelope.ts";
import type { RawMember } from "./members.ts";
import { randomHexId } from "./random.ts";
import { type Account, effectiveStatus, type SimulatorState, type Token } from "./state.ts";

/** Audit entries per page: default and maximum of the endpoint (its API reference). */
const AUDIT_LIMIT = { default: 100, max: 1000 } as const;
const TOKENS_PER_PAGE = { min: 5, max: 50, default: 20 } as const;

/** Who made a change through the control API (`?actor=` on member routes). */
export interface SimActor {
  email: string;
  type?: string;
  context?: string;
  tokenName?: string;
}

export const DEFAULT_ACTOR: SimActor = { email: "owner@example.com" };

const DESCRIPTION = { create: "Add Member", update: "Edit Member", delete: "Remove Member" } as const;
const METHOD = { create: "POST", update: "PUT", delete: "DELETE" } as const;

/** Records one member change in the account's audit log, the way Audit Logs v2 shows it. */
export function recordMemberChange(
  account: Account,
  type: keyof typeof DESCRIPTION,
  member: RawMember,
  actor: SimActor,
  time = new Date(),
): void {
  const memberId = String(member.id);
  account.audit.push({
    id: crypto.randomUUID(),
    account: { id: account.id, name: account.name },
    action: { description: DESCRIPTION[type], result: "success", time: time.toISOString(), type },
    actor: {
      id: randomHexId(),
      context: actor.context ?? (actor.tokenName ? "api_token" : "dash"),
      email: actor.email,
      ip_address: "198.51.100.10",
      ...(actor.tokenName ? { token_id: randomHexId(), token_name: actor.tokenName } : {}),
      type: actor.type ?? "user",
    },
    raw: {
      cf_ray_id: randomHexId().slice(0, 16),
      method: METHOD[type],
      status_code: 200,
      uri: `/accounts/${account.id}/members${type === "create" ? "" : `/${memberId}`}`,
      user_agent: "Mozilla/5.0",
    },
    resource: { id: memberId, product: "members", scope: "accounts", type: "member" },
    zone: {},
  });
}

/** An entry about something else than members (a DNS record), which the connector must skip. */
export function recordUnrelatedChange(account: Account, actor: SimActor = DEFAULT_ACTOR): void {
  account.audit.push({
    id: crypto.randomUUID(),
    account: { id: account.id, name: account.name },
    action: {
      description: "Create DNS record",
      result: "success",
      time: new Date().toISOString(),
      type: "create",
    },
    actor: {
      id: randomHexId(),
      context: "dash",
      email: actor.email,
      ip_address: "198.51.100.10",
      type: "user",
    },
    raw: {
      method: "POST",
      status_code: 200,
      uri: `/zones/${randomHexId()}/dns_records`,
      user_agent: "Mozilla/5.0",
    },
    resource: { id: randomHexId(), product: "dns_records", scope: "zones", type: "dns_record" },
    zone: { id: randomHexId(), name: "example.com" },
  });
}

/** The control API's member writes, as audit entries: what was added, changed and removed. */
export function recordReplacement(
  account: Account,
  before: RawMember[],
  after: RawMember[],
  actor: SimActor,
) {
  const old = new Map(before.map((m) => [m.id, m]));
  const next = new Set(after.map((m) => m.id));
  for (const m of after) {
    const was = old.get(m.id);
    if (!was) recordMemberChange(account, "create", m, actor);
    else if (JSON.stringify(was) !== JSON.stringify(m)) recordMemberChange(account, "update", m, actor);
  }
  for (const m of before) if (!next.has(m.id)) recordMemberChange(account, "delete", m, actor);
}

type Endpoint = (
  route: "audit" | "tokens" | "sso",
  accountId: string,
  handler: (token: Token, account: Account, query: Record<string, string>) => Outcome,
) => Promise<Response>;

/** Mounts the three source routes on the Cloudflare app; `serve` runs the shared pipeline. */
// biome-ignore lint/suspicious/noExplicitAny: the Cloudflare app's context type, passed through unchanged
type AnyContext = any;

export function sourceRoutes(
  // biome-ignore lint/suspicious/noExplicitAny: mounted on the Cloudflare app whatever its variables
  app: Hono<any>,
  state: SimulatorState,
  serve: (
    c: AnyContext,
    route: "audit" | "tokens" | "sso",
    accountId: string,
    endpoint: (token: Token | undefined) => Outcome,
  ) => Promise<Response>,
) {
  const endpoint =
    (c: AnyContext): Endpoint =>
    (route, accountId, handler) =>
      serve(c, route, accountId, (token) => {
        const account = state.accounts.get(accountId);
        if (!account) return FAILURES.noRoute(`/accounts/${accountId}`);
        const t = token as Token;
        if (!t.accountIds.includes(accountId) || !t.permissions.accountSettingsRead)
          return FAILURES.forbidden(t.forbiddenCode);
        return handler(t, account, c.req.query());
      });

  app.get("/accounts/:accountId/logs/audit", (c) =>
    endpoint(c)("audit", c.req.param("accountId"), (t, account, q) =>
      t.permissions.auditLogs ? auditPage(account, q) : FAILURES.forbidden(t.forbiddenCode),
    ),
  );
  app.get("/accounts/:accountId/tokens", (c) =>
    endpoint(c)("tokens", c.req.param("accountId"), (t, account, q) =>
      t.permissions.apiTokensRead ? tokenPage(state, account, q) : FAILURES.forbidden(t.forbiddenCode),
    ),
  );
  app.get("/accounts/:accountId/sso_connectors", (c) =>
    endpoint(c)("sso", c.req.param("accountId"), (t, account) =>
      t.permissions.ssoRead ? ok(account.ssoConnectors) : FAILURES.forbidden(t.forbiddenCode),
    ),
  );
}

/** `since` and `before` required; entries in [since, before), lag applied; cursor is an offset. */
function auditPage(account: Account, q: Record<string, string>): Outcome {
  const since = Date.parse(q.since ?? "");
  const before = Date.parse(q.before ?? "");
  if (!Number.isFinite(since) || !Number.isFinite(before)) {
    return FAILURES.badRequest("since and before are required (a date or an RFC 3339 time)");
  }
  const limit = q.limit === undefined ? AUDIT_LIMIT.default : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > AUDIT_LIMIT.max) {
    return FAILURES.badRequest(`limit must be between 1 and ${AUDIT_LIMIT.max}`);
  }
  const visibleUntil = Date.now() - account.auditLagSeconds * 1000;
  const inWindow = account.audit.filter((e) => {
    const t = Date.parse(e.action.time);
    return t >= since && t < before && t <= visibleUntil;
  });
  const ordered = q.direction === "asc" ? inWindow : [...inWindow].reverse();
  const offset = q.cursor ? Number.parseInt(atob(q.cursor), 10) : 0;
  const page = ordered.slice(offset, offset + limit);
  const more = offset + limit < ordered.length;
  return ok(page, {
    resultInfo: { count: String(page.length), cursor: more ? btoa(String(offset + limit)) : "" },
  });
}

function tokenPage(state: SimulatorState, account: Account, q: Record<string, string>): Outcome {
  const perPage = q.per_page === undefined ? TOKENS_PER_PAGE.default : Number(q.per_page);
  const page = q.page === undefined ? 1 : Number(q.page);
  if (!Number.isInteger(perPage) || perPage < TOKENS_PER_PAGE.min || perPage > TOKENS_PER_PAGE.max) {
    return FAILURES.badRequest(`per_page must be between ${TOKENS_PER_PAGE.min} and ${TOKENS_PER_PAGE.max}`);
  }
  const owned = [...state.tokens.values()].filter(
    (t) => t.kind === "account" && t.accountIds[0] === account.id && !t.revoked,
  );
  const slice = owned.slice((page - 1) * perPage, page * perPage);
  return ok(
    slice.map((t) => ({
      id: t.id,
      name: t.name,
      status: effectiveStatus(t),
      issued_on: t.issuedOn,
      modified_on: t.issuedOn,
      ...(t.expiresOn ? { expires_on: t.expiresOn } : {}),
      ...(t.notBefore ? { not_before: t.notBefore } : {}),
      last_used_on: t.lastUsedOn,
      policies: t.policies,
      ...(t.ipRestricted ? { condition: { request_ip: { in: ["203.0.113.0/24"], not_in: [] } } } : {}),
    })),
    // Recorded without total_pages (Cloudflare's schema for this list): clients page by total_count.
    { resultInfo: { page, per_page: perPage, count: slice.length, total_count: owned.length } },
  );
}
