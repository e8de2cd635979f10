/**
 * Change events (docs/api.md#change-events): what a sync records about each member it added,
 * changed, removed or restored. Pure shapes and the one mapping from a diff to its events.
 */
import type { Changes, MemberDiff } from "./diff";

export type EventType = "account.added" | "account.updated" | "account.removed" | "account.restored";

/** An event as served by the feed. */
export interface ChangeEvent {
  id: string;
  type: EventType;
  /** The user account's `id` (Cloudflare's membership id), not the Cloudflare account id. */
  userAccountId: string;
  email: string | null;
  changes: Record<string, { from: unknown; to: unknown }> | null;
  syncId: string;
  occurredAt: string;
}

/** An event a sync is about to write; the run and time are the batch's. */
export interface NewEvent {
  id: string;
  type: EventType;
  userAccountId: string;
  email: string | null;
  changes?: Changes;
}

/** The events of one diff, in the order the feed serves them: added, restored, updated, removed. */
export function eventsFromDiff(diff: MemberDiff): NewEvent[] {
  const event = (
    type: EventType,
    userAccountId: string,
    email: string | null,
    changes?: Changes | null,
  ): NewEvent => ({
    id: crypto.randomUUID(),
    type,
    userAccountId,
    email,
    ...(changes ? { changes } : {}),
  });
  return [
    ...diff.added.map((m) => event("account.added", m.id, m.email)),
    ...diff.restored.map(({ member, changes }) =>
      event("account.restored", member.id, member.email, changes),
    ),
    ...diff.updated.map(({ member, changes }) => event("account.updated", member.id, member.email, changes)),
    ...diff.removed.map((r) => event("account.removed", r.id, r.email)),
  ];
}
