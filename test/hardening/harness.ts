/**
 * Helpers for the hardening tests: start a sync through the API without letting the live queue
 * run it, deliver its message by hand (recording ack/retry and the retry delay), read what an API
 * consumer is served, and inject D1 errors with test-only SQLite triggers.
 */
import { env } from "cloudflare:test";
import { walkPages } from "../support/api";

/** Every page of GET /v1/integrations/{id}/accounts?includeRemoved=true, as a consumer reads it. */
export async function servedList(integrationId: string): Promise<any[]> {
  return (await walkPages(`/v1/integrations/${integrationId}/accounts?includeRemoved=true`, 50)).rows;
}

/** Every event of the integration's change feed, following nextCursor. */
export async function servedEvents(integrationId: string): Promise<any[]> {
  return (await walkPages(`/v1/integrations/${integrationId}/events`, 500)).rows;
}

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
