/**
 * The diff of a staged sync (docs/sync.md#staged-sync): the staged listing and the stored rows
 * walked together in id order, STAGED_SYNC_DIFF_CHUNK members at a time, through the same MemberDiffer
 * as a sync held in memory; each chunk's rows to write and events go to sync_staged_writes, for the
 * switch to apply set-wise. Memory: one chunk of each list, never the account.
 */
import { assignActors, type MembershipChange } from "../domain/audit";
import type { MemberDiff } from "../domain/diff";
import { eventsFromDiff } from "../domain/event";
import { eventRow } from "../store/events";
import type { SyncCounts } from "../store/sync-runs";
import { leaseGuardStatement, readStagedChunk, stageWriteStatements } from "../store/sync-staging";
import { forEachStoredPage } from "../store/user-accounts-read";
import { STORED_PAGE_ROWS } from "../store/user-accounts-row";
import { updateGroups, upsertRows } from "../store/user-accounts-write";
import { MemberDiffer } from "./diff";

/** Tags of sync_staged_writes: the switch applies each with its own statement. */
export const STAGED_TAGS = { upsert: "upsert", remove: "remove", event: "event", update: "update:" } as const;

export interface StagedDiff {
  counts: SyncCounts;
  /** Rows staged per tag (seq 0 … n-1). */
  tags: Map<string, number>;
  /** Audit changes no event of this run took: attached to stored events by SQL. */
  late: MembershipChange[];
  /** Members with an invitation that this run inserts (their row carries it already). */
  invitedInserted: Set<string>;
}

export interface StagedDiffInput {
  db: D1Database;
  runId: string;
  /** Each chunk's writes abort when this attempt lost the run's lease. */
  leaseToken: string;
  integrationId: string;
  previousSuccessAt: string | null;
  auditChanges: readonly MembershipChange[];
  invitations: ReadonlyMap<string, { time: string; by: string | null }>;
  /** Told the D1 rows each chunk's staged writes wrote. */
  onWritten: (rows: number) => void;
}

/** Diffs the whole staged listing chunk by chunk, staging what the switch will write. */
export async function diffStaged(input: StagedDiffInput, chunkSize: number): Promise<StagedDiff> {
  const result: StagedDiff = {
    counts: { seen: 0, added: 0, updated: 0, removed: 0, unchanged: 0 },
    tags: new Map(),
    late: [...input.auditChanges],
    invitedInserted: new Set(),
  };
  let after = "";
  for (;;) {
    const staged = await readStagedChunk(input.db, input.runId, after, chunkSize);
    const last = staged.length < chunkSize;
    // The last chunk also takes every stored row past it: those are the members no longer listed.
    const upto = last ? null : staged[staged.length - 1]!.id;
    const differ = new MemberDiffer(staged);
    await forEachStoredPage(
      input.db,
      input.integrationId,
      (rows) => differ.add(rows),
      Math.max(chunkSize, STORED_PAGE_ROWS),
      { afterId: after, uptoId: upto },
    );
    await stageChunk(input, differ.finish(), result);
    result.counts.seen += staged.length;
    if (last) return result;
    after = upto!;
  }
}

/** Stages one chunk's diff and adds it to the totals. */
async function stageChunk(input: StagedDiffInput, diff: MemberDiff, result: StagedDiff): Promise<void> {
  const inserted = [...diff.added, ...diff.restored.map((r) => r.member)];
  for (const m of inserted) if (input.invitations.has(m.id)) result.invitedInserted.add(m.id);
  const events = eventsFromDiff(diff);
  result.late = assignActors(events, result.late, input.previousSuccessAt);
  const writes: [string, unknown[]][] = [
    [STAGED_TAGS.upsert, upsertRows(inserted, input.invitations)],
    ...[
      ...updateGroups([...diff.updated, ...diff.reformatted.map((member) => ({ member, changes: null }))]),
    ].map(([group, rows]): [string, unknown[]] => [`${STAGED_TAGS.update}${group}`, rows]),
    [STAGED_TAGS.remove, diff.removed.map((r) => ({ id: r.id }))],
    [STAGED_TAGS.event, events.map(eventRow)],
  ];
  const statements = writes.flatMap(([tag, rows]) => {
    const first = result.tags.get(tag) ?? 0;
    if (rows.length > 0) result.tags.set(tag, first + rows.length);
    return stageWriteStatements(input.db, input.runId, tag, first, rows);
  });
  if (statements.length > 0) {
    const results = await input.db.batch([
      leaseGuardStatement(input.db, input.runId, input.leaseToken),
      ...statements,
    ]);
    input.onWritten(results.reduce((n, r) => n + (r.meta.rows_written ?? 0), 0));
  }
  result.counts.added += inserted.length;
  result.counts.updated += diff.updated.length;
  result.counts.removed += diff.removed.length;
  result.counts.unchanged += diff.unchanged;
}
