/**
 * Extra helpers for the foundation tests: call the Worker's handlers directly with a modified
 * environment (missing or different secrets), run one queue message by hand, and assert the
 * exact SPEC §3 error shape.
 */
import {
  createExecutionContext,
  createMessageBatch,
  env,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { expect } from "vitest";
import worker from "../src/index";
import type { SyncMessage } from "../src/sync/enqueue";
import { TEST_SECRETS } from "./constants";
import { type ApiResponse, buildRequest, type RequestOptions, readResponse } from "./helpers";

/** The two keys of the test keyring, each as a one-entry ENCRYPTION_KEYS value. */
export const [KEY_K2, KEY_K1] = TEST_SECRETS.ENCRYPTION_KEYS.split(",") as [string, string];

/** Every secret value the Worker knows in tests, including each key's base64 material alone. */
export function secretValues(): string[] {
  const values = new Set<string>([TEST_SECRETS.API_TOKEN, TEST_SECRETS.ENCRYPTION_KEYS]);
  for (const token of TEST_SECRETS.API_READ_TOKENS.split(",")) values.add(token);
  for (const entry of TEST_SECRETS.ENCRYPTION_KEYS.split(",")) {
    values.add(entry);
    values.add(entry.slice(entry.indexOf(":") + 1));
  }
  return [...values];
}

export type EnvOverrides = Partial<
  Record<keyof Env | "API_TOKEN" | "API_READ_TOKENS" | "ENCRYPTION_KEYS", unknown>
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

/** A stand-in SYNC_QUEUE that keeps the messages instead of delivering them to the consumer. */
export function capturingQueue() {
  const messages: SyncMessage[] = [];
  const queue = {
    send: async (body: SyncMessage) => {
      messages.push(body);
    },
    sendBatch: async (batch: Iterable<{ body: SyncMessage }>) => {
      for (const m of batch) messages.push(m.body);
    },
  };
  return { queue, messages };
}

/**
 * Runs one sync message through the Worker's queue handler with a modified environment, as
 * delivery number `attempts` (message id `msg-<runId>-<attempts>`) from queue `queue`. Also
 * returns the delaySeconds of each retry the handler asked for, which getQueueResult does not.
 */
export async function runQueueMessage(
  overrides: EnvOverrides,
  message: SyncMessage,
  { attempts = 1, queue = "connector-sync" }: { attempts?: number; queue?: string } = {},
) {
  const batch = createMessageBatch<SyncMessage>(queue, [
    { id: `msg-${message.runId}-${attempts}`, timestamp: new Date(), attempts, body: message },
  ]);
  const delays: (number | undefined)[] = [];
  for (const m of batch.messages) {
    const retry = m.retry.bind(m);
    m.retry = (options?: QueueRetryOptions) => {
      delays.push(options?.delaySeconds);
      retry(options);
    };
  }
  const ctx = createExecutionContext();
  await worker.queue(batch, modifiedEnv(overrides), ctx);
  return { ...(await getQueueResult(batch, ctx)), delays };
}

/** Asserts the status and that the body is exactly `{error:{code,message,details}}`. */
export function expectExactError(response: ApiResponse, status: number, code: string) {
  expect({ status: response.status, code: response.body?.error?.code }, response.text).toEqual({
    status,
    code,
  });
  expect(response.headers.get("Content-Type") ?? "").toMatch(/^application\/json/);
  expect(Object.keys(response.body)).toEqual(["error"]);
  expect(Object.keys(response.body.error).sort()).toEqual(["code", "details", "message"]);
  const error = response.body.error as {
    code: string;
    message: string;
    details: { path: string; message: string }[];
  };
  expect(typeof error.message).toBe("string");
  expect(error.message.length).toBeGreaterThan(0);
  expect(Array.isArray(error.details)).toBe(true);
  for (const detail of error.details) {
    expect(Object.keys(detail).sort()).toEqual(["message", "path"]);
    expect(typeof detail.path).toBe("string");
    expect(typeof detail.message).toBe("string");
  }
  return error;
}

/** A 40-character legacy (unprefixed) token value, unique per call. */
export function legacyTokenValue(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(40));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

/** Every route the Worker serves, as "METHOD /path" with OpenAPI path parameters; /openapi.json must list each. */
export const DOCUMENTED_ROUTES = [
  "POST /v1/integrations",
  "GET /v1/integrations",
  "GET /v1/integrations/{id}",
  "PATCH /v1/integrations/{id}",
  "DELETE /v1/integrations/{id}",
  "POST /v1/integrations/{id}/sync",
  "GET /v1/integrations/{id}/syncs",
  "GET /v1/syncs/{syncId}",
  "GET /v1/integrations/{id}/events",
  "GET /v1/integrations/{id}/accounts",
  "GET /v1/accounts",
  "POST /v1/admin/rotate-credentials",
  "GET /health",
  "GET /openapi.json",
  "GET /docs",
] as const;
