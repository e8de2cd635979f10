/**
 * Helpers for the hardening tests: start a sync through the API without letting the live queue
 * run it, deliver its message by hand (recording ack/retry and the retry delay), read what an API
 * consumer is served, and inject D1 errors with test-only SQLite triggers.
 */
import { env } from "cloudflare:test";
import { expect } from "vitest";
import type { SyncMessage } from "../../src/sync/enqueue";
import { api, walkPages } from "../helpers";
import { callWorker, capturingQueue, type EnvOverrides, runQueueMessage } from "../support";

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

/** Every page of GET /v1/integrations/{id}/accounts?includeRemoved=true, as a consumer reads it. */
export async function servedList(integrationId: string): Promise<any[]> {
  return (await walkPages(`/v1/integrations/${integrationId}/accounts?includeRemoved=true`, 50)).rows;
}

/** Every event of the integration's change feed, following nextCursor. */
export async function servedEvents(integrationId: string): Promise<any[]> {
  return (await walkPages(`/v1/integrations/${integrationId}/events`, 500)).rows;
}

export async function runOf(runId: string) {
  const response = await api("GET", `/v1/syncs/${runId}`);
  expect(response.status, response.text).toBe(200);
  return response.body;
}

export const runRow = (runId: string) =>
  env.DB.prepare("SELECT * FROM sync_runs WHERE id = ?").bind(runId).first<Record<string, any>>();

/** SQL string literal (ids here are UUIDs, but quote properly anyway). */
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * A test-only trigger that makes matching writes fail with "injected", the way a D1 error would.
 * `when` is an SQL condition over NEW/OLD; returns a function that drops the trigger.
 */
export async function injectD1Error(
  table: string,
  event: "INSERT" | "UPDATE",
  when: string,
): Promise<() => Promise<void>> {
  const name = `test_fault_${crypto.randomUUID().replace(/-/g, "")}`;
  await env.DB.prepare(
    `CREATE TRIGGER ${name} BEFORE ${event} ON ${table} WHEN ${when} BEGIN SELECT RAISE(ABORT, 'injected'); END`,
  ).run();
  return async () => {
    await env.DB.prepare(`DROP TRIGGER IF EXISTS ${name}`).run();
  };
}

export const sql = { literal };
