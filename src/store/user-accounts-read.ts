/**
 * SQL for reading user accounts (SPEC §3 "User accounts"): filters and keyset pagination on
 * (email, id[, integration_id]) — never OFFSET, so page 1,000 costs what page 1 costs and rows
 * written during a walk are neither skipped nor repeated.
 */
import { displayName, type Role } from "../sync/member";
import type { UserAccountRow } from "./member-row";

export interface AccountFilters {
  integrationId: string | null;
  status: "accepted" | "pending" | null;
  twoFactor: boolean | null;
  role: string | null;
  q: string | null;
  includeRemoved: boolean;
}

/** Keyset position: the last row served (integration id matters only across integrations). */
export type AccountPosition = [email: string, id: string, integrationId: string];

export interface UserAccount {
  id: string;
  integrationId: string;
  userId: string | null;
  email: string;
  firstName: string | null;
  lastName: string | null;
  name: string | null;
  status: string;
  roles: Role[];
  policies: unknown[];
  twoFactorEnabled: boolean | null;
  firstSeenAt: string;
  lastSeenAt: string;
  removedAt: string | null;
}

type Row = UserAccountRow & { integration_last_success: string | null };

/**
 * In SPEC §3 field order, so the JSON reads like the contract. Decoded directly (not through the
 * sync's lazy memberFromRow): every field of a served row is read.
 */
function fromRow(r: Row): UserAccount {
  return {
    id: r.id,
    integrationId: r.integration_id,
    userId: r.user_id,
    email: r.email,
    firstName: r.first_name,
    lastName: r.last_name,
    name: displayName({ firstName: r.first_name, lastName: r.last_name }),
    status: r.status,
    roles: JSON.parse(r.roles) as Role[],
    policies: JSON.parse(r.policies) as unknown[],
    twoFactorEnabled: r.two_factor_enabled === null ? null : r.two_factor_enabled === 1,
    firstSeenAt: r.first_seen_at,
    // Current members were seen by the integration's latest successful sync (derived, so an
    // unchanged member costs no write); removed ones keep the time they were last listed.
    lastSeenAt: r.removed_at === null ? (r.integration_last_success ?? r.last_seen_at) : r.last_seen_at,
    removedAt: r.removed_at,
  };
}

export async function listAccounts(
  db: D1Database,
  filters: AccountFilters,
  after: AccountPosition | null,
  limit: number,
): Promise<{ accounts: UserAccount[]; last: AccountPosition | null; more: boolean }> {
  const where: string[] = [];
  const values: (string | number)[] = [];
  if (filters.integrationId !== null) {
    where.push("ua.integration_id = ?");
    values.push(filters.integrationId);
  }
  if (!filters.includeRemoved) where.push("ua.removed_at IS NULL");
  if (filters.status !== null) {
    where.push("ua.status = ?");
    values.push(filters.status);
  }
  // Cloudflare documents the 2FA flag as "default false": a member it says nothing about is not enrolled.
  if (filters.twoFactor !== null)
    where.push(filters.twoFactor ? "ua.two_factor_enabled = 1" : "ua.two_factor_enabled IS NOT 1");
  if (filters.role !== null) {
    where.push("instr(ua.access_names, ?) > 0");
    values.push(`\n${filters.role.toLowerCase()}\n`);
  }
  if (filters.q !== null) {
    // instr, not LIKE: % and _ in the search are ordinary characters.
    where.push(
      "(instr(lower(ua.email), ?) > 0 OR instr(lower(ifnull(ua.first_name, '') || ' ' || ifnull(ua.last_name, '')), ?) > 0)",
    );
    const needle = filters.q.toLowerCase();
    values.push(needle, needle);
  }
  const perIntegration = filters.integrationId !== null;
  if (after) {
    if (perIntegration) {
      where.push("(ua.email, ua.id) > (?, ?)");
      values.push(after[0], after[1]);
    } else {
      where.push("(ua.email, ua.id, ua.integration_id) > (?, ?, ?)");
      values.push(after[0], after[1], after[2]);
    }
  }
  const order = perIntegration ? "ua.email, ua.id" : "ua.email, ua.id, ua.integration_id";
  const sql = `SELECT ua.integration_id, ua.id, ua.user_id, ua.email, ua.first_name, ua.last_name, ua.status,
         ua.roles, ua.policies, ua.two_factor_enabled, ua.first_seen_at, ua.last_seen_at, ua.removed_at,
         i.last_successful_sync_at AS integration_last_success
    FROM user_accounts ua JOIN integrations i ON i.id = ua.integration_id
   ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
   ORDER BY ${order} LIMIT ?`;
  const { results } = await db
    .prepare(sql)
    .bind(...values, limit + 1)
    .all<Row>();
  const more = results.length > limit;
  const page = results.slice(0, limit);
  const lastRow = page[page.length - 1];
  return {
    accounts: page.map(fromRow),
    last: lastRow ? [lastRow.email, lastRow.id, lastRow.integration_id] : null,
    more,
  };
}
