// The control API (mounted at /__sim, no auth): lets tests and the demo create accounts, members and
// tokens, inject faults, read the request log and set latency. Bodies are validated with zod;
// mistakes answer 400 `{ error, issues }` so a broken test setup fails loudly.

import { type Context, Hono } from "hono";
import { z } from "zod";
import { jsonResponse } from "./envelope.ts";
import { faultMatchSchema, faultSchema } from "./faults.ts";
import { generateMembers, type RawMember } from "./members.ts";
import { randomHexId } from "./random.ts";
import {
  DEFAULT_ACTOR,
  recordMemberChange,
  recordReplacement,
  recordUnrelatedChange,
  type SimActor,
} from "./sources.ts";
import type { Account, AccountServing, SimulatorState, Token, TokenRestrictions } from "./state.ts";

const isoDate = z.iso.datetime({ offset: true });
const hexId = z.string().regex(/^[0-9a-f]{32}$/, "must be 32 lowercase hex characters");
const rawMember = z.record(z.string(), z.unknown());
/** Generating more than this in one call is a typo, not a test. */
const MAX_GENERATED_MEMBERS = 200_000;

/** The members list's serving switches, on POST and PATCH /accounts (see state.ts `AccountServing`). */
const servingBody = {
  servePerPage: z.number().int().min(5).max(50).nullable().optional(),
  resultInfo: z.enum(["full", "no_total_pages", "no_totals"]).optional(),
  nestedOrder: z.enum(["stored", "reversed"]).optional(),
  emptyResult: z.enum(["array", "null"]).optional(),
};

/** The account's optional sources, on POST and PATCH /accounts. */
const ssoConnectorBody = z.object({ emailDomain: z.string().min(1), enabled: z.boolean().optional() });
const sourcesBody = {
  ssoConnectors: z.array(ssoConnectorBody).optional(),
  auditLagSeconds: z.number().int().min(0).optional(),
};

const createAccountBody = z.object({
  ...servingBody,
  ...sourcesBody,
  id: hexId.optional(),
  name: z.string().min(1).max(100),
  type: z.enum(["standard", "enterprise"]).optional(),
  enforceTwoFactor: z.boolean().optional(),
  createdOn: isoDate.optional(),
  members: z.array(rawMember).optional(),
  generateMembers: z.number().int().min(0).max(MAX_GENERATED_MEMBERS).optional(),
});

const patchAccountBody = z.object({
  ...servingBody,
  ...sourcesBody,
  name: z.string().min(1).max(100).optional(),
  type: z.enum(["standard", "enterprise"]).optional(),
  enforceTwoFactor: z.boolean().optional(),
});

const membersBody = z.object({ members: z.array(rawMember) });

const rateLimitBody = z.object({ limit: z.number().int().min(1), windowSeconds: z.number().int().min(1) });
const tokenValue = z.string().regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");
const tokenStatus = z.enum(["active", "disabled", "expired"]);
const permissionsBody = z.object({
  accountSettingsRead: z.boolean().optional(),
  auditLogs: z.boolean().optional(),
  apiTokensRead: z.boolean().optional(),
  ssoRead: z.boolean().optional(),
});
/** How an account-owned token shows in GET /accounts/{id}/tokens. */
const inventoryBody = {
  name: z.string().min(1).max(120).optional(),
  lastUsedOn: isoDate.nullable().optional(),
  policies: z.array(z.record(z.string(), z.unknown())).optional(),
};
/** Token restrictions, on POST and PATCH /tokens (see state.ts `TokenRestrictions`). */
const restrictionsBody = {
  ipRestricted: z.boolean().optional(),
  clientIp: z.union([z.ipv4(), z.ipv6()]).optional(),
  forbiddenCode: z.union([z.literal(9109), z.literal(10000)]).optional(),
};

const createTokenBody = z
  .object({
    ...restrictionsBody,
    ...inventoryBody,
    value: tokenValue.optional(),
    kind: z.enum(["user", "account"]),
    accountIds: z.array(z.string()),
    status: tokenStatus.optional(),
    expiresOn: isoDate.nullable().optional(),
    notBefore: isoDate.nullable().optional(),
    permissions: permissionsBody.optional(),
    accountsList: z.enum(["repeat", "reject"]).optional(),
    rateLimit: rateLimitBody.nullable().optional(),
  })
  .refine((t) => t.kind === "user" || t.accountIds.length === 1, {
    message: "an account-owned token belongs to exactly one account",
    path: ["accountIds"],
  });

const patchTokenBody = z.object({
  ...restrictionsBody,
  ...inventoryBody,
  status: tokenStatus.optional(),
  revoked: z.boolean().optional(),
  permissions: permissionsBody.optional(),
  accountIds: z.array(z.string()).optional(),
  expiresOn: isoDate.nullable().optional(),
  rateLimit: rateLimitBody.nullable().optional(),
});

const createFaultBody = z.object({
  match: faultMatchSchema,
  fault: faultSchema,
  times: z.number().int().min(1).optional(),
});

const configBody = z.object({ latencyMs: z.number().int().min(0) });

type ParseResult<T> = { ok: true; data: T } | { ok: false; response: Response };

async function parseBody<T>(c: Context, schema: z.ZodType<T>): Promise<ParseResult<T>> {
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    return { ok: false, response: jsonResponse(400, { error: "body must be JSON" }) };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, response: jsonResponse(400, { error: "invalid body", issues: parsed.error.issues }) };
  }
  return { ok: true, data: parsed.data };
}

const notFound = (what: string) => jsonResponse(404, { error: `${what} not found` });

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Merges `patch` into `base` without mutating either (generated members share role objects):
 * objects merge key by key, anything else (arrays, null, scalars) replaces.
 */
export function deepMerge(
  base: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] = isPlainObject(value) && isPlainObject(current) ? deepMerge(current, value) : value;
  }
  return out;
}

/** Email domain label for generated members, from the account name. */
function slug(name: string): string | undefined {
  const s = name
    .normalize("NFD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return s === "" ? undefined : s;
}

/** Copies the given sources onto the account. */
function applySources(
  account: Account,
  input: { ssoConnectors?: { emailDomain: string; enabled?: boolean }[]; auditLagSeconds?: number },
): void {
  if (input.auditLagSeconds !== undefined) account.auditLagSeconds = input.auditLagSeconds;
  if (input.ssoConnectors !== undefined) {
    const now = new Date().toISOString();
    account.ssoConnectors = input.ssoConnectors.map((c) => ({
      id: crypto.randomUUID(),
      email_domain: c.emailDomain,
      enabled: c.enabled ?? true,
      verification: { code: `cloudflare_dashboard_sso=${randomHexId().slice(0, 8)}`, status: "verified" },
      created_on: now,
      updated_on: now,
    }));
  }
}

/** The actor of a member change made through the control API (`?actor=email`). */
const actorOf = (c: Context): SimActor => {
  const email = c.req.query("actor");
  const tokenName = c.req.query("actorToken");
  return email ? { email, ...(tokenName ? { tokenName } : {}) } : DEFAULT_ACTOR;
};

/** Copies the given serving switches onto the account. */
function applyServing(account: Account, input: AccountServing): void {
  if (input.servePerPage !== undefined) account.servePerPage = input.servePerPage;
  if (input.resultInfo !== undefined) account.resultInfo = input.resultInfo;
  if (input.nestedOrder !== undefined) account.nestedOrder = input.nestedOrder;
  if (input.emptyResult !== undefined) account.emptyResult = input.emptyResult;
}

/** Copies the given restrictions onto the token. */
function applyRestrictions(token: Token, input: TokenRestrictions): void {
  if (input.ipRestricted !== undefined) token.ipRestricted = input.ipRestricted;
  if (input.clientIp !== undefined) token.clientIp = input.clientIp;
  if (input.forbiddenCode !== undefined) token.forbiddenCode = input.forbiddenCode;
}

const accountSummary = (account: Account) => ({
  id: account.id,
  name: account.name,
  type: account.type,
  enforceTwoFactor: account.enforceTwoFactor,
  servePerPage: account.servePerPage,
  resultInfo: account.resultInfo,
  nestedOrder: account.nestedOrder,
  emptyResult: account.emptyResult,
});

export function controlRoutes(state: SimulatorState): Hono {
  const app = new Hono();

  app.post("/accounts", async (c) => {
    const body = await parseBody(c, createAccountBody);
    if (!body.ok) return body.response;
    const input = body.data;
    if (input.id !== undefined && state.accounts.has(input.id)) {
      return jsonResponse(409, { error: `account ${input.id} already exists` });
    }
    const account = state.addAccount({
      ...(input.id !== undefined ? { id: input.id } : {}),
      name: input.name,
      ...(input.type !== undefined ? { type: input.type } : {}),
      ...(input.enforceTwoFactor !== undefined ? { enforceTwoFactor: input.enforceTwoFactor } : {}),
      ...(input.createdOn !== undefined ? { createdOn: input.createdOn } : {}),
    });
    applyServing(account, input);
    applySources(account, input);
    account.members = [...(input.members ?? [])];
    if (input.generateMembers) {
      const domain = slug(input.name);
      account.members.push(
        ...generateMembers(account.id, input.generateMembers, domain !== undefined ? { domain } : {}),
      );
    }
    return jsonResponse(201, { id: account.id });
  });

  app.patch("/accounts/:id", async (c) => {
    const account = state.accounts.get(c.req.param("id"));
    if (!account) return notFound("account");
    const body = await parseBody(c, patchAccountBody);
    if (!body.ok) return body.response;
    if (body.data.name !== undefined) account.name = body.data.name;
    if (body.data.type !== undefined) account.type = body.data.type;
    if (body.data.enforceTwoFactor !== undefined) account.enforceTwoFactor = body.data.enforceTwoFactor;
    applyServing(account, body.data);
    applySources(account, body.data);
    return jsonResponse(200, accountSummary(account));
  });

  app.delete("/accounts/:id", (c) =>
    state.accounts.delete(c.req.param("id")) ? jsonResponse(204, null) : notFound("account"),
  );

  app.get("/accounts/:id/members", (c) => {
    const account = state.accounts.get(c.req.param("id"));
    if (!account) return notFound("account");
    return jsonResponse(200, { members: account.members });
  });

  app.put("/accounts/:id/members", async (c) => {
    const account = state.accounts.get(c.req.param("id"));
    if (!account) return notFound("account");
    const body = await parseBody(c, membersBody);
    if (!body.ok) return body.response;
    recordReplacement(account, account.members, body.data.members, actorOf(c));
    account.members = [...body.data.members];
    state.touch(account);
    return jsonResponse(200, { count: account.members.length });
  });

  app.post("/accounts/:id/members", async (c) => {
    const account = state.accounts.get(c.req.param("id"));
    if (!account) return notFound("account");
    const body = await parseBody(c, membersBody);
    if (!body.ok) return body.response;
    for (const member of body.data.members) recordMemberChange(account, "create", member, actorOf(c));
    account.members.push(...body.data.members);
    state.touch(account);
    return jsonResponse(200, { count: account.members.length });
  });

  app.patch("/accounts/:id/members/:memberId", async (c) => {
    const account = state.accounts.get(c.req.param("id"));
    if (!account) return notFound("account");
    const index = account.members.findIndex((m) => m.id === c.req.param("memberId"));
    if (index < 0) return notFound("member");
    const body = await parseBody(c, rawMember);
    if (!body.ok) return body.response;
    const merged: RawMember = deepMerge(account.members[index] as RawMember, body.data);
    account.members[index] = merged;
    recordMemberChange(account, "update", merged, actorOf(c));
    state.touch(account);
    return jsonResponse(200, { member: merged });
  });

  app.delete("/accounts/:id/members/:memberId", (c) => {
    const account = state.accounts.get(c.req.param("id"));
    if (!account) return notFound("account");
    const index = account.members.findIndex((m) => m.id === c.req.param("memberId"));
    if (index < 0) return notFound("member");
    const [removed] = account.members.splice(index, 1);
    if (removed) recordMemberChange(account, "delete", removed, actorOf(c));
    state.touch(account);
    return jsonResponse(204, null);
  });

  // Audit entries about something else than members, which a connector must skip.
  app.post("/accounts/:id/audit/unrelated", (c) => {
    const account = state.accounts.get(c.req.param("id"));
    if (!account) return notFound("account");
    recordUnrelatedChange(account, actorOf(c));
    return jsonResponse(201, { entries: account.audit.length });
  });

  app.get("/accounts/:id/audit", (c) => {
    const account = state.accounts.get(c.req.param("id"));
    if (!account) return notFound("account");
    return jsonResponse(200, { entries: account.audit });
  });

  app.post("/tokens", async (c) => {
    const body = await parseBody(c, createTokenBody);
    if (!body.ok) return body.response;
    const input = body.data;
    if (input.value !== undefined && state.tokens.has(input.value)) {
      return jsonResponse(409, { error: "token value already exists" });
    }
    const token = state.addToken({
      kind: input.kind,
      accountIds: input.accountIds,
      ...(input.value !== undefined ? { value: input.value } : {}),
      ...(input.status !== undefined ? { status: input.status } : {}),
      ...(input.expiresOn !== undefined ? { expiresOn: input.expiresOn } : {}),
      ...(input.notBefore !== undefined ? { notBefore: input.notBefore } : {}),
      ...(input.permissions !== undefined ? { permissions: input.permissions } : {}),
      ...(input.accountsList !== undefined ? { accountsList: input.accountsList } : {}),
      ...(input.rateLimit !== undefined ? { rateLimit: input.rateLimit } : {}),
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.lastUsedOn !== undefined ? { lastUsedOn: input.lastUsedOn } : {}),
      ...(input.policies !== undefined ? { policies: input.policies } : {}),
    });
    applyRestrictions(token, input);
    return jsonResponse(201, { value: token.value, id: token.id });
  });

  app.patch("/tokens/:value", async (c) => {
    const token = state.tokens.get(c.req.param("value"));
    if (!token) return notFound("token");
    const body = await parseBody(c, patchTokenBody);
    if (!body.ok) return body.response;
    const p = body.data;
    if (p.status !== undefined) token.status = p.status;
    if (p.revoked !== undefined) token.revoked = p.revoked;
    for (const [key, value] of Object.entries(p.permissions ?? {})) {
      if (value !== undefined) token.permissions[key as keyof typeof token.permissions] = value;
    }
    if (p.name !== undefined) token.name = p.name;
    if (p.lastUsedOn !== undefined) token.lastUsedOn = p.lastUsedOn;
    if (p.policies !== undefined) token.policies = p.policies;
    if (p.accountIds !== undefined) token.accountIds = p.accountIds;
    if (p.expiresOn !== undefined) token.expiresOn = p.expiresOn;
    if (p.rateLimit !== undefined) token.rateLimit = p.rateLimit;
    applyRestrictions(token, p);
    return jsonResponse(200, {
      value: token.value,
      id: token.id,
      status: token.status,
      revoked: token.revoked,
      permissions: token.permissions,
      ipRestricted: token.ipRestricted,
      clientIp: token.clientIp,
      forbiddenCode: token.forbiddenCode,
    });
  });

  app.post("/faults", async (c) => {
    const body = await parseBody(c, createFaultBody);
    if (!body.ok) return body.response;
    return jsonResponse(201, { id: state.faults.add(body.data.match, body.data.fault, body.data.times) });
  });

  app.delete("/faults/:id", (c) =>
    state.faults.remove(c.req.param("id")) ? jsonResponse(204, null) : notFound("fault"),
  );

  app.delete("/faults", (c) => {
    const accountId = c.req.query("accountId");
    const token = c.req.query("token");
    // Many test files share this simulator: clearing everyone's faults must be asked for explicitly.
    if (accountId === undefined && token === undefined && c.req.query("all") !== "true") {
      return jsonResponse(400, { error: "give accountId and/or token, or all=true" });
    }
    const filter = {
      ...(accountId !== undefined ? { accountId } : {}),
      ...(token !== undefined ? { token } : {}),
    };
    return jsonResponse(200, { cleared: state.faults.clear(filter) });
  });

  app.get("/requests", (c) => {
    const token = c.req.query("token");
    const accountId = c.req.query("accountId");
    const route = c.req.query("route");
    const requests = state.requests.filter(
      (r) =>
        (token === undefined || r.token === token) &&
        (accountId === undefined || r.accountId === accountId) &&
        (route === undefined || r.route === route),
    );
    return jsonResponse(200, { requests });
  });

  app.post("/config", async (c) => {
    const body = await parseBody(c, configBody);
    if (!body.ok) return body.response;
    state.latencyMs = body.data.latencyMs;
    return jsonResponse(200, { latencyMs: state.latencyMs });
  });

  return app;
}
