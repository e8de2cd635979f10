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
import { attachActorStatements, insertEventStatements, insertEventsFrom } from "./events";
import { recomputeFindingStatements } from "./findings";
import { recordSyncSuccessStatement, type StoredSources } from "./integrations";
import { stagedSources } from "./row-source";
import { finishRunStatement, type SourceStats, type SyncCounts } from "./sync-runs";
import {
  invitationStatements,
  removeFrom,
  removeStatements,
  updateFrom,
  updateStatements,
  upsertFrom,
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
  const { diff } = w;
  const invitations = invitationsOf(w.sources);
  const counts = {
    seen: w.seen,
    added: diff.added.length + diff.restored.length,
    updated: diff.updated.length,
    removed: diff.removed.length,
    unchanged: diff.unchanged,
  };
  return [
    finishStatement(db, w, counts),
    ...memberStatements(db, w, invitations),
    ...tokenStatements(db, w),
    ...eventStatements(db, w, invitations),
    ...successStatements(db, w),
  ];
}

/** The parts of a sync's result that do not depend on how its members were diffed. */
export type SyncOutcome = Omit<SyncWrite, "diff">;

/**
 * What a staged sync's diff left in sync_staged_writes (docs/sync.md#staged-sync): the rows per
 * tag, the audit changes its events did not take, and the invited members it inserts.
 */
export interface StagedResult {
  counts: SyncCounts;
  tags: ReadonlyMap<string, number>;
  late: readonly MembershipChange[];
  invitedInserted: ReadonlySet<string>;
}

/**
 * The switch of a staged sync: the same batch as syncWriteStatements, with the member rows and
 * their events read from sync_staged_writes by the same statements, so no member data passes
 * through the Worker. Member events take ordinals 0 … n-1 (their staged seq), token events follow.
 */
export function stagedSyncWriteStatements(
  db: D1Database,
  w: SyncOutcome,
  staged: StagedResult,
  tags: { upsert: string; update: string; remove: string; event: string },
): D1PreparedStatement[] {
  const { runId } = w;
  const removal = {
    integrationId: w.integrationId,
    removedAt: w.finishedAt,
    previousSuccessAt: w.previousSuccessAt,
  };
  const sources = (tag: string) => stagedSources(runId, tag, staged.tags.get(tag) ?? 0);
  const updates = [...staged.tags.keys()].filter((t) => t.startsWith(tags.update));
  const memberEvents = staged.tags.get(tags.event) ?? 0;
  const tokenEvents = w.sources.tokenDiff ? eventsFromTokenDiff(w.sources.tokenDiff) : [];
  const late = assignActors(tokenEvents, staged.late, w.previousSuccessAt);
  const insert = { integrationId: w.integrationId, runId, occurredAt: w.finishedAt };
  const invitations = invitationsOf(w.sources);
  return [
    finishStatement(db, w, staged.counts),
    ...sources(tags.upsert).map((src) => upsertFrom(db, w.integrationId, w.finishedAt, src)),
    ...updates.flatMap((tag) =>
      sources(tag).map((src) => updateFrom(db, w.integrationId, tag.slice(tags.update.length), src)),
    ),
    ...sources(tags.remove).map((src) => removeFrom(db, removal, src)),
    ...tokenStatements(db, w),
    ...sources(tags.event).map((src) => insertEventsFrom(db, insert, src, "from" in src ? src.from : 0)),
    ...insertEventStatements(db, insert, tokenEvents, memberEvents),
    ...attachActorStatements(db, w.integrationId, late),
    ...invitationStatements(
      db,
      w.integrationId,
      [...invitations]
        .filter(([memberId]) => !staged.invitedInserted.has(memberId))
        .map(([memberId, i]) => ({ memberId, ...i })),
    ),
    ...successStatements(db, w),
  ];
}

/** First in the batch: the run's result, which aborts the batch when the lease was lost. */
function finishStatement(db: D1Database, w: SyncOutcome, counts: SyncCounts): D1PreparedStatement {
  return finishRunStatement(db, {
    runId: w.runId,
    leaseToken: w.leaseToken,
    finishedAt: w.finishedAt,
    counts,
    pages: w.pages,
    apiRequests: w.apiRequests,
    sources: w.sources.stats,
  });
}

function tokenStatements(db: D1Database, w: SyncOutcome): D1PreparedStatement[] {
  const { tokenDiff } = w.sources;
  return tokenDiff
    ? apiTokenWriteStatements(db, { integrationId: w.integrationId, seenAt: w.finishedAt }, tokenDiff)
    : [];
}

/** Last: the integration's success, then the findings recomputed over everything written before. */
function successStatements(db: D1Database, w: SyncOutcome): D1PreparedStatement[] {
  return [
    recordSyncSuccessStatement(db, {
      integrationId: w.integrationId,
      finishedAt: w.finishedAt,
      accountCount: w.seen,
      enforceTwoFactor: w.enforceTwoFactor,
      sources: w.sources.states,
      sso: w.sources.sso,
      auditWatermark: w.sources.audit?.readUntil ?? null,
    }),
    ...recomputeFindingStatements(db, {
      integrationId: w.integrationId,
      now: w.finishedAt,
      thresholds: w.findingThresholds,
    }),
  ];
}

/** Invitations found in this read, by membership id (the first one found for a member). */
export function invitationsOf(
  sources: SyncWrite["sources"],
): Map<string, { time: string; by: string | null }> {
  const invitations = new Map<string, { time: string; by: string | null }>();
  for (const c of sources.audit?.changes ?? []) {
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
