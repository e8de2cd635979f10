/**
 * SQL for user accounts: reading the stored list for a diff, and the statements that write one
 * sync's result. Bulk writes pass one JSON array per statement and expand it with json_each, so
 * any number of rows stays within D1's 100 bound parameters per statement.
 */
import type { Changes, MemberDiff, StoredAccount } from "../sync/diff";
import { accessNames, type Member, type TrackedField } from "../sync/member";
import { memberFromRow, STORED_PAGE_ROWS } from "./member-row";

/**
 * Rows per bulk statement. D1 limits a statement to 100 KB of SQL (ours is short) and a value to
 * 2 MB; a member serialises to well under 2 KB, so 500 rows stay below 1 MB per bound value.
 */
export const ROWS_PER_STATEMENT = 500;

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
        `SELECT id, user_id, email, first_name, last_name, status, roles, policies, two_factor_enabled, removed_at
           FROM user_accounts WHERE integration_id = ? AND id > ? ORDER BY id LIMIT ?`,
      )
      .bind(integrationId, after, pageRows)
      .all<Parameters<typeof memberFromRow>[0]>();
    onPage(results.map(memberFromRow));
    if (results.length < pageRows) return queries;
    after = results[results.length - 1]!.id;
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const toRow = (m: Member) => ({
  id: m.id,
  userId: m.userId,
  email: m.email,
  firstName: m.firstName,
  lastName: m.lastName,
  status: m.status,
  roles: m.roles,
  policies: m.policies,
  twoFactor: m.twoFactorEnabled === null ? null : Number(m.twoFactorEnabled),
  accessNames: accessNames(m),
});

/** Member fields stored in indexed columns, with the column and the key `toRow` gives them. */
const INDEXED_COLUMNS = [
  { field: "email", column: "email", json: "email" },
  { field: "status", column: "status", json: "status" },
  { field: "twoFactorEnabled", column: "two_factor_enabled", json: "twoFactor" },
] as const satisfies readonly { field: TrackedField; column: string; json: keyof ReturnType<typeof toRow> }[];

interface EventRow {
  id: string;
  type: string;
  accountId: string;
  email: string;
  changes?: Changes;
}

export interface SyncWrite {
  integrationId: string;
  runId: string;
  /** The lease this attempt holds; the batch aborts if another attempt took the run over. */
  leaseToken: string;
  finishedAt: string;
  /** When removed members were last seen: the previous successful sync. */
  previousSuccessAt: string | null;
  diff: MemberDiff;
  seen: number;
  pages: number;
  apiRequests: number;
  enforceTwoFactor: boolean | null;
}

/**
 * The whole result of a successful sync as one list of statements for one `DB.batch()` (a
 * transaction). The first statement finishes the run only if this attempt still holds the lease;
 * otherwise it writes NULL into a NOT NULL column and the whole batch rolls back.
 */
export function syncWriteStatements(db: D1Database, w: SyncWrite): D1PreparedStatement[] {
  const { diff } = w;
  const statements: D1PreparedStatement[] = [
    db
      .prepare(
        `UPDATE sync_runs
            SET status = CASE WHEN lease_token = ? THEN 'succeeded' END,
                finished_at = ?, seen = ?, added = ?, updated = ?, removed = ?, unchanged = ?,
                pages = ?, api_requests = api_requests + ?, error_code = NULL, error_message = NULL,
                lease_token = NULL, lease_until = NULL
          WHERE id = ?`,
      )
      .bind(
        w.leaseToken,
        w.finishedAt,
        w.seen,
        diff.added.length + diff.restored.length,
        diff.updated.length,
        diff.removed.length,
        diff.unchanged,
        w.pages,
        w.apiRequests,
        w.runId,
      ),
  ];

  // New and restored members: one upsert (a restored row also leaves the removed_at index).
  const upserts = [...diff.added, ...diff.restored.map((r) => r.member)];
  for (const chunk of chunks(upserts.map(toRow), ROWS_PER_STATEMENT)) {
    statements.push(
      db
        .prepare(
          `INSERT INTO user_accounts (integration_id, id, user_id, email, first_name, last_name, status, roles,
             policies, two_factor_enabled, access_names, first_seen_at, last_seen_at, removed_at)
           SELECT ?1, j.value ->> 'id', j.value ->> 'userId', j.value ->> 'email', j.value ->> 'firstName',
                  j.value ->> 'lastName', j.value ->> 'status', j.value -> 'roles', j.value -> 'policies',
                  j.value ->> 'twoFactor', j.value ->> 'accessNames', ?2, ?2, NULL
             FROM json_each(?3) AS j
            WHERE true -- SQLite needs a WHERE here, or it reads ON CONFLICT as a join's ON
           ON CONFLICT (integration_id, id) DO UPDATE SET
             user_id = excluded.user_id, email = excluded.email, first_name = excluded.first_name,
             last_name = excluded.last_name, status = excluded.status, roles = excluded.roles,
             policies = excluded.policies, two_factor_enabled = excluded.two_factor_enabled,
             access_names = excluded.access_names, last_seen_at = excluded.last_seen_at, removed_at = NULL`,
        )
        .bind(w.integrationId, w.finishedAt, JSON.stringify(chunk)),
    );
  }

  // Changed members are updated in place, and each statement names only the indexed columns its
  // members changed: SQLite rewrites an index entry whenever its column is assigned, even to the
  // same value, and D1 counts every index entry written. So updated members are grouped by which
  // of email / status / 2FA changed — keyed by the assignments that adds to the statement (at most
  // 8 groups; roles-only changes touch no index).
  const groups = new Map<string, Member[]>();
  for (const { member, changes } of diff.updated) {
    const assigned = INDEXED_COLUMNS.filter((c) => c.field in changes)
      .map((c) => `, ${c.column} = j.value ->> '${c.json}'`)
      .join("");
    const group = groups.get(assigned);
    if (group) group.push(member);
    else groups.set(assigned, [member]);
  }
  for (const [assigned, members] of groups) {
    const sql = `UPDATE user_accounts
              SET user_id = j.value ->> 'userId', first_name = j.value ->> 'firstName',
                  last_name = j.value ->> 'lastName', roles = j.value -> 'roles', policies = j.value -> 'policies',
                  access_names = j.value ->> 'accessNames'${assigned}
             FROM json_each(?2) AS j
            WHERE user_accounts.integration_id = ?1 AND user_accounts.id = j.value ->> 'id'`;
    for (const chunk of chunks(members.map(toRow), ROWS_PER_STATEMENT)) {
      statements.push(db.prepare(sql).bind(w.integrationId, JSON.stringify(chunk)));
    }
  }

  for (const chunk of chunks(
    diff.removed.map((r) => r.id),
    ROWS_PER_STATEMENT * 4,
  )) {
    statements.push(
      db
        .prepare(
          `UPDATE user_accounts SET removed_at = ?1, last_seen_at = COALESCE(?2, last_seen_at)
            WHERE integration_id = ?3 AND removed_at IS NULL AND id IN (SELECT value FROM json_each(?4))`,
        )
        .bind(w.finishedAt, w.previousSuccessAt, w.integrationId, JSON.stringify(chunk)),
    );
  }

  const events: EventRow[] = [
    ...diff.added.map((m) => ({
      id: crypto.randomUUID(),
      type: "account.added",
      accountId: m.id,
      email: m.email,
    })),
    ...diff.restored.map(({ member, changes }) => ({
      id: crypto.randomUUID(),
      type: "account.restored",
      accountId: member.id,
      email: member.email,
      ...(changes ? { changes } : {}),
    })),
    ...diff.updated.map(({ member, changes }) => ({
      id: crypto.randomUUID(),
      type: "account.updated",
      accountId: member.id,
      email: member.email,
      changes,
    })),
    ...diff.removed.map((r) => ({
      id: crypto.randomUUID(),
      type: "account.removed",
      accountId: r.id,
      email: r.email,
    })),
  ];
  // Events of one run share occurred_at; `ordinal` (position in the run) orders them.
  for (const [index, chunk] of chunks(events, ROWS_PER_STATEMENT).entries()) {
    statements.push(
      db
        .prepare(
          `INSERT INTO events (integration_id, occurred_at, ordinal, id, type, account_id, email, changes, sync_id)
           SELECT ?1, ?3, ?4 + j.key, j.value ->> 'id', j.value ->> 'type', j.value ->> 'accountId',
                  j.value ->> 'email', j.value -> 'changes', ?2
             FROM json_each(?5) AS j`,
        )
        .bind(w.integrationId, w.runId, w.finishedAt, index * ROWS_PER_STATEMENT, JSON.stringify(chunk)),
    );
  }

  statements.push(
    db
      .prepare(
        `UPDATE integrations SET status = 'ok', last_successful_sync_at = ?, account_count = ?,
                enforce_two_factor = COALESCE(?, enforce_two_factor)
          WHERE id = ?`,
      )
      .bind(
        w.finishedAt,
        w.seen,
        w.enforceTwoFactor === null ? null : Number(w.enforceTwoFactor),
        w.integrationId,
      ),
  );
  return statements;
}

/** True when a batch failed because another attempt had taken the run over (see syncWriteStatements). */
export function isLeaseLost(e: unknown): boolean {
  return e instanceof Error && /NOT NULL constraint failed: sync_runs\.status/.test(e.message);
}
