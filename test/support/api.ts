/**
 * Calling the Worker the way a client does: through the running Worker (\`api\`), or through its
 * fetch handler with a modified environment (\`callWorker\`). Every response body a test receives
 * is recorded, so leak checks can search all of them.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import worker from "../../src/index";
import { TEST_SECRETS } from "./constants";

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

export type EnvOverrides = Partial<
  Record<
    | keyof Env
    | "API_TOKEN"
    | "API_READ_TOKENS"
    | "ENCRYPTION_KEYS"
    | "STALE_INVITATION_DAYS"
    | "MAX_SUPER_ADMINS"
    | "ACCESS_TEAM_DOMAIN"
    | "ACCESS_AUD"
    | "ACCESS_ADMIN_EMAILS"
    | "STAGED_SYNC_MIN_PAGES"
    | "STAGED_SYNC_PAGES_PER_INVOCATION"
    | "STAGED_SYNC_DIFF_CHUNK",
    unknown
  >
>;

/** The test environment with some bindings replaced (undefined removes a setting). */
export function modifiedEnv(overrides: EnvOverrides): Env {
  return { ...env, ...overrides } as Env;
}

/**
 * Calls the Worker's fetch handler directly with a modified environment, the way the runtime
 * would if the secrets were set differently. Response bodies are recorded like `api()` does.
 */
export async function callWorker<T = any>(
  overrides: EnvOverrides,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<ApiResponse<T>> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(buildRequest(method, path, options), modifiedEnv(overrides), ctx);
  await waitOnExecutionContext(ctx);
  return readResponse<T>(response);
}
