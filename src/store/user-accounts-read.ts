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
import {
  armLimit,
  DENSE_PROBE,
  hitsQuery,
  planCte,
  SEARCH_MAX_HITS,
  type SearchPlan,
  searchPhrase,
} from "./search";
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

/** The index hits of the search, capped at `cap` rows when given (search.ts hitsQuery). */
type Hits = (cap: number | null) => string;

/** Binds a value and returns its numbered placeholder (`?3`), so one value can appear in several arms. */
type Bind = (value: string | number) => string;

function binder() {
  const values: (string | number)[] = [];
  const bind: Bind = (value) => {
    values.push(value);
    return `?${values.length}`;
  };
  return { values, bind };
}

/** The WHERE conditions for `filters`, plus the keyset condition after `after`, over alias `t`. */
function whereClause(filters: AccountFilters, after: AccountPosition | null, bind: Bind, t = "ua") {
  const where: string[] = [];
  if (filters.integrationId !== null) where.push(`${t}.integration_id = ${bind(filters.integrationId)}`);
  if (!filters.includeRemoved) where.push(`${t}.removed_at IS NULL`);
  if (filters.status !== null) where.push(`${t}.status = ${bind(filters.status)}`);
  if (filters.pendingOlderThanDays !== null) {
    const before = new Date(Date.now() - filters.pendingOlderThanDays * 86_400_000).toISOString();
    where.push(`${t}.status = 'pending' AND COALESCE(${t}.invited_at, ${t}.first_seen_at) < ${bind(before)}`);
  }
  // Cloudflare documents the 2FA flag as "default false": a member it says nothing about is not enrolled.
  if (filters.twoFactor !== null) {
    where.push(filters.twoFactor ? `${t}.two_factor_enabled = 1` : `${t}.two_factor_enabled IS NOT 1`);
  }
  if (filters.role !== null)
    where.push(`instr(${t}.access_names, ${bind(`\n${filters.role.toLowerCase()}\n`)}) > 0`);
  if (filters.q !== null) {
    // instr, not LIKE: % and _ in the search are ordinary characters.
    const needle = bind(filters.q.toLowerCase());
    where.push(
      `(instr(lower(${t}.email), ${needle}) > 0 OR instr(lower(ifnull(${t}.first_name, '') || ' ' || ifnull(${t}.last_name, '')), ${needle}) > 0)`,
    );
  }
  const position = keyset(filters, after, bind, t);
  if (position) where.push(position);
  return where;
}

/** The keyset condition after `after` over alias `t` (the list order's columns), or null on page 1. */
function keyset(
  filters: AccountFilters,
  after: AccountPosition | null,
  bind: Bind,
  t: string,
): string | null {
  if (!after) return null;
  if (filters.integrationId !== null) return `(${t}.email, ${t}.id) > (${bind(after[0])}, ${bind(after[1])})`;
  return `(${t}.email, ${t}.id, ${t}.integration_id) > (${bind(after[0])}, ${bind(after[1])}, ${bind(after[2])})`;
}

const conditions = (where: string[]) => (where.length > 0 ? `WHERE ${where.join(" AND ")}` : "");

/** A served row: the account's columns and its integration's last successful sync. */
const LIST_COLUMNS = `ua.integration_id, ua.id, ua.user_id, ua.email, ua.first_name, ua.last_name, ua.status,
       ua.roles, ua.policies, ua.two_factor_enabled, ua.api_access_enabled, ua.shape, ua.invited_at,
       ua.invited_by, ua.first_seen_at, ua.last_seen_at, ua.removed_at,
       i.last_successful_sync_at AS integration_last_success`;
const SELECT_SERVED = `SELECT ${LIST_COLUMNS} FROM user_accounts ua JOIN integrations i ON i.id = ua.integration_id`;

/** The list order over alias `t`, and the list index that holds it with each entry's search rowid. */
function listOrder(filters: AccountFilters, t: string) {
  const scoped = filters.integrationId !== null;
  const columns = scoped ? ["email", "id"] : ["email", "id", "integration_id"];
  return {
    by: columns.map((c) => (t ? `${t}.${c}` : c)).join(", "),
    index: scoped ? "user_accounts_list" : "user_accounts_all",
  };
}

/**
 * The `keys` arm: the list index walked in order from the cursor, each entry tested against the
 * hits by its search rowid (an index column: no row is read), then the matching rows read and
 * tested like any other until the page is full. The walk is a subquery in list order and the
 * outer loop has no ORDER BY of its own, so SQLite stops after the page's last row instead of
 * reading every hit (docs/storage.md has the plan).
 */
function keysArm(
  filters: AccountFilters,
  after: AccountPosition | null,
  bind: Bind,
  where: string[],
  page: string,
  hits: Hits,
) {
  const { by, index } = listOrder(filters, "l");
  const walk = [`l.search_rowid IN (${hits(null)})`];
  if (filters.integrationId !== null) walk.unshift(`l.integration_id = ${bind(filters.integrationId)}`);
  const position = keyset(filters, after, bind, "l");
  if (position) walk.push(position);
  return `SELECT ${LIST_COLUMNS}
    FROM (SELECT l.integration_id AS k, l.id AS d FROM user_accounts l INDEXED BY ${index}
           WHERE ${walk.join(" AND ")} ORDER BY ${by} LIMIT ${armLimit("keys", "-1")}) AS keys
    CROSS JOIN user_accounts ua ON ua.integration_id = keys.k AND ua.id = keys.d
    JOIN integrations i ON i.id = ua.integration_id
   ${conditions(where)} LIMIT ${page}`;
}

/** The list entries' emails the dense test reads: the next DENSE_PROBE × (limit + 1) after the cursor. */
function probe(filters: AccountFilters, after: AccountPosition | null, bind: Bind, limit: number) {
  const { by, index } = listOrder(filters, "l");
  const where: string[] = [];
  if (filters.integrationId !== null) where.push(`l.integration_id = ${bind(filters.integrationId)}`);
  const position = keyset(filters, after, bind, "l");
  if (position) where.push(position);
  return `SELECT l.email AS e FROM user_accounts l INDEXED BY ${index} ${conditions(where)}
   ORDER BY ${by} LIMIT ${bind(DENSE_PROBE * (limit + 1))}`;
}

/**
 * The page's SQL and its values. A `q` of a trigram or more is one statement of three arms, of
 * which exactly one returns rows, as the `plan` CTE decides (docs/storage.md#how-a-search-is-served):
 * `walk` for a term in most of the list, `sort` for few index hits (search.ts SORT_COST), `keys`
 * between. Every arm tests the same conditions on every row it serves, so they agree row for row.
 */
export function accountsPageQuery(filters: AccountFilters, after: AccountPosition | null, limit: number) {
  const { values, bind } = binder();
  const where = whereClause(filters, after, bind);
  const { by } = listOrder(filters, "ua");
  const page = bind(limit + 1);
  const walk = (rows: string) => `${SELECT_SERVED} ${conditions(where)} ORDER BY ${by} LIMIT ${rows}`;
  const needle = filters.q?.toLowerCase() ?? null;
  const phrase = needle === null ? null : searchPhrase(needle);
  if (needle === null || phrase === null) return { sql: walk(page), values };
  const scope = filters.integrationId === null ? null : bind(filters.integrationId);
  const match = bind(phrase);
  // Written out where used, not a shared CTE: SQLite would materialize a CTE read in several
  // places before any arm's plan test, reading every hit of a common term.
  const hits: Hits = (cap) => hitsQuery(match, scope, cap);
  const members =
    scope === null
      ? "SELECT sum(account_count) FROM integrations"
      : `SELECT account_count FROM integrations WHERE id = ${scope}`;
  const plan = planCte(
    probe(filters, after, bind, limit),
    bind(needle),
    page,
    hits(SEARCH_MAX_HITS + 1),
    members,
  );
  const sql = `WITH ${plan}
SELECT * FROM (SELECT ${LIST_COLUMNS}
    FROM (${hits(SEARCH_MAX_HITS + 1)}) AS hits CROSS JOIN user_accounts ua ON ua.search_rowid = hits.r
    JOIN integrations i ON i.id = ua.integration_id
   ${conditions(where)} ORDER BY ${by} LIMIT ${armLimit("sort", page)})
UNION ALL
SELECT * FROM (${keysArm(filters, after, bind, where, page, hits)})
UNION ALL
SELECT * FROM (${walk(armLimit("walk", page))})
ORDER BY ${listOrder(filters, "").by}`;
  return { sql, values };
}

/** Which plan serves a page of this search (for tests and the docs); null when `q` cannot use the index. */
export async function searchPlan(
  db: D1Database,
  filters: AccountFilters,
  after: AccountPosition | null,
  limit: number,
): Promise<SearchPlan | null> {
  const query = accountsPageQuery(filters, after, limit);
  if (!query.sql.startsWith("WITH plan")) return null;
  const head = query.sql.slice(0, query.sql.indexOf("\nSELECT * FROM ("));
  // The arms' values come after the plan's: bind only those the plan's text uses.
  const used = Math.max(...[...head.matchAll(/\?(\d+)/g)].map((m) => Number(m[1])));
  const row = await db
    .prepare(`${head} SELECT arm FROM plan`)
    .bind(...query.values.slice(0, used))
    .first<{ arm: SearchPlan }>();
  return row!.arm;
}

export async function listUserAccounts(
  db: D1Database,
  filters: AccountFilters,
  after: AccountPosition | null,
  limit: number,
): Promise<{ accounts: UserAccount[]; last: AccountPosition | null; more: boolean }> {
  const query = accountsPageQuery(filters, after, limit);
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
 * handed to `onPage` one primary-key range at a time; with `range`, only the rows with
 * afterId < id ≤ uptoId (no upper bound when null): a staged sync's diff chunk. Both bounds
 * are index bounds (a blob sorts after every text, so x'' stands for "no upper bound"): a chunk
 * never reads past its range. Returns the number of queries made.
 */
export async function forEachStoredPage(
  db: D1Database,
  integrationId: string,
  onPage: (rows: StoredAccount[]) => void,
  pageRows = STORED_PAGE_ROWS,
  range: { afterId: string; uptoId: string | null } = { afterId: "", uptoId: null },
): Promise<number> {
  let after = range.afterId;
  for (let queries = 1; ; queries++) {
    const { results } = await db
      .prepare(
        `SELECT id, user_id, email, first_name, last_name, status, roles, policies, two_factor_enabled,
                api_access_enabled, shape, removed_at
           FROM user_accounts WHERE integration_id = ?1 AND id > ?2 AND id <= COALESCE(?3, x'') ORDER BY id LIMIT ?4`,
      )
      .bind(integrationId, after, range.uptoId, pageRows)
      .all<StoredMemberRow>();
    onPage(results.map(memberFromRow));
    if (results.length < pageRows) return queries;
    after = results[results.length - 1]!.id;
    if (after === range.uptoId) return queries;
  }
}
