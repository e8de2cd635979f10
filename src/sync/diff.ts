/**
 * The difference between the stored list and a complete fetched list (SPEC §4). Pure: no I/O,
 * no clock; the sync writes exactly what this returns, and property tests pin its laws
 * (applying the diff to the old list yields the new list; a list against itself is empty).
 */
import { type Member, TRACKED_FIELDS, type TrackedField } from "./member";

export interface StoredAccount extends Member {
  removedAt: string | null;
  /**
   * roles and policies as D1 stored them (JSON text, written from the same canonical values), so
   * an unchanged member is recognised by comparing text instead of decoding and re-encoding both.
   */
  storedJson?: { roles: string; policies: string };
}

export type Changes = Partial<Record<TrackedField, { from: unknown; to: unknown }>>;

export interface MemberDiff {
  /** Members never seen before (or pruned long ago). */
  added: Member[];
  /** Members that were removed and are listed again; `changes` if they changed meanwhile. */
  restored: { member: Member; changes: Changes | null }[];
  updated: { member: Member; changes: Changes }[];
  /** Current stored members the complete listing no longer has. */
  removed: StoredAccount[];
  unchanged: number;
}

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
 * Diffs `stored` (every row of the integration, removed ones included) against `fetched` (the
 * complete, de-duplicated listing). Removed members that stay absent are neither changed nor counted.
 */
export function diffMembers(stored: readonly StoredAccount[], fetched: readonly Member[]): MemberDiff {
  const storedById = new Map(stored.map((s) => [s.id, s]));
  const fetchedIds = new Set<string>();
  const diff: MemberDiff = { added: [], restored: [], updated: [], removed: [], unchanged: 0 };
  for (const member of fetched) {
    fetchedIds.add(member.id);
    const before = storedById.get(member.id);
    if (!before) {
      diff.added.push(member);
      continue;
    }
    const changes = changesBetween(before, member);
    if (before.removedAt !== null) diff.restored.push({ member, changes });
    else if (changes) diff.updated.push({ member, changes });
    else diff.unchanged++;
  }
  for (const s of stored) {
    if (s.removedAt === null && !fetchedIds.has(s.id)) diff.removed.push(s);
  }
  return diff;
}

/** True when the diff writes nothing. */
export const isEmptyDiff = (d: MemberDiff) =>
  d.added.length === 0 && d.restored.length === 0 && d.updated.length === 0 && d.removed.length === 0;

/** What storing the diff does to the stored list (used by tests to state the diff's laws). */
export function applyDiff(
  stored: readonly StoredAccount[],
  diff: MemberDiff,
  removedAt: string,
): StoredAccount[] {
  const next = new Map(stored.map((s) => [s.id, { ...s }]));
  for (const m of diff.added) next.set(m.id, { ...m, removedAt: null });
  for (const { member } of diff.restored) next.set(member.id, { ...member, removedAt: null });
  for (const { member } of diff.updated) next.set(member.id, { ...member, removedAt: null });
  for (const r of diff.removed) next.set(r.id, { ...r, removedAt });
  return [...next.values()];
}
