/**
 * Who made a membership change, from the account's audit log (docs/sources.md#audit-log). Pure:
 * an audit entry in, a recognised membership change (or nothing) out.
 */

/** The person or system behind a change, as events serve it. */
export interface Actor {
  email: string | null;
  /** user, account, system or cloudflare_admin, as Cloudflare says. */
  type: string | null;
  /** dash, api_token, api_key, oauth… */
  context: string | null;
  tokenName: string | null;
  ip: string | null;
}

/** A membership change the audit log recorded, reduced to what matching needs. */
export interface MembershipChange {
  auditLogId: string;
  /** Membership id the change was made to. */
  memberId: string;
  /** Which event types it explains. */
  kind: "added" | "removed" | "updated";
  time: string;
  actor: Actor;
}

/** The event types each kind of audit entry explains. */
export const EVENT_TYPES_OF: Record<MembershipChange["kind"], string[]> = {
  added: ["account.added", "account.restored"],
  removed: ["account.removed"],
  updated: ["account.updated"],
};

interface EntryShape {
  id: string;
  action?: { time: string; type?: string | null; result?: string | null } | null;
  actor?: {
    email?: string | null;
    type?: string | null;
    context?: string | null;
    token_name?: string | null;
    ip_address?: string | null;
  } | null;
  raw?: { method?: string | null; uri?: string | null } | null;
  resource?: { id?: string | null; product?: string | null; type?: string | null } | null;
}

const MEMBER_ID = /^[0-9a-f]{32}$/i;

/**
 * The membership change an entry records, or null for entries about anything else. A membership
 * request is one to /accounts/{account}/members[/{membership id}] of this account; the id comes
 * from the path, else from the entry's resource id.
 */
export function membershipChange(entry: EntryShape, accountId: string): MembershipChange | null {
  const path = (entry.raw?.uri ?? "").split("?")[0]!.replace(/^\/client\/v4/, "");
  const match = /^\/accounts\/([^/]+)\/members(?:\/([^/]+))?\/?$/.exec(path);
  if (!match || match[1] !== accountId || !entry.action?.time) return null;
  // Refused requests are logged too; they changed nothing.
  if (entry.action.result && entry.action.result.toLowerCase() !== "success") return null;
  const memberId = match[2] ?? entry.resource?.id ?? null;
  if (!memberId || !MEMBER_ID.test(memberId)) return null;
  const kind = kindOf(entry.action.type ?? null, entry.raw?.method ?? null);
  // Stored times are compared as text: Cloudflare's (with or without fractions, any offset)
  // become the connector's one ISO form first.
  const time = Date.parse(entry.action.time);
  if (!kind || !Number.isFinite(time)) return null;
  return {
    auditLogId: entry.id,
    memberId: memberId.toLowerCase(),
    kind,
    time: new Date(time).toISOString(),
    actor: {
      email: entry.actor?.email ?? null,
      type: entry.actor?.type ?? null,
      context: entry.actor?.context ?? null,
      tokenName: entry.actor?.token_name ?? null,
      ip: entry.actor?.ip_address ?? null,
    },
  };
}

function kindOf(actionType: string | null, method: string | null): MembershipChange["kind"] | null {
  const type = actionType?.toLowerCase();
  const verb = method?.toUpperCase();
  if (type === "create" || (!type && verb === "POST")) return "added";
  if (type === "delete" || (!type && verb === "DELETE")) return "removed";
  if (type === "update" || (!type && (verb === "PUT" || verb === "PATCH"))) return "updated";
  return null;
}

/** A new event of this sync, with the actor an audit entry names, when one does. */
export interface Attributable {
  type: string;
  subjectId: string;
  actor?: Actor;
  auditLogId?: string;
}

/**
 * Names the actors of this sync's own events in memory, so the insert carries them and no later
 * UPDATE is needed. Only changes made after the previous successful sync qualify: no earlier event
 * can be theirs, and no earlier read can have attached them. Returns the changes left for the
 * stored events (attached by SQL: late entries, overlapping reads).
 */
export function assignActors<E extends Attributable>(
  events: E[],
  changes: readonly MembershipChange[],
  previousSuccessAt: string | null,
): MembershipChange[] {
  const left: MembershipChange[] = [];
  for (const change of changes) {
    const fresh = previousSuccessAt === null || change.time > previousSuccessAt;
    const event = fresh
      ? events.find(
          (e) =>
            e.actor === undefined &&
            e.subjectId === change.memberId &&
            EVENT_TYPES_OF[change.kind].includes(e.type),
        )
      : undefined;
    if (event) {
      event.actor = change.actor;
      event.auditLogId = change.auditLogId;
    } else left.push(change);
  }
  return left;
}
