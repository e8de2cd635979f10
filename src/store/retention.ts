/**
 * Retention (docs/sync.md#retention): sync runs, events, user accounts and API tokens removed
 * before the cutoff, findings resolved before it, finding events and webhook deliveries older than
 * it, and webhook outbox rows every endpoint is past (docs/webhooks.md#storage) are deleted in
 * bounded batches, so D1 does not grow without limit and no single statement runs long.
 */

/** Rows deleted per statement, and statements per tick: 5 × 1,000 rows per table per tick. */
export const PRUNE_BATCH = 1_000;
export const PRUNE_MAX_BATCHES = 5;

export interface PruneCounts {
  syncRuns: number;
  events: number;
  userAccounts: number;
  apiTokens: number;
  findings: number;
  findingEvents: number;
  webhookDeliveries: number;
  webhookOutbox: number;
}

/** Webhook deliveries by age; outbox rows every endpoint is past (docs/webhooks.md#storage). */
function webhookPruneStatements(
  db: D1Database,
  cutoffIso: string,
): Pick<Record<keyof PruneCounts, D1PreparedStatement>, "webhookDeliveries" | "webhookOutbox"> {
  return {
    webhookDeliveries: db
      .prepare(
        `DELETE FROM webhook_deliveries WHERE ordinal IN (
           SELECT ordinal FROM webhook_deliveries WHERE attempted_at < ?1 LIMIT ?2)`,
      )
      .bind(cutoffIso, PRUNE_BATCH),
    // Rows no enabled endpoint will read again (a disabled one restarts after the newest row when
    // turned back on), and any row older than the cutoff.
    webhookOutbox: db
      .prepare(
        `DELETE FROM webhook_outbox WHERE seq IN (
           SELECT seq FROM webhook_outbox
            WHERE seq <= (SELECT COALESCE(MIN(cursor_seq), 9223372036854775807) FROM webhook_endpoints WHERE enabled = 1)
               OR created_at < ?1
            LIMIT ?2)`,
      )
      .bind(cutoffIso, PRUNE_BATCH),
  };
}

/** One bounded DELETE per kind of history, each run until it deletes less than a batch. */
function pruneStatements(db: D1Database, cutoffIso: string): Record<keyof PruneCounts, D1PreparedStatement> {
  return {
    // The latest run of each integration is kept: it is the integration's lastSync.
    syncRuns: db
      .prepare(
        `DELETE FROM sync_runs WHERE id IN (
           SELECT id FROM sync_runs
            WHERE queued_at < ?1 AND status IN ('succeeded', 'failed')
              AND id NOT IN (SELECT last_sync_id FROM integrations WHERE last_sync_id IS NOT NULL)
            LIMIT ?2)`,
      )
      .bind(cutoffIso, PRUNE_BATCH),
    // One primary-key range per integration: events have no index on time alone.
    events: db
      .prepare(
        `DELETE FROM events WHERE (integration_id, occurred_at, ordinal) IN (
           SELECT e.integration_id, e.occurred_at, e.ordinal
             FROM integrations i CROSS JOIN events e ON e.integration_id = i.id AND e.occurred_at < ?1 LIMIT ?2)`,
      )
      .bind(cutoffIso, PRUNE_BATCH),
    userAccounts: db
      .prepare(
        `DELETE FROM user_accounts WHERE (integration_id, id) IN (
           SELECT integration_id, id FROM user_accounts WHERE removed_at IS NOT NULL AND removed_at < ?1 LIMIT ?2)`,
      )
      .bind(cutoffIso, PRUNE_BATCH),
    apiTokens: db
      .prepare(
        `DELETE FROM api_tokens WHERE (integration_id, id) IN (
           SELECT integration_id, id FROM api_tokens WHERE removed_at IS NOT NULL AND removed_at < ?1 LIMIT ?2)`,
      )
      .bind(cutoffIso, PRUNE_BATCH),
    // Open findings stay however old; a pruned one that comes back opens as a new row.
    findings: db
      .prepare(
        `DELETE FROM findings WHERE id IN (
           SELECT id FROM findings WHERE status = 'resolved' AND resolved_at < ?1 LIMIT ?2)`,
      )
      .bind(cutoffIso, PRUNE_BATCH),
    findingEvents: db
      .prepare(
        `DELETE FROM finding_events WHERE ordinal IN (
           SELECT ordinal FROM finding_events WHERE occurred_at < ?1 LIMIT ?2)`,
      )
      .bind(cutoffIso, PRUNE_BATCH),
    ...webhookPruneStatements(db, cutoffIso),
  };
}

export async function pruneHistory(db: D1Database, cutoffIso: string): Promise<PruneCounts> {
  const counts: PruneCounts = {
    syncRuns: 0,
    events: 0,
    userAccounts: 0,
    apiTokens: 0,
    findings: 0,
    findingEvents: 0,
    webhookDeliveries: 0,
    webhookOutbox: 0,
  };
  const statements = pruneStatements(db, cutoffIso);
  for (const key of Object.keys(statements) as (keyof PruneCounts)[]) {
    for (let i = 0; i < PRUNE_MAX_BATCHES; i++) {
      const result = await statements[key].run();
      counts[key] += result.meta.changes;
      if (result.meta.changes < PRUNE_BATCH) break;
    }
  }
  return counts;
}
