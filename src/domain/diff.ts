/**
 * The shapes of a sync's difference between the stored list and a complete fetched list. The
 * diff itself is computed in sync/diff.ts and written by store/; both use these types.
 */
import type { Member, TrackedField } from "./member";

export interface StoredAccount extends Member {
  removedAt: string | null;
  /** MEMBER_SHAPE of the format the row was written in. */
  shape: number;
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
  /** Rows written in an older format whose member has not changed: rewritten, with no event. */
  reformatted: Member[];
  /** Current stored members the complete listing no longer has. */
  removed: StoredAccount[];
  unchanged: number;
}
