/**
 * The whole result of a successful sync as one list of statements for one `DB.batch()` (a
 * transaction, docs/sync.md#one-sync-step-by-step): the run, the user accounts, their events and
 * the integration. The run's statement comes first, so a lost lease aborts everything after it.
 */
import type { MemberDiff } from "../domain/diff";
import { eventsFromDiff } from "../domain/event";
import { insertEventStatements } from "./events";
import { recordSyncSuccessStatement } from "./integrations";
import { finishRunStatement } from "./sync-runs";
import { removeStatements, updateStatements, upsertStatements } from "./user-accounts-write";

export interface SyncWrite {
  integrationId: string;
  runId: string;
  /** The lease this attempt holds; the batch aborts if another attempt took the run over. */
  leaseToken: string;
  finishedAt: string;
  /** When removed members were last seen: the previous successful sync. */
  previousSuccessAt: string | null;
  diff: MemberDiff;
  seen: number;
  pages: number;
  apiRequests: number;
  enforceTwoFactor: boolean | null;
}

export function syncWriteStatements(db: D1Database, w: SyncWrite): D1PreparedStatement[] {
  const { diff } = w;
  return [
    finishRunStatement(db, {
      runId: w.runId,
      leaseToken: w.leaseToken,
      finishedAt: w.finishedAt,
      counts: {
        seen: w.seen,
        added: diff.added.length + diff.restored.length,
        updated: diff.updated.length,
        removed: diff.removed.length,
        unchanged: diff.unchanged,
      },
      pages: w.pages,
      apiRequests: w.apiRequests,
    }),
    ...upsertStatements(db, w.integrationId, w.finishedAt, [
      ...diff.added,
      ...diff.restored.map((r) => r.member),
    ]),
    ...updateStatements(db, w.integrationId, [
      ...diff.updated,
      ...diff.reformatted.map((member) => ({ member, changes: null })),
    ]),
    ...removeStatements(
      db,
      { integrationId: w.integrationId, removedAt: w.finishedAt, previousSuccessAt: w.previousSuccessAt },
      diff.removed,
    ),
    ...insertEventStatements(
      db,
      { integrationId: w.integrationId, runId: w.runId, occurredAt: w.finishedAt },
      eventsFromDiff(diff),
    ),
    recordSyncSuccessStatement(db, {
      integrationId: w.integrationId,
      finishedAt: w.finishedAt,
      accountCount: w.seen,
      enforceTwoFactor: w.enforceTwoFactor,
    }),
  ];
}
