/**
 * Connecting integrations and running their syncs: through the live local queue (\`connect\`,
 * \`waitForRun\`), or one queue message at a time by hand (\`startSync\`, \`deliver\`), and reading
 * what a sync stored straight from D1.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { expect } from "vitest";
import worker from "../../src/index";
import type { QueueMessage, SyncMessage } from "../../src/sync/enqueue";
import { api, callWorker, type EnvOverrides, modifiedEnv } from "./api";

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

/** A stand-in SYNC_QUEUE that keeps the messages instead of delivering them to the consumer. */
export function capturingQueue() {
  const messages: SyncMessage[] = [];
  const queue = {
    send: async (body: QueueMessage) => {
      messages.push(body as SyncMessage);
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
  message: QueueMessage,
  { attempts = 1, queue = "connector-sync" }: { attempts?: number; queue?: string } = {},
) {
  const key = "runId" in message ? message.runId : message.kind;
  const batch = createMessageBatch<QueueMessage>(queue, [
    { id: `msg-${key}-${attempts}`, timestamp: new Date(), attempts, body: message },
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

/** POST /v1/integrations/{id}/sync, with the message captured instead of delivered. */
export async function startSync(integrationId: string): Promise<SyncMessage> {
  const { queue, messages } = capturingQueue();
  const started = await callWorker({ SYNC_QUEUE: queue }, "POST", `/v1/integrations/${integrationId}/sync`);
  expect(started.status, started.text).toBe(202);
  expect(messages).toHaveLength(1);
  expect(messages[0]!.runId).toBe(started.body.id);
  return messages[0]!;
}

export interface Delivery {
  acked: boolean;
  retried: boolean;
  /** delaySeconds of each retry the handler asked for. */
  delays: (number | undefined)[];
}

/** Runs one queue message through the Worker's queue handler, as delivery number `attempts`. */
export async function deliver(
  message: SyncMessage,
  attempts = 1,
  overrides: EnvOverrides = {},
): Promise<Delivery> {
  const result = await runQueueMessage(overrides, message, { attempts });
  return {
    acked: result.explicitAcks.length > 0 || result.ackAll,
    retried: result.retryMessages.length > 0 || result.retryBatch.retry,
    delays: result.delays,
  };
}

export async function runOf(runId: string) {
  const response = await api("GET", `/v1/syncs/${runId}`);
  expect(response.status, response.text).toBe(200);
  return response.body;
}

export const runRow = (runId: string) =>
  env.DB.prepare("SELECT * FROM sync_runs WHERE id = ?").bind(runId).first<Record<string, any>>();

/**
 * Counts every insert into and update of user_accounts from now on (a test-only table and two
 * triggers), so a test can assert that a sync wrote no member rows. Call once per file, in beforeAll.
 */
export async function countMemberWrites(): Promise<void> {
  await env.DB.batch([
    env.DB.prepare("CREATE TABLE IF NOT EXISTS test_member_writes (n INTEGER NOT NULL)"),
    env.DB.prepare(
      "INSERT INTO test_member_writes (n) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM test_member_writes)",
    ),
    env.DB.prepare(
      "CREATE TRIGGER IF NOT EXISTS test_count_inserts AFTER INSERT ON user_accounts BEGIN UPDATE test_member_writes SET n = n + 1; END",
    ),
    env.DB.prepare(
      "CREATE TRIGGER IF NOT EXISTS test_count_updates AFTER UPDATE ON user_accounts BEGIN UPDATE test_member_writes SET n = n + 1; END",
    ),
  ]);
}

/** user_accounts rows inserted or updated since countMemberWrites(). */
export const memberWrites = async () =>
  (await env.DB.prepare("SELECT n FROM test_member_writes").first<{ n: number }>())!.n;
