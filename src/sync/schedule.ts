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
import { abandonStuckRuns } from "../store/sync-runs";
import { enqueueSyncs, type SyncMessage } from "./enqueue";
import { LEASE_MS } from "./run";
import { type WebhookMessage, wakeWebhooks } from "./webhooks";

/** A run still queued after this long lost its message (it ran out of retries or was dropped). */
export const QUEUED_ABANDON_MS = 60 * 60_000;
/** A running run whose lease expired this long ago is not coming back (redelivery would have taken it). */
export const RUNNING_ABANDON_GRACE_MS = 5 * 60_000;
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
  );
  // After abandoning, so a run failed just now counts; before queueing, which changes no outcome.
  await staleSyncFindingStatement(
    deps.db,
    new Date(now).toISOString(),
    new Date(now - SYNC_STALE_INTERVALS * CRON_INTERVAL_MINUTES * 60_000).toISOString(),
  ).run();

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

  // Endpoints with events no message is carrying (a send lost after a commit, a retry whose
  // message ran out): woken here, so nothing waits longer than one tick.
  const webhooksWoken = deps.webhookQueue ? await wakeWebhooks(deps.db, deps.webhookQueue, now) : 0;

  const pruned = await pruneHistory(
    deps.db,
    new Date(now - deps.config.retentionDays * 86_400_000).toISOString(),
  );
  // Normally done by the roster findings job; here for uploads that died while staging.
  const rosterRowsPurged = await purgeOldRosters(deps.db, now);
  log("info", "cron_tick", {
    queued,
    alreadyActive: skipped,
    abandoned,
    webhooksWoken,
    pruned,
    rosterRowsPurged,
    leaseMs: LEASE_MS,
  });
  return { queued, skipped, abandoned, webhooksWoken, pruned, rosterRowsPurged };
}
