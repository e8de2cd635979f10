// Retention (docs/sync.md#retention) on both sides of every boundary: rows older than the cutoff
// go; rows at or after it stay, and so do an integration's latest run and unfinished runs however
// old, and members that are still current or were removed recently.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { pruneHistory } from "../../src/store/retention";

const CUTOFF = Date.parse("2025-06-01T00:00:00.000Z");
const at = (offsetMs: number) => new Date(CUTOFF + offsetMs).toISOString();
const BEFORE = at(-1_000);
const AFTER = at(1_000);
const LONG_AGO = at(-365 * 86_400_000);

const ids = { a: crypto.randomUUID(), b: crypto.randomUUID() };

function integration(id: string, lastSyncId: string) {
  return env.DB.prepare(
    `INSERT INTO integrations (id, label, organization_name, account_id, token_kind, credential_key_id, created_at, updated_at, last_sync_id)
     VALUES (?, 'Retention', 'Org', ?, 'user', 'k2', ?, ?, ?)`,
  ).bind(id, crypto.randomUUID().replace(/-/g, ""), LONG_AGO, LONG_AGO, lastSyncId);
}

function run(id: string, integrationId: string, queuedAt: string, status = "succeeded") {
  return env.DB.prepare(
    "INSERT INTO sync_runs (id, integration_id, trigger, status, queued_at, finished_at) VALUES (?, ?, 'cron', ?, ?, ?)",
  ).bind(id, integrationId, status, queuedAt, status === "succeeded" ? queuedAt : null);
}

function event(id: string, occurredAt: string) {
  return env.DB.prepare(
    "INSERT INTO events (integration_id, occurred_at, ordinal, id, type, account_id, email, sync_id) VALUES (?, ?, 0, ?, 'account.added', 'm', 'm@example.com', 'run')",
  ).bind(ids.a, occurredAt, id);
}

function member(id: string, removedAt: string | null) {
  return env.DB.prepare(
    "INSERT INTO user_accounts (integration_id, id, email, status, first_seen_at, last_seen_at, removed_at) VALUES (?, ?, ?, 'accepted', ?, ?, ?)",
  ).bind(ids.a, id, `${id}@example.com`, LONG_AGO, removedAt ?? AFTER, removedAt);
}

function apiToken(id: string, removedAt: string | null) {
  return env.DB.prepare(
    "INSERT INTO api_tokens (integration_id, id, name, status, first_seen_at, removed_at) VALUES (?, ?, ?, 'active', ?, ?)",
  ).bind(ids.a, id, id, LONG_AGO, removedAt);
}

/** A finding (its insert writes a finding.opened event at openedAt, through the trigger). */
function finding(id: string, openedAt: string, resolvedAt: string | null) {
  return env.DB.prepare(
    `INSERT INTO findings (id, integration_id, type, severity, subject_kind, subject_id, title, detail, remediation,
       status, opened_at, resolved_at)
     VALUES (?, ?, 'api_token_stale', 'low', 'api_token', ?, 't', 'd', 'r', ?, ?, ?)`,
  ).bind(id, ids.a, id, resolvedAt ? "resolved" : "open", openedAt, resolvedAt);
}

const exists = async (table: string, where: string, ...values: unknown[]) =>
  (await env.DB.prepare(`SELECT 1 FROM ${table} WHERE ${where}`)
    .bind(...values)
    .first()) !== null;

beforeAll(async () => {
  await env.DB.batch([
    // a's latest run is old; b's only run is old too: both are their integration's lastSync.
    integration(ids.a, "a-latest-old"),
    integration(ids.b, "b-only-old"),
    run("a-latest-old", ids.a, LONG_AGO),
    run("b-only-old", ids.b, LONG_AGO),
    run("a-before", ids.a, BEFORE),
    run("a-failed-before", ids.a, BEFORE, "failed"),
    run("a-at-cutoff", ids.a, at(0)),
    run("a-after", ids.a, AFTER),
    run("a-queued-before", ids.a, BEFORE, "queued"),
    run("a-running-before", ids.a, BEFORE, "running"),
    event("e-before", BEFORE),
    event("e-at-cutoff", at(0)),
    event("e-after", AFTER),
    member("removed-before", BEFORE),
    member("removed-at-cutoff", at(0)),
    member("removed-after", AFTER),
    member("current-since-long-ago", null),
    apiToken("token-removed-before", BEFORE),
    apiToken("token-removed-at-cutoff", at(0)),
    apiToken("token-current", null),
    finding("f-resolved-before", LONG_AGO, BEFORE),
    finding("f-resolved-at-cutoff", LONG_AGO, at(0)),
    finding("f-open-since-long-ago", LONG_AGO, null),
    finding("f-opened-at-cutoff", at(0), null),
  ]);
  await pruneHistory(env.DB, at(0));
});

describe("retention", () => {
  it("deletes finished runs queued before the cutoff and keeps those at or after it", async () => {
    expect(await exists("sync_runs", "id = ?", "a-before")).toBe(false);
    expect(await exists("sync_runs", "id = ?", "a-failed-before")).toBe(false);
    expect(await exists("sync_runs", "id = ?", "a-at-cutoff")).toBe(true);
    expect(await exists("sync_runs", "id = ?", "a-after")).toBe(true);
  });

  it("keeps each integration's latest run, however old", async () => {
    expect(await exists("sync_runs", "id = ?", "a-latest-old")).toBe(true);
    expect(await exists("sync_runs", "id = ?", "b-only-old")).toBe(true);
  });

  it("keeps runs that have not finished, however old (abandoning them is another step's job)", async () => {
    expect(await exists("sync_runs", "id = ?", "a-queued-before")).toBe(true);
    expect(await exists("sync_runs", "id = ?", "a-running-before")).toBe(true);
  });

  it("deletes events before the cutoff and keeps those at or after it", async () => {
    expect(await exists("events", "integration_id = ? AND id = ?", ids.a, "e-before")).toBe(false);
    expect(await exists("events", "integration_id = ? AND id = ?", ids.a, "e-at-cutoff")).toBe(true);
    expect(await exists("events", "integration_id = ? AND id = ?", ids.a, "e-after")).toBe(true);
  });

  it("deletes members removed before the cutoff and keeps recently removed and current ones", async () => {
    const has = (id: string) => exists("user_accounts", "integration_id = ? AND id = ?", ids.a, id);
    expect(await has("removed-before")).toBe(false);
    expect(await has("removed-at-cutoff")).toBe(true);
    expect(await has("removed-after")).toBe(true);
    expect(await has("current-since-long-ago")).toBe(true);
  });

  it("deletes API tokens removed before the cutoff and keeps recently removed and current ones", async () => {
    const has = (id: string) => exists("api_tokens", "integration_id = ? AND id = ?", ids.a, id);
    expect(await has("token-removed-before")).toBe(false);
    expect(await has("token-removed-at-cutoff")).toBe(true);
    expect(await has("token-current")).toBe(true);
  });

  it("deletes findings resolved before the cutoff and keeps open and recently resolved ones", async () => {
    const has = (id: string) => exists("findings", "id = ?", id);
    expect(await has("f-resolved-before")).toBe(false);
    expect(await has("f-resolved-at-cutoff")).toBe(true);
    expect(await has("f-open-since-long-ago")).toBe(true);
  });

  it("deletes finding events older than the cutoff and keeps those at or after it", async () => {
    const has = (id: string) => exists("finding_events", "finding_id = ?", id);
    expect(await has("f-open-since-long-ago")).toBe(false);
    expect(await has("f-opened-at-cutoff")).toBe(true);
  });
});
