/**
 * The difference between the stored list and a complete fetched list (docs/sync.md#one-sync-step-by-step).
 * Pure: no I/O, no clock; the sync writes exactly what this returns, and property tests pin its
 * laws (applying the diff to the old list yields the new list; a list against itself is empty).
 */
import type { Changes, MemberDiff, StoredAccount } from "../domain/diff";
import {
  MEMBER_SHAPE,
  type Member,
  normalizePolicies,
  normalizeRoles,
  TRACKED_FIELDS,
} from "../domain/member";

const same = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

/** Field-by-field changes from `before` to `after`; null when nothing tracked changed. */
export function changesBetween(before: Member | StoredAccount, after: Member): Changes | null {
  const changes: Changes = {};
  let any = false;
  const storedJson = "storedJson" in before ? before.storedJson : undefined;
  for (const field of TRACKED_FIELDS) {
    // Equal text is equal data; different text may still be equal data (the slow path decides).
    if ((field === "roles" || field === "policies") && storedJson?.[field] === JSON.stringify(after[field])) {
      continue;
    }
    if (!same(before[field], after[field])) {
      changes[field] = { from: before[field], to: after[field] };
      any = true;
    }
  }
  return any ? changes : null;
}

/**
 * A row written in an older format, read as the current format would have stored it: its roles
 * and policies reduced the same way, and fields the old format did not keep taken from the
 * fetched member, so reformatting alone is never reported as a change.
 */
function upgradeLegacy(before: StoredAccount, fetched: Member): Member {
  const { storedJson: _oldText, ...decoded } = before;
  return {
    ...decoded,
    roles: normalizeRoles(before.roles),
    policies: normalizePolicies(before.policies),
    apiAccessEnabled: fetched.apiAccessEnabled,
    // The older format stored a missing status as accepted: now unknown, which is no change.
    status: before.status === "accepted" && fetched.status === "unknown" ? "unknown" : before.status,
  };
}

/**
 * Diffs the stored rows of an integration (removed ones included), fed in chunks of any size and
 * order, against `fetched` (the complete, de-duplicated listing). Only the fetched list is held
 * whole: a sync reads its stored rows a page at a time, so it never holds both lists of a large
 * account, and no D1 result grows with the account. Removed members that stay absent are neither
 * changed nor counted. The result lists members in fetched order (removed: in stored order).
 */
export class MemberDiffer {
  private readonly fetchedById: Map<string, Member>;
  /** Stored ids that are listed again, with their change (null: unchanged, or restored as is). */
  private readonly matched = new Map<
    string,
    { restored: boolean; changes: Changes | null; legacy: boolean }
  >();
  private readonly removed: StoredAccount[] = [];
  private unchanged = 0;

  constructor(private readonly fetched: readonly Member[]) {
    this.fetchedById = new Map(fetched.map((m) => [m.id, m]));
  }

  add(stored: readonly StoredAccount[]): this {
    for (const before of stored) {
      const member = this.fetchedById.get(before.id);
      if (!member) {
        if (before.removedAt === null) this.removed.push(before);
        continue;
      }
      const legacy = before.shape < MEMBER_SHAPE;
      const changes = changesBetween(legacy ? upgradeLegacy(before, member) : before, member);
      const restored = before.removedAt !== null;
      if (!restored && !changes) this.unchanged++;
      this.matched.set(before.id, { restored, changes, legacy });
    }
    return this;
  }

  finish(): MemberDiff {
    const diff: MemberDiff = {
      added: [],
      restored: [],
      updated: [],
      reformatted: [],
      removed: this.removed,
      unchanged: this.unchanged,
    };
    for (const member of this.fetched) {
      const match = this.matched.get(member.id);
      if (!match) diff.added.push(member);
      else if (match.restored) diff.restored.push({ member, changes: match.changes });
      else if (match.changes) diff.updated.push({ member, changes: match.changes });
      else if (match.legacy) diff.reformatted.push(member);
    }
    return diff;
  }
}

/** The diff of a whole stored list against a complete fetched list (see MemberDiffer). */
export function diffMembers(stored: readonly StoredAccount[], fetched: readonly Member[]): MemberDiff {
  return new MemberDiffer(fetched).add(stored).finish();
}
