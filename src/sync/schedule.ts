/**
 * The Cron Trigger's work (docs/sync.md#triggers): fail runs that got stuck, open sync_stale findings
 * (docs/findings.md), queue one sync per enabled integration, and prune history older than
 * RETENTION_DAYS (and roster uploads that died while staging). Each step is bounded so a tick fits one invocation however many integrations
 * there are.
 */
import type { Config } from "../config";
import { CRON_INTERVAL_MINUTES, SYNC_STALE_INTERVALS } from "../domain/finding";
import { log } from "../lib/log";
import { staleSyncFindingStatement } from "../store/findings";
import { listEnabledIntegrationIds } from "../store/integrations";
import { pruneHistory } from "../store/retention";
import { purgeOldRosters } from "../store/roster";
import { abandonStuckRuns, takeOverdueStagedRuns } from "../store/sync-runs";
import { discardInactiveStaging } from "../store/sync-staging";
import { enqueueSyncs, QUEUE_SEND_BATCH_MAX, type SyncMessage } from "./enqueue";
import { LEASE_MS } from "./run";
import { type WebhookMessage, wakeWebhooks } from "./webhooks";

/** A run still queued after this long lost its message (it ran out of retries or was dropped). */
export const QUEUED_ABANDON_MS = 60 * 60_000;
/** A running run whose lease expired this long ago is not coming back (redelivery would have taken it). */
export const RUNNING_ABANDON_GRACE_MS = 5 * 60_000;
/** A staged run resumes after crashes and lost messages; one this old is given up (docs/sync.md#staged-sync). */
export const STAGED_ABANDON_MS = 24 * 60 * 60_000;
/** A staged run's continuation this late (or its attempt's lease this long expired) lost its message. */
export const CONTINUATION_GRACE_MS = 2 * 60_000;
/** Staging rows of each finished run deleted per tick and table, in statements of DISCARD_BATCH. */
const STAGING_DISCARD_BATCHES = 20;
/** Integration ids read per D1 query during fan-out. */
const FAN_OUT_PAGE = 1_000;

export interface ScheduleDeps {
  db: D1Database;
  queue: Queue<SyncMessage>;
  /** Optional so a deployment without webhooks configured still ticks. */
  webhookQueue?: Queue<WebhookMessage>;
  config: Config;
}

export async function runScheduledTick(deps: ScheduleDeps, now = Date.now()) {
  const abandoned = await abandonStuckRuns(
    deps.db,
    now,
    new Date(now - QUEUED_ABANDON_MS).toISOString(),
    now - RUNNING_ABANDON_GRACE_MS,
    new Date(now - STAGED_ABANDON_MS).toISOString(),
  );
  const resumed = await resumeOverdueStagedRuns(deps, now);
  // After abandoning, so a run failed just now counts; before queueing, which changes no outcome.
  await staleSyncFindingStatement(
    deps.db,
    new Date(now).toISOString(),
    new Date(now - SYNC_STALE_INTERVALS * CRON_INTERVAL_MINUTES * 60_000).toISOString(),
  ).run();

  const { queued, skipped } = await queueEnabledIntegrations(deps);

  // Endpoints with events no message is carrying (a send lost after a commit, a retry whose
  // message ran out): woken here, so nothing waits longer than one tick.
  const webhooksWoken = deps.webhookQueue ? await wakeWebhooks(deps.db, deps.webhookQueue, now) : 0;

  const pruned = await pruneHistory(
    deps.db,
    new Date(now - deps.config.retentionDays * 86_400_000).toISOString(),
  );
  // Normally done by the roster findings job; here for uploads that died while staging.
  const rosterRowsPurged = await purgeOldRosters(deps.db, now);
  // Normally done by the run itself after its switch; here for runs that died or were abandoned.
  const stagingRowsDiscarded = await discardInactiveStaging(deps.db, null, STAGING_DISCARD_BATCHES);
  log("info", "cron_tick", {
    queued,
    alreadyActive: skipped,
    abandoned,
    resumed,
    webhooksWoken,
    pruned,
    rosterRowsPurged,
    stagingRowsDiscarded,
    leaseMs: LEASE_MS,
  });
  return {
    queued,
    skipped,
    abandoned,
    resumed,
    webhooksWoken,
    pruned,
    rosterRowsPurged,
    stagingRowsDiscarded,
  };
}

/** One cron run per enabled integration that is not busy, FAN_OUT_PAGE ids per D1 query. */
async function queueEnabledIntegrations(deps: ScheduleDeps): Promise<{ queued: number; skipped: number }> {
  let queued = 0;
  let skipped = 0;
  let after = "";
  for (;;) {
    const ids = await listEnabledIntegrationIds(deps.db, after, FAN_OUT_PAGE);
    if (ids.length === 0) break;
    const runs = await enqueueSyncs(deps.db, deps.queue, ids, "cron");
    queued += runs.length;
    skipped += ids.length - runs.length;
    after = ids[ids.length - 1]!;
  }
  return { queued, skipped };
}

/**
 * Staged runs whose continuation is overdue get a new message: a lost message or a dead attempt
 * costs one tick, never the pages already listed (docs/sync.md#continuation).
 */
async function resumeOverdueStagedRuns(deps: ScheduleDeps, now: number): Promise<number> {
  const overdue = await takeOverdueStagedRuns(deps.db, now, CONTINUATION_GRACE_MS);
  for (let i = 0; i < overdue.length; i += QUEUE_SEND_BATCH_MAX) {
    await deps.queue.sendBatch(overdue.slice(i, i + QUEUE_SEND_BATCH_MAX).map((body) => ({ body })));
  }
  return overdue.length;
}
