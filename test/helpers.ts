/**
 * Test helpers: call the Worker the way a client does, drive the Cloudflare API simulator
 * through its control API, and wait for queued syncs to finish. Every response body a test
 * receives is recorded, so leak checks can search all of them.
 */
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import { SIMULATOR_ORIGIN, TEST_SECRETS } from "./constants";

export const ADMIN = TEST_SECRETS.API_TOKEN;
export const READER = TEST_SECRETS.API_READ_TOKENS.split(",")[0]!;

/** Every response body seen by this test file, for "the token never appears" assertions. */
export const seenBodies: string[] = [];

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  token?: string | null;
  headers?: Record<string, string>;
  rawBody?: BodyInit;
}

/** A request as a client sends it: admin token by default, JSON body when `body` is given. */
export function buildRequest(method: string, path: string, options: RequestOptions = {}): Request {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? ADMIN : options.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  let body: BodyInit | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["Content-Type"] ??= "application/json";
  }
  return new Request(`https://connector.test${path}`, { method, headers, body });
}

/** Reads a response (recording its body for leak checks), parsing JSON where it is JSON. */
export async function readResponse<T = any>(response: Response): Promise<ApiResponse<T>> {
  const text = await response.text();
  seenBodies.push(text);
  let parsed: any = text;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch {
    // CSV, HTML: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

export async function api<T = any>(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<ApiResponse<T>> {
  return readResponse<T>(await exports.default.fetch(buildRequest(method, path, options)));
}

/** Asserts the SPEC §3 error shape and code, returning the error for further checks. */
export function expectError(response: ApiResponse, status: number, code: string) {
  expect({ status: response.status, code: response.body?.error?.code }).toEqual({ status, code });
  expect(typeof response.body.error.message).toBe("string");
  expect(Array.isArray(response.body.error.details)).toBe(true);
  return response.body.error as {
    code: string;
    message: string;
    details: { path: string; message: string }[];
  };
}

// ---- simulator control ----

async function control<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${SIMULATOR_ORIGIN}/__sim${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`simulator ${method} ${path} → ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

export type RawMember = Record<string, any>;

export const sim = {
  createAccount: (body: {
    id?: string;
    name: string;
    enforceTwoFactor?: boolean;
    members?: RawMember[];
    generateMembers?: number;
  }) => control<{ id: string }>("POST", "/accounts", body).then((r) => r.id),
  patchAccount: (id: string, body: { name?: string; enforceTwoFactor?: boolean }) =>
    control("PATCH", `/accounts/${id}`, body),
  members: (accountId: string) =>
    control<{ members: RawMember[] }>("GET", `/accounts/${accountId}/members`).then((r) => r.members),
  replaceMembers: (accountId: string, members: RawMember[]) =>
    control("PUT", `/accounts/${accountId}/members`, { members }),
  addMembers: (accountId: string, members: RawMember[]) =>
    control("POST", `/accounts/${accountId}/members`, { members }),
  patchMember: (accountId: string, memberId: string, patch: RawMember) =>
    control("PATCH", `/accounts/${accountId}/members/${memberId}`, patch),
  deleteMember: (accountId: string, memberId: string) =>
    control("DELETE", `/accounts/${accountId}/members/${memberId}`),
  createToken: (body: {
    value?: string;
    kind: "user" | "account";
    accountIds: string[];
    status?: "active" | "disabled" | "expired";
    expiresOn?: string | null;
    permissions?: { accountSettingsRead?: boolean };
    accountsList?: "repeat" | "reject";
    rateLimit?: { limit: number; windowSeconds: number };
  }) => control<{ value: string }>("POST", "/tokens", body).then((r) => r.value),
  patchToken: (value: string, body: { status?: string; revoked?: boolean; permissions?: object }) =>
    control("PATCH", `/tokens/${encodeURIComponent(value)}`, body),
  fault: (match: Record<string, unknown>, fault: Record<string, unknown>, times?: number) =>
    control<{ id: string }>("POST", "/faults", { match, fault, times }).then((r) => r.id),
  clearFaults: (query: { accountId?: string; token?: string }) =>
    control("DELETE", `/faults?${new URLSearchParams(query as Record<string, string>)}`),
  requests: (query: { accountId?: string; token?: string }) =>
    control<{ requests: { method: string; path: string; query: string; status: number }[] }>(
      "GET",
      `/requests?${new URLSearchParams(query as Record<string, string>)}`,
    ).then((r) => r.requests),
};

let counter = 0;
/** A unique name so test files sharing one simulator never collide. */
export const uniqueName = (prefix: string) =>
  `${prefix} ${Date.now().toString(36)}-${(counter++).toString(36)}`;

/** A realistic raw Cloudflare member. */
export function rawMember(n: number, overrides: RawMember = {}): RawMember {
  const id = n.toString(16).padStart(32, "0");
  const email = `person${n}@example.com`;
  return {
    id,
    email,
    status: "accepted",
    user: {
      id: `u${id.slice(1)}`,
      email,
      first_name: `First${n}`,
      last_name: `Last${n}`,
      two_factor_authentication_enabled: n % 2 === 0,
    },
    roles: [{ id: "r-admin", name: "Administrator", description: "Admin", permissions: {} }],
    policies: [],
    ...overrides,
  };
}

/** An account in the simulator plus a user token that can read it. */
export async function setupAccount(
  options: {
    members?: RawMember[];
    generateMembers?: number;
    name?: string;
    enforceTwoFactor?: boolean;
  } = {},
) {
  const name = options.name ?? uniqueName("Acme");
  const accountId = await sim.createAccount({
    name,
    members: options.members,
    generateMembers: options.generateMembers,
    enforceTwoFactor: options.enforceTwoFactor,
  });
  const token = await sim.createToken({ kind: "user", accountIds: [accountId] });
  return { accountId, name, token };
}

/** Connects an integration through the API and returns it (its first sync is queued). */
export async function connect(
  account: { name: string; token: string; accountId?: string },
  label = "Production",
  extra: Record<string, unknown> = {},
) {
  const response = await api("POST", "/v1/integrations", {
    body: { label, organizationName: account.name, apiToken: account.token, ...extra },
  });
  expect(response.status, response.text).toBe(201);
  return response.body as { id: string; lastSync: { id: string } | null } & Record<string, any>;
}

/** Polls a sync run until it finishes (the real local queue runs it in the background). */
export async function waitForRun(runId: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await api("GET", `/v1/syncs/${runId}`);
    if (
      response.status === 200 &&
      (response.body.status === "succeeded" || response.body.status === "failed")
    ) {
      return response.body;
    }
    if (Date.now() > deadline) throw new Error(`sync ${runId} did not finish: ${response.text}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Connects and waits for the first sync. */
export async function connectAndSync(account: { name: string; token: string }, label = "Production") {
  const integration = await connect(account, label);
  const run = await waitForRun(integration.lastSync!.id);
  return { integration, run };
}

/** Starts a manual sync and waits for it. */
export async function syncNow(integrationId: string) {
  const started = await api("POST", `/v1/integrations/${integrationId}/sync`);
  expect(started.status, started.text).toBe(202);
  return waitForRun(started.body.id);
}

/** Reads user accounts straight from D1 (independent of the HTTP read path). */
export async function storedAccounts(integrationId: string) {
  const { results } = await env.DB.prepare(
    "SELECT * FROM user_accounts WHERE integration_id = ? ORDER BY email, id",
  )
    .bind(integrationId)
    .all<Record<string, any>>();
  return results;
}

export async function storedEvents(integrationId: string) {
  const { results } = await env.DB.prepare(
    "SELECT * FROM events WHERE integration_id = ? ORDER BY occurred_at, ordinal",
  )
    .bind(integrationId)
    .all<Record<string, any>>();
  return results;
}

/** Walks a list with `limit` per page, following nextCursor, as a consumer would: every row, and the page count. */
export async function walkPages(path: string, limit: number) {
  const rows: any[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const url: string = `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const page = await api("GET", url);
    expect(page.status, page.text).toBe(200);
    rows.push(...page.body.data);
    cursor = page.body.nextCursor;
    pages++;
  } while (cursor);
  return { rows, pages };
}
