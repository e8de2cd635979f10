/**
 * Starting syncs (docs/sync.md#triggers): a queued SyncRun row per integration (created only when
 * its latest run has finished), then one queue message per run.
 */
import { nowIso } from "../lib/time";
import { createQueuedRuns, failUnsentRuns, type QueuedRun, type SyncTrigger } from "../store/sync-runs";

/** The queue message: which run of which integration to execute. */
export interface SyncMessage {
  runId: string;
  integrationId: string;
  /** Members the account had when connected: lets a first sync request its first pages together. */
  expectedMembers?: number;
}

/** Recompute every integration's roster findings after the roster changed (docs/people.md). */
export interface RosterFindingsMessage {
  kind: "roster_findings";
  requestedAt: string;
}

/** Everything the queue carries: a sync run, or a roster findings recomputation. */
export type QueueMessage = SyncMessage | RosterFindingsMessage;

export const isRosterFindingsMessage = (m: QueueMessage): m is RosterFindingsMessage =>
  "kind" in m && m.kind === "roster_findings";

/** Name of the dead-letter queue (wrangler.jsonc): its messages are runs that ran out of retries. */
export const DEAD_LETTER_QUEUE = "connector-sync-dlq";

/** Queues: sendBatch takes at most 100 messages. */
export const QUEUE_SEND_BATCH_MAX = 100;

/**
 * Creates queued runs for the given integrations (skipping those with a run already queued or
 * running) and sends their messages. Returns the runs created, in input order.
 */
export async function enqueueSyncs(
  db: D1Database,
  queue: Queue<SyncMessage>,
  integrationIds: string[],
  trigger: SyncTrigger,
  expectedMembers: ReadonlyMap<string, number> = new Map(),
): Promise<QueuedRun[]> {
  const queued: QueuedRun[] = [];
  for (let i = 0; i < integrationIds.length; i += QUEUE_SEND_BATCH_MAX) {
    const queuedAt = nowIso();
    const chunk = integrationIds.slice(i, i + QUEUE_SEND_BATCH_MAX);
    const created = await createQueuedRuns(
      db,
      chunk.map((integrationId) => ({ runId: crypto.randomUUID(), integrationId, queuedAt })),
      trigger,
    );
    if (created.length === 0) continue;
    try {
      await queue.sendBatch(created.map((run) => ({ body: messageFor(run, expectedMembers) })));
    } catch (e) {
      // Without a message the runs would sit queued until abandoned; fail them now instead.
      await failUnsentRuns(
        db,
        created.map((run) => run.runId),
        nowIso(),
      );
      throw e;
    }
    queued.push(...created);
  }
  return queued;
}

function messageFor(run: QueuedRun, expectedMembers: ReadonlyMap<string, number>): SyncMessage {
  const body: SyncMessage = { runId: run.runId, integrationId: run.integrationId };
  const expected = expectedMembers.get(run.integrationId);
  if (expected !== undefined) body.expectedMembers = expected;
  return body;
}
