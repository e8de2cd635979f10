/**
 * The whole result of a successful sync as one list of statements for one `DB.batch()` (a
 * transaction, docs/sync.md#one-sync-step-by-step): the run, the user accounts, their events and
 * the integration, then the recomputed findings. The run's statement comes first, so a lost lease aborts everything after it.
 */
import type { TokenDiff } from "../domain/api-token-diff";
import { assignActors, type MembershipChange } from "../domain/audit";
import type { MemberDiff } from "../domain/diff";
import { eventsFromDiff, eventsFromTokenDiff } from "../domain/event";
import type { FindingThresholds } from "../domain/finding";
import { apiTokenWriteStatements } from "./api-tokens";
import { attachActorStatements, insertEventStatements } from "./events";
import { recomputeFindingStatements } from "./findings";
import { recordSyncSuccessStatement, type StoredSources } from "./integrations";
import { finishRunStatement, type SourceStats } from "./sync-runs";
import {
  invitationStatements,
  removeStatements,
  updateStatements,
  upsertStatements,
} from "./user-accounts-write";

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
  /** Thresholds of the findings recomputed at the end of the batch (docs/findings.md). */
  findingThresholds: FindingThresholds;
  /** The optional sources: what each recorded, and what to write (null: not read this time). */
  sources: {
    states: StoredSources;
    stats: Record<string, SourceStats>;
    tokenDiff: TokenDiff | null;
    sso: { enabled: boolean; emailDomains: string[] } | null;
    /** Membership changes the audit log recorded in the window read, and where that read ended. */
    audit: { changes: MembershipChange[]; readUntil: string } | null;
  };
}

export function syncWriteStatements(db: D1Database, w: SyncWrite): D1PreparedStatement[] {
  const { diff, sources } = w;
  const invitations = invitationsOf(w);
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
      sources: sources.stats,
    }),
    ...memberStatements(db, w, invitations),
    ...(sources.tokenDiff
      ? apiTokenWriteStatements(
          db,
          { integrationId: w.integrationId, seenAt: w.finishedAt },
          sources.tokenDiff,
        )
      : []),
    ...eventStatements(db, w, invitations),
    recordSyncSuccessStatement(db, {
      integrationId: w.integrationId,
      finishedAt: w.finishedAt,
      accountCount: w.seen,
      enforceTwoFactor: w.enforceTwoFactor,
      sources: sources.states,
      sso: sources.sso,
      auditWatermark: sources.audit?.readUntil ?? null,
    }),
    // Last, so they see everything this batch wrote.
    ...recomputeFindingStatements(db, {
      integrationId: w.integrationId,
      now: w.finishedAt,
      thresholds: w.findingThresholds,
    }),
  ];
}

/** Invitations found in this read, by membership id (the first one found for a member). */
function invitationsOf(w: SyncWrite): Map<string, { time: string; by: string | null }> {
  const invitations = new Map<string, { time: string; by: string | null }>();
  for (const c of w.sources.audit?.changes ?? []) {
    if (c.kind === "added" && !invitations.has(c.memberId)) {
      invitations.set(c.memberId, { time: c.time, by: c.actor.email });
    }
  }
  return invitations;
}

/** New, changed, reformatted and removed members; a new member's row carries its invitation. */
function memberStatements(
  db: D1Database,
  w: SyncWrite,
  invitations: ReadonlyMap<string, { time: string; by: string | null }>,
): D1PreparedStatement[] {
  const { diff } = w;
  return [
    ...upsertStatements(
      db,
      w.integrationId,
      w.finishedAt,
      [...diff.added, ...diff.restored.map((r) => r.member)],
      invitations,
    ),
    ...updateStatements(db, w.integrationId, [
      ...diff.updated,
      ...diff.reformatted.map((member) => ({ member, changes: null })),
    ]),
    ...removeStatements(
      db,
      { integrationId: w.integrationId, removedAt: w.finishedAt, previousSuccessAt: w.previousSuccessAt },
      w.diff.removed,
    ),
  ];
}

/**
 * This sync's events, with the actors the audit log already names; then the actors of earlier
 * events (entries that arrived late) and when invitations were made.
 */
function eventStatements(
  db: D1Database,
  w: SyncWrite,
  invitations: ReadonlyMap<string, { time: string; by: string | null }>,
): D1PreparedStatement[] {
  const { sources } = w;
  const events = [
    ...eventsFromDiff(w.diff),
    ...(sources.tokenDiff ? eventsFromTokenDiff(sources.tokenDiff) : []),
  ];
  const changes = sources.audit?.changes ?? [];
  const late = assignActors(events, changes, w.previousSuccessAt);
  const insertedNow = new Set([...w.diff.added, ...w.diff.restored.map((r) => r.member)].map((m) => m.id));
  return [
    ...insertEventStatements(
      db,
      { integrationId: w.integrationId, runId: w.runId, occurredAt: w.finishedAt },
      events,
    ),
    ...attachActorStatements(db, w.integrationId, late),
    // Members this batch inserts carry their invitation already; only stored ones are updated.
    ...invitationStatements(
      db,
      w.integrationId,
      [...invitations]
        .filter(([memberId]) => !insertedNow.has(memberId))
        .map(([memberId, i]) => ({ memberId, ...i })),
    ),
  ];
}
