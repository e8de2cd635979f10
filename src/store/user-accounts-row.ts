/**
 * A `user_accounts` row and its decoding into the member the diff compares. Free of D1 types so
 * the Node benchmarks can use it too.
 */
import type { StoredAccount } from "../domain/diff";
import { MEMBER_SHAPE, type MemberPolicy, type MemberRole, normalizePolicies } from "../domain/member";

/** A `user_accounts` row as D1 returns it. */
export interface UserAccountRow {
  integration_id: string;
  id: string;
  user_id: string | null;
  /** '' when Cloudflare gave no email (keyset paging needs a non-null sort key). */
  email: string;
  first_name: string | null;
  last_name: string | null;
  status: string;
  roles: string;
  policies: string;
  two_factor_enabled: number | null;
  api_access_enabled: number | null;
  /** MEMBER_SHAPE of the row's format (migrations/0003_member_access.sql). */
  shape: number;
  first_seen_at: string;
  last_seen_at: string;
  removed_at: string | null;
}

/** The stored email as served: '' (no email from Cloudflare) is null. */
export const emailFromColumn = (email: string): string | null => (email === "" ? null : email);
/** The served email as stored. */
export const emailToColumn = (email: string | null): string => email ?? "";

/**
 * A served row's roles and policies, decoded. A row the next sync has not yet rewritten in the
 * current format (MEMBER_SHAPE) is read as that sync would write it.
 */
export function storedGrants(r: Pick<UserAccountRow, "roles" | "policies" | "shape">): {
  roles: MemberRole[];
  policies: MemberPolicy[];
} {
  const stored = JSON.parse(r.policies) as unknown[];
  return {
    roles: JSON.parse(r.roles) as MemberRole[],
    policies: r.shape < MEMBER_SHAPE ? normalizePolicies(stored) : (stored as MemberPolicy[]),
  };
}

/** A 0/1/NULL column as a boolean or null. */
export const flagFromColumn = (v: number | null): boolean | null => (v === null ? null : v === 1);

/** The columns a sync reads to diff (memberFromRow's input). */
export type StoredMemberRow = Omit<UserAccountRow, "integration_id" | "first_seen_at" | "last_seen_at">;

/**
 * The stored member fields of a row, decoded (0/1 to booleans). The JSON columns are decoded on
 * first use: a sync compares most members by their stored text and never needs the values.
 */
export function memberFromRow(r: StoredMemberRow): StoredAccount {
  // The getters close over the two texts only, not the row, which can then be collected.
  const storedJson = { roles: r.roles, policies: r.policies };
  let roles: MemberRole[] | undefined;
  let policies: MemberPolicy[] | undefined;
  return {
    id: r.id,
    userId: r.user_id,
    email: emailFromColumn(r.email),
    firstName: r.first_name,
    lastName: r.last_name,
    status: r.status,
    get roles() {
      roles ??= JSON.parse(storedJson.roles) as MemberRole[];
      return roles;
    },
    get policies() {
      policies ??= JSON.parse(storedJson.policies) as MemberPolicy[];
      return policies;
    },
    twoFactorEnabled: flagFromColumn(r.two_factor_enabled),
    apiAccessEnabled: flagFromColumn(r.api_access_enabled),
    removedAt: r.removed_at,
    shape: r.shape,
    storedJson,
  };
}

/**
 * Stored rows per query while a sync reads an integration's list: ~2 KB each with roles and
 * policies, so a page stays a few MB — far under D1's 50 MB result limit, which one query of a
 * 50,000-member account would exceed — and a sync holds one page of stored rows at a time.
 */
export const STORED_PAGE_ROWS = 2_000;
