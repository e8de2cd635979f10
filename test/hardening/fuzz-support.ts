/**
 * The machinery behind the HTTP fuzz suite: the routes as /openapi.json lists them, hostile
 * values, a request recipe → Request builder, and the checker every generated request goes
 * through (no 5xx, the exact error shape of docs/api.md#errors, no secret in any answer, and nothing stored
 * unless the request succeeded as a write).
 */
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import { ERROR_STATUS } from "../../src/lib/errors";
import { ADMIN, READER } from "../support/api";
import { expectErrorBody } from "../support/errors";
import { secretValues } from "../support/secrets";
import { waitForRun } from "../support/sync";

// ---------------------------------------------------------------- routes from /openapi.json

export interface Operation {
  method: string;
  /** Template, e.g. /v1/integrations/{id}/accounts */
  path: string;
  pathParams: string[];
  /** Query parameters with values that are plausible for them (enum values, examples). */
  query: { name: string; plausible: string[] }[];
  /** Properties of the JSON body with plausible values, or null when the route takes no body. */
  body: { name: string; plausible: unknown[] }[] | null;
}

const resolve = (doc: any, schema: any): any =>
  schema?.$ref ? resolve(doc, doc.components.schemas[schema.$ref.split("/").pop()]) : schema;

function plausibleValues(schema: any): unknown[] {
  const values: unknown[] = [];
  if (schema?.enum) values.push(...schema.enum);
  if (schema?.example !== undefined) values.push(schema.example);
  if (schema?.type === "boolean") values.push(true, false);
  if (schema?.type === "string" && values.length === 0) values.push("x");
  // Arrays and objects without an example (PUT /v1/roster's people) still need one value to draw.
  if (schema?.type === "array" && values.length === 0) values.push([]);
  if (values.length === 0) values.push(null);
  return values;
}

/** Every operation the OpenAPI document lists, so a new route is fuzzed without editing the suite. */
export async function loadOperations(): Promise<Operation[]> {
  const response = await exports.default.fetch(new Request("https://connector.test/openapi.json"));
  const doc: any = await response.json();
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      const parameters: any[] = op.parameters ?? [];
      const bodySchema = resolve(doc, op.requestBody?.content?.["application/json"]?.schema);
      operations.push({
        method: method.toUpperCase(),
        path,
        pathParams: parameters.filter((p) => p.in === "path").map((p) => p.name),
        query: parameters
          .filter((p) => p.in === "query")
          .map((p) => ({ name: p.name, plausible: plausibleValues(p.schema).map(String) })),
        body: bodySchema?.properties
          ? Object.entries<any>(bodySchema.properties).map(([name, s]) => ({
              name,
              plausible: plausibleValues(s),
            }))
          : null,
      });
    }
  }
  return operations;
}

// ---------------------------------------------------------------- hostile values

/** Strings that have broken web APIs before: SQL, traversal, control and odd Unicode characters. */
export const NASTY_STRINGS = [
  "",
  " ",
  "null",
  "undefined",
  "0",
  "-1",
  "1e309",
  "NaN",
  "true",
  "[]",
  "{}",
  "' OR '1'='1",
  "'; DROP TABLE integrations; --",
  '" OR ""="',
  "1) UNION SELECT * FROM sync_runs --",
  "%",
  "_",
  "%%_",
  "\\",
  "\\u0000",
  "../../etc/passwd",
  "..%2f..%2fadmin",
  "/v1/admin/rotate-credentials",
  "\u0000",
  "a\u0000b",
  "\uFEFF",
  "\u202Eevil",
  "e\u0301\u0301\u0301",
  "😀",
  "\uD800",
  "\uDFFFx\uD83D",
  "𝕏𝕐ℤ",
  "<script>alert(1)</script>",
  "$" + "{7*7}{{7*7}}",
  '=HYPERLINK("http://x")',
  "\r\nX-Injected: 1",
  "\t",
  "accepted",
  "pending",
  "csv",
  "2026-11-29T00:00:00Z",
  "0000-01-01T00:00:00+23:59",
  "9999-12-31T23:59:59-23:59",
  "2026-02-29T00:00:00Z",
  "500",
  "501",
  "0500",
  "99999999999999999999",
  "-0",
  "0x1f",
  "1.5",
];

/** Percent sequences that are not valid escapes or not valid UTF-8 once decoded. */
export const BAD_ESCAPES = ["%", "%zz", "%C3%28", "%ED%A0%80", "%FF%FE", "%E2%82", "%00", "%C0%AF", "%%"];

/** Bytes that are not UTF-8 (lone continuation, overlong, surrogate, truncated sequences). */
export const INVALID_UTF8: number[][] = [
  [0xff, 0xfe],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xe2, 0x82],
  [0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
];

export const ODD_METHODS = [
  "PUT",
  "PATCH",
  "DELETE",
  "POST",
  "GET",
  "OPTIONS",
  "HEAD",
  "TRACE",
  "PURGE",
  "PROPFIND",
  "SEARCH",
  "QUERY",
  "patch",
  "get",
];

export const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "Application/JSON",
  "application/vnd.api+json",
  "application/json; charset=latin1",
  "text/plain",
  "text/json",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/xml",
  "application/jsonx",
  "*/*",
  "",
];

export const ACCEPTS = [
  "application/json",
  "text/csv",
  "*/*",
  "text/csv;q=0.1, application/json",
  "text/html",
];

export const AUTH_HEADERS = {
  admin: `Bearer ${ADMIN}`,
  read: `Bearer ${READER}`,
  lowercaseScheme: `bearer ${ADMIN}`,
  extraSpaces: `Bearer    ${ADMIN}`,
  trailingJunk: `Bearer ${ADMIN} junk`,
  twoTokens: `Bearer ${ADMIN},Bearer ${ADMIN}`,
  basic: `Basic ${btoa(`admin:${ADMIN}`)}`,
  emptyBearer: "Bearer",
  prefixOnly: `Bearer ${ADMIN.slice(0, -1)}`,
  longer: `Bearer ${ADMIN}x`,
  huge: `Bearer ${"A".repeat(20_000)}`,
};
export type AuthKind = keyof typeof AUTH_HEADERS | "none";

/** A string JSON can carry but a URL cannot: lone surrogates become U+FFFD. */
export const wellFormed = (s: string) =>
  s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");

export const encode = (s: string) => encodeURIComponent(wellFormed(s));

// ---------------------------------------------------------------- requests

export type Body = { text: string } | { bytes: number[] } | null;

export interface Spec {
  method: string;
  /** Path and query, already encoded (or deliberately not). */
  url: string;
  auth: AuthKind;
  headers: Record<string, string>;
  body: Body;
}

export function toRequest(spec: Spec): Request {
  const headers = new Headers();
  if (spec.auth !== "none") headers.set("Authorization", AUTH_HEADERS[spec.auth]);
  for (const [name, value] of Object.entries(spec.headers)) headers.set(name, value);
  const method = spec.method;
  const bodyAllowed = !["GET", "HEAD"].includes(method.toUpperCase());
  let body: BodyInit | undefined;
  if (bodyAllowed && spec.body) {
    body = "text" in spec.body ? spec.body.text : new Uint8Array(spec.body.bytes);
  }
  return new Request(`https://connector.test${spec.url}`, { method, headers, body });
}

/** Raw JSON text with one key written twice (JSON.parse keeps the last). */
export function duplicateKeys(entries: [string, unknown][], repeat: [string, unknown]): string {
  const all = [...entries, repeat];
  return `{${all.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? "null"}`).join(",")}}`;
}

export const nestedArrays = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
export const nestedObjects = (depth: number, key = "label") =>
  `${`{"${key}":`.repeat(depth)}1${"}".repeat(depth)}`;

export function bytesOf(text: string): number[] {
  return [...new TextEncoder().encode(text)];
}

// ---------------------------------------------------------------- state and checks

const HTTP_ERROR_CODES = Object.keys(ERROR_STATUS).filter((c) => c !== "abandoned");

export interface Snapshot {
  counts: Record<string, number>;
  integrations: Record<string, unknown>[];
  runs: Record<string, unknown>[];
  kv: [string, string | null][];
}

/** Everything a request could store: row counts, integration and run rows, every KV entry. */
export async function snapshot(): Promise<Snapshot> {
  const [counts, integrations, runs] = await env.DB.batch<Record<string, any>>([
    env.DB.prepare(
      `SELECT (SELECT count(*) FROM integrations) AS integrations,
              (SELECT count(*) FROM user_accounts) AS user_accounts,
              (SELECT count(*) FROM sync_runs) AS sync_runs,
              (SELECT count(*) FROM events) AS events`,
    ),
    env.DB.prepare(
      `SELECT id, label, organization_name, account_id, enabled, status, token_kind, credential_key_id,
              token_expires_at, updated_at, last_sync_id, account_count FROM integrations ORDER BY id`,
    ),
    env.DB.prepare("SELECT id, status, lease_token FROM sync_runs ORDER BY id"),
  ]);
  const keys = await env.CREDENTIALS.list();
  const kv = await Promise.all(
    keys.keys.map(async (k) => [k.name, await env.CREDENTIALS.get(k.name)] as [string, string | null]),
  );
  return { counts: counts!.results[0]!, integrations: integrations!.results, runs: runs!.results, kv };
}

export interface Pools {
  integrationIds: string[];
  syncIds: string[];
  /** nextCursor values seen in answers, replayed against other queries. */
  cursors: string[];
}

export async function refreshPools(pools: Pools): Promise<void> {
  const [integrations, runs] = await env.DB.batch<{ id: string }>([
    env.DB.prepare("SELECT id FROM integrations ORDER BY created_at"),
    env.DB.prepare("SELECT id FROM sync_runs ORDER BY queued_at DESC LIMIT 20"),
  ]);
  pools.integrationIds = integrations!.results.map((r) => r.id);
  pools.syncIds = runs!.results.map((r) => r.id);
}

const SECRETS = secretValues();

/** The JSON object a request body holds, as the API parses it (duplicate keys: the last wins). */
function sentObject(body: Body): Record<string, unknown> | null {
  if (!body) return null;
  try {
    const text = "text" in body ? body.text : new TextDecoder().decode(new Uint8Array(body.bytes));
    const value = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/** How many answers of each status the suite saw, for the summary line. */
export const statusTally = new Map<number, number>();

export interface Outcome {
  status: number;
  method: string;
  text: string;
  json: any;
}

/** Asserts the exact error shape, and that the sync-only code `abandoned` never reaches HTTP. */
export function expectErrorShape(response: Response, text: string, where: string) {
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${where}: error body is not JSON`);
  }
  expectErrorBody(response.status, response.headers.get("Content-Type"), body, where);
  expect(HTTP_ERROR_CODES, where).toContain(body.error.code);
}

/**
 * Sends one request and checks every invariant. `state.baseline` is what D1 and KV held before;
 * a request may change it only by succeeding as a write. Returns what happened.
 */
export async function exercise(
  spec: Spec,
  state: { baseline: Snapshot; pools: Pools; extraSecrets: string[] },
): Promise<Outcome> {
  const request = toRequest(spec);
  const method = request.method;
  const response = await exports.default.fetch(request);
  const text = await response.text();
  const shownUrl = spec.url.length > 300 ? `${spec.url.slice(0, 300)}…` : spec.url;
  // Lone surrogates in a failure message would break the runner's channel back to Node.
  const sentBody = spec.body
    ? "text" in spec.body
      ? JSON.stringify(spec.body.text.slice(0, 120))
      : `${spec.body.bytes.length} bytes`
    : "none";
  const where = wellFormed(
    `${method} ${shownUrl} [auth ${spec.auth}, headers ${JSON.stringify(spec.headers)}, body ${sentBody}] → ${response.status} ${text.slice(0, 300)}`,
  );

  statusTally.set(response.status, (statusTally.get(response.status) ?? 0) + 1);
  let json: any = null;
  if (method !== "HEAD" && (response.headers.get("Content-Type") ?? "").startsWith("application/json")) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }

  // Bring the baseline up to date before asserting anything, so one failure does not cascade
  // into the next case (or into fast-check's shrinking runs).
  const write = response.status < 300 && method !== "GET" && method !== "HEAD";
  let changedBy: { before: Snapshot; now: Snapshot } | null = null;
  if (write) {
    // A successful write: let any sync it queued finish, then take the new state as the baseline.
    const runId: string | undefined =
      response.status === 201 ? json?.lastSync?.id : response.status === 202 ? json?.id : undefined;
    if (runId) await waitForRun(runId);
    state.baseline = await snapshot();
    await refreshPools(state.pools);
  } else {
    const now = await snapshot();
    if (JSON.stringify(now) !== JSON.stringify(state.baseline)) changedBy = { before: state.baseline, now };
    state.baseline = now;
  }

  expect(response.status, `server error: ${where}`).toBeLessThan(500);
  expect(json, `answer declared as JSON does not parse: ${where}`).not.toBeUndefined();
  for (const secret of [...SECRETS, ...state.extraSecrets]) {
    expect(text.includes(secret), `a secret appears in the answer: ${where}`).toBe(false);
  }
  if (method === "HEAD") expect(text, where).toBe("");
  else if (response.status >= 400) expectErrorShape(response, text, where);
  if (changedBy) {
    expect(changedBy.now, `a refused or read-only request changed stored data: ${where}`).toEqual(
      changedBy.before,
    );
  }
  if (typeof json?.nextCursor === "string" && state.pools.cursors.length < 50) {
    state.pools.cursors.push(json.nextCursor);
  }

  // What a successful write answers is what was sent: the label (trimmed) and the enabled flag.
  const sent = write ? sentObject(spec.body) : null;
  if (json && sent && /^\/v1\/integrations(\/[^/?]+)?(\?|$)/.test(spec.url)) {
    // Compared as JSON text, which spells lone surrogates as escapes.
    if (typeof sent.label === "string") {
      expect(JSON.stringify(json.label), where).toBe(JSON.stringify(sent.label.trim()));
    }
    if (typeof sent.enabled === "boolean") expect(json.enabled, where).toBe(sent.enabled);
  }
  return { status: response.status, method, text, json };
}
