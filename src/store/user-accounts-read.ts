/**
 * SQL reading the user_accounts table: the served list (docs/api.md#user-accounts), with filters
 * and keyset pagination on (email, id[, integration_id]) — never OFFSET, so page 1,000 costs what
 * page 1 costs and rows written during a walk are neither skipped nor repeated — and the stored
 * list a sync diffs against.
 */
import type { StoredAccount } from "../domain/diff";
import {
  type AccessGrant,
  accessOf,
  displayName,
  type MemberPolicy,
  type MemberRole,
} from "../domain/member";
import { FEW_HITS, hitsQuery, searchPhrase } from "./search";
import {
  emailFromColumn,
  flagFromColumn,
  memberFromRow,
  STORED_PAGE_ROWS,
  type StoredMemberRow,
  storedGrants,
  type UserAccountRow,
} from "./user-accounts-row";

export interface AccountFilters {
  integrationId: string | null;
  status: string | null;
  twoFactor: boolean | null;
  /**
   * Pending invitations made more than this many days ago. A number, not a time: filters are part
   * of a cursor's scope, which must be the same for every page of one walk.
   */
  pendingOlderThanDays: number | null;
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
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  name: string | null;
  status: string;
  roles: MemberRole[];
  policies: MemberPolicy[];
  access: AccessGrant[];
  twoFactorEnabled: boolean | null;
  apiAccessEnabled: boolean | null;
  /** Pending members: when they were invited (audit log, else first seen) and by whom. */
  invitedAt: string | null;
  invitedBy: string | null;
  firstSeenAt: string;
  lastSeenAt: string;
  removedAt: string | null;
}

type Row = UserAccountRow & {
  integration_last_success: string | null;
  invited_at: string | null;
  invited_by: string | null;
};

/**
 * In the documented field order, so the JSON reads like docs/api.md. Decoded directly (not
 * through the sync's lazy memberFromRow): every field of a served row is read.
 */
function fromRow(r: Row): UserAccount {
  const { roles, policies } = storedGrants(r);
  return {
    id: r.id,
    integrationId: r.integration_id,
    userId: r.user_id,
    email: emailFromColumn(r.email),
    firstName: r.first_name,
    lastName: r.last_name,
    name: displayName({ firstName: r.first_name, lastName: r.last_name }),
    status: r.status,
    roles,
    policies,
    // Derived on read from the same roles and policies the sync compared: one rule, no column.
    access: accessOf({ roles, policies }),
    twoFactorEnabled: flagFromColumn(r.two_factor_enabled),
    apiAccessEnabled: flagFromColumn(r.api_access_enabled),
    invitedAt: r.status === "pending" ? (r.invited_at ?? r.first_seen_at) : null,
    invitedBy: r.status === "pending" ? r.invited_by : null,
    firstSeenAt: r.first_seen_at,
    // Current members were seen by the integration's latest successful sync (derived, so an
    // unchanged member costs no write); removed ones keep the time they were last listed.
    lastSeenAt: r.removed_at === null ? (r.integration_last_success ?? r.last_seen_at) : r.last_seen_at,
    removedAt: r.removed_at,
  };
}

/** The WHERE conditions and their values for `filters`, plus the keyset condition after `after`. */
function whereClause(filters: AccountFilters, after: AccountPosition | null) {
  const where: string[] = [];
  const values: (string | number)[] = [];
  const add = (condition: string, ...bound: (string | number)[]) => {
    where.push(condition);
    values.push(...bound);
  };
  if (filters.integrationId !== null) add("ua.integration_id = ?", filters.integrationId);
  if (!filters.includeRemoved) add("ua.removed_at IS NULL");
  if (filters.status !== null) add("ua.status = ?", filters.status);
  if (filters.pendingOlderThanDays !== null) {
    const before = new Date(Date.now() - filters.pendingOlderThanDays * 86_400_000).toISOString();
    add("ua.status = 'pending' AND COALESCE(ua.invited_at, ua.first_seen_at) < ?", before);
  }
  // Cloudflare documents the 2FA flag as "default false": a member it says nothing about is not enrolled.
  if (filters.twoFactor !== null) {
    add(filters.twoFactor ? "ua.two_factor_enabled = 1" : "ua.two_factor_enabled IS NOT 1");
  }
  if (filters.role !== null) add("instr(ua.access_names, ?) > 0", `\n${filters.role.toLowerCase()}\n`);
  if (filters.q !== null) {
    // instr, not LIKE: % and _ in the search are ordinary characters.
    const needle = filters.q.toLowerCase();
    add(
      "(instr(lower(ua.email), ?) > 0 OR instr(lower(ifnull(ua.first_name, '') || ' ' || ifnull(ua.last_name, '')), ?) > 0)",
      needle,
      needle,
    );
  }
  if (after && filters.integrationId !== null) add("(ua.email, ua.id) > (?, ?)", after[0], after[1]);
  if (after && filters.integrationId === null) {
    add("(ua.email, ua.id, ua.integration_id) > (?, ?, ?)", after[0], after[1], after[2]);
  }
  return { sql: where.length > 0 ? `WHERE ${where.join(" AND ")}` : "", values };
}

/** A served row: the account's columns and its integration's last successful sync. */
const LIST_COLUMNS = `ua.integration_id, ua.id, ua.user_id, ua.email, ua.first_name, ua.last_name, ua.status,
       ua.roles, ua.policies, ua.two_factor_enabled, ua.api_access_enabled, ua.shape, ua.invited_at,
       ua.invited_by, ua.first_seen_at, ua.last_seen_at, ua.removed_at,
       i.last_successful_sync_at AS integration_last_success`;
const SELECT_SERVED = `SELECT ${LIST_COLUMNS} FROM user_accounts ua JOIN integrations i ON i.id = ua.integration_id`;

/**
 * The page's SQL and its values. A `q` of a trigram or more is one statement of two arms, of which
 * exactly one returns rows: with few index hits (FEW_HITS) the hits are looked up and sorted;
 * with many, the list index is walked in order as without an index — a common term fills a page
 * within a few rows. Both arms test the same conditions, so they agree row for row.
 */
function pageQuery(filters: AccountFilters, after: AccountPosition | null, limit: number) {
  const where = whereClause(filters, after);
  const order = filters.integrationId !== null ? "email, id" : "email, id, integration_id";
  const phrase = filters.q === null ? null : searchPhrase(filters.q.toLowerCase());
  const walk = (extra: string) => `SELECT ${LIST_COLUMNS}
    FROM user_accounts ua JOIN integrations i ON i.id = ua.integration_id
   ${where.sql}${extra} ORDER BY ${order.replaceAll(/(\w+)/g, "ua.$1")} LIMIT ?`;
  if (phrase === null) return { sql: walk(""), values: [...where.values, limit + 1] };
  const scoped = filters.integrationId !== null;
  const guard = (few: boolean) => `${where.sql ? " AND" : " WHERE"} ${few ? "" : "NOT "}${FEW_HITS}`;
  const sql = `WITH hits AS (${hitsQuery("?", scoped ? "?" : null)})
SELECT * FROM (SELECT ${LIST_COLUMNS}
    FROM hits CROSS JOIN user_accounts ua ON ua.search_rowid = hits.r JOIN integrations i ON i.id = ua.integration_id
   ${where.sql}${guard(true)} ORDER BY ${order.replaceAll(/(\w+)/g, "ua.$1")} LIMIT ?)
UNION ALL
SELECT * FROM (${walk(guard(false))})
ORDER BY ${order}`;
  return {
    sql,
    values: [
      phrase,
      ...(scoped ? [filters.integrationId!, filters.integrationId!] : []),
      ...where.values,
      limit + 1,
      ...where.values,
      limit + 1,
    ],
  };
}

export async function listUserAccounts(
  db: D1Database,
  filters: AccountFilters,
  after: AccountPosition | null,
  limit: number,
): Promise<{ accounts: UserAccount[]; last: AccountPosition | null; more: boolean }> {
  const query = pageQuery(filters, after, limit);
  const { results } = await db
    .prepare(query.sql)
    .bind(...query.values)
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

/** One user account as the list serves it (removed ones too), by its primary key; null when unknown. */
export async function getUserAccount(
  db: D1Database,
  integrationId: string,
  id: string,
): Promise<UserAccount | null> {
  const row = await db
    .prepare(`${SELECT_SERVED} WHERE ua.integration_id = ? AND ua.id = ?`)
    .bind(integrationId, id)
    .first<Row>();
  return row ? fromRow(row) : null;
}

/**
 * Every stored row of the integration, removed ones included (a returning member is restored),
 * handed to `onPage` one primary-key range at a time. Returns the number of queries made.
 */
export async function forEachStoredPage(
  db: D1Database,
  integrationId: string,
  onPage: (rows: StoredAccount[]) => void,
  pageRows = STORED_PAGE_ROWS,
): Promise<number> {
  let after = "";
  for (let queries = 1; ; queries++) {
    const { results } = await db
      .prepare(
        `SELECT id, user_id, email, first_name, last_name, status, roles, policies, two_factor_enabled,
                api_access_enabled, shape, removed_at
           FROM user_accounts WHERE integration_id = ? AND id > ? ORDER BY id LIMIT ?`,
      )
      .bind(integrationId, after, pageRows)
      .all<StoredMemberRow>();
    onPage(results.map(memberFromRow));
    if (results.length < pageRows) return queries;
    after = results[results.length - 1]!.id;
  }
}
