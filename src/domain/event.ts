/**
 * Change events (docs/api.md#change-events): what a sync records about each member and each API
 * token it added, changed, removed or restored, and who made the change once the audit log says.
 * Pure shapes and the mappings from a diff to its events.
 */
import type { TokenDiff } from "./api-token-diff";
import type { Actor } from "./audit";
import type { Changes, MemberDiff } from "./diff";

export type AccountEventType = "account.added" | "account.updated" | "account.removed" | "account.restored";
export type TokenEventType = "api_token.added" | "api_token.updated" | "api_token.removed";
export type EventType = AccountEventType | TokenEventType;

export const EVENT_TYPES = [
  "account.added",
  "account.updated",
  "account.removed",
  "account.restored",
  "api_token.added",
  "api_token.updated",
  "api_token.removed",
] as const satisfies readonly EventType[];

/** An event as served by the feed. */
export interface ChangeEvent {
  id: string;
  type: EventType;
  /** The membership an account.* event is about; null on api_token.* events. */
  userAccountId: string | null;
  /** The member's email (account.*); null when Cloudflare gives none, and on api_token.* events. */
  email: string | null;
  /** The token an api_token.* event is about; null on account.* events. */
  apiTokenId: string | null;
  tokenName: string | null;
  changes: Record<string, { from: unknown; to: unknown }> | null;
  /** Who made the change, from the audit log; null until (or unless) an entry matches. */
  actor: Actor | null;
  auditLogId: string | null;
  syncId: string;
  occurredAt: string;
}

/** An event a sync is about to write; the run and time are the batch's. */
export interface NewEvent {
  id: string;
  type: EventType;
  /** Membership id or token id. */
  subjectId: string;
  /** Member email or token name. */
  label: string | null;
  changes?: Record<string, { from: unknown; to: unknown }>;
  /** Known when the audit log named the actor before the event was written. */
  actor?: Actor;
  auditLogId?: string;
}

const event = (
  type: EventType,
  subjectId: string,
  label: string | null,
  changes?: Changes | Record<string, { from: unknown; to: unknown }> | null,
): NewEvent => ({
  id: crypto.randomUUID(),
  type,
  subjectId,
  label,
  ...(changes ? { changes: changes as Record<string, { from: unknown; to: unknown }> } : {}),
});

/** The events of one member diff, in the order the feed serves them: added, restored, updated, removed. */
export function eventsFromDiff(diff: MemberDiff): NewEvent[] {
  return [
    ...diff.added.map((m) => event("account.added", m.id, m.email)),
    ...diff.restored.map(({ member, changes }) =>
      event("account.restored", member.id, member.email, changes),
    ),
    ...diff.updated.map(({ member, changes }) => event("account.updated", member.id, member.email, changes)),
    ...diff.removed.map((r) => event("account.removed", r.id, r.email)),
  ];
}

/** The events of one API-token diff: added, updated, removed. */
export function eventsFromTokenDiff(diff: TokenDiff): NewEvent[] {
  return [
    ...diff.added.map((t) => event("api_token.added", t.id, t.name)),
    ...diff.updated.map(({ token, changes }) => event("api_token.updated", token.id, token.name, changes)),
    ...diff.removed.map((t) => event("api_token.removed", t.id, t.name)),
  ];
}
