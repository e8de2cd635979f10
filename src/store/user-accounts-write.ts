/**
 * SQL writing the user_accounts table for one sync's diff: upserts for new and restored members,
 * in-place updates for changed ones, and removals. Each returns statements for the sync's one
 * transactional batch (store/sync-batch.ts).
 */
import type { Changes, MemberDiff } from "../domain/diff";
import { accessNames, MEMBER_SHAPE, type Member, type TrackedField } from "../domain/member";
import { chunks, ROWS_PER_STATEMENT } from "./batching";
import { type RowSource, rowSourceSql } from "./row-source";
import { NEXT_SEARCH_ROWID } from "./search";
import { emailToColumn } from "./user-accounts-row";

/** A member as the JSON object json_each expands into a row. */
export const toRow = (m: Member) => ({
  id: m.id,
  userId: m.userId,
  email: emailToColumn(m.email),
  firstName: m.firstName,
  lastName: m.lastName,
  status: m.status,
  roles: m.roles,
  policies: m.policies,
  twoFactor: m.twoFactorEnabled === null ? null : Number(m.twoFactorEnabled),
  apiAccess: m.apiAccessEnabled === null ? null : Number(m.apiAccessEnabled),
  accessNames: accessNames(m),
});

/** Member fields stored in indexed columns, with the column and the key `toRow` gives them. */
const INDEXED_COLUMNS = [
  { field: "email", column: "email", json: "email" },
  { field: "status", column: "status", json: "status" },
  { field: "twoFactorEnabled", column: "two_factor_enabled", json: "twoFactor" },
] as const satisfies readonly { field: TrackedField; column: string; json: keyof ReturnType<typeof toRow> }[];

/**
 * New and restored members: one upsert (a restored row also leaves the removed_at index). A new
 * row gets its search rowid here, and a trigger indexes it in the same statement; a restored row
 * keeps the one it had.
 */
export function upsertStatements(
  db: D1Database,
  integrationId: string,
  seenAt: string,
  members: readonly Member[],
  invitations: ReadonlyMap<string, { time: string; by: string | null }> = new Map(),
): D1PreparedStatement[] {
  return chunks(upsertRows(members, invitations), ROWS_PER_STATEMENT).map((chunk) =>
    upsertFrom(db, integrationId, seenAt, { json: JSON.stringify(chunk) }),
  );
}

/** The rows upsertFrom reads: each member with its invitation, when the audit log named one. */
export function upsertRows(
  members: readonly Member[],
  invitations: ReadonlyMap<string, { time: string; by: string | null }>,
) {
  return members.map((m) => {
    const invited = invitations.get(m.id);
    return { ...toRow(m), invitedAt: invited?.time ?? null, invitedBy: invited?.by ?? null };
  });
}

/** One upsert of the rows `source` holds (upsertRows' shape). */
export function upsertFrom(
  db: D1Database,
  integrationId: string,
  seenAt: string,
  source: RowSource,
): D1PreparedStatement {
  const src = rowSourceSql(source, 4);
  // The search rowid counts rows by their position in the statement, whatever the source.
  const nextSearchRowid = NEXT_SEARCH_ROWID.replace("j.key", src.position);
  return db
    .prepare(
      `INSERT INTO user_accounts (integration_id, id, user_id, email, first_name, last_name, status, roles,
         policies, two_factor_enabled, api_access_enabled, access_names, shape, first_seen_at, last_seen_at,
         removed_at, invited_at, invited_by, search_rowid)
       SELECT ?1, j.value ->> 'id', j.value ->> 'userId', j.value ->> 'email', j.value ->> 'firstName',
              j.value ->> 'lastName', j.value ->> 'status', j.value -> 'roles', j.value -> 'policies',
              j.value ->> 'twoFactor', j.value ->> 'apiAccess', j.value ->> 'accessNames', ?3, ?2, ?2, NULL,
              j.value ->> 'invitedAt', j.value ->> 'invitedBy', ${nextSearchRowid}
         FROM ${src.from}
        WHERE ${src.where} -- SQLite needs a WHERE here, or it reads ON CONFLICT as a join's ON
       ON CONFLICT (integration_id, id) DO UPDATE SET
         user_id = excluded.user_id, email = excluded.email, first_name = excluded.first_name,
         last_name = excluded.last_name, status = excluded.status, roles = excluded.roles,
         policies = excluded.policies, two_factor_enabled = excluded.two_factor_enabled,
         api_access_enabled = excluded.api_access_enabled, access_names = excluded.access_names,
         shape = excluded.shape, last_seen_at = excluded.last_seen_at, removed_at = NULL,
         invited_at = COALESCE(user_accounts.invited_at, excluded.invited_at),
         invited_by = CASE WHEN user_accounts.invited_at IS NULL THEN excluded.invited_by ELSE user_accounts.invited_by END`,
    )
    .bind(integrationId, seenAt, MEMBER_SHAPE, ...src.binds);
}

/**
 * Changed members (and unchanged ones stored in an older format), updated in place. Each statement names only the indexed columns its members
 * changed: SQLite rewrites an index entry whenever its column is assigned, even to the same value,
 * and D1 counts every index entry written. So members are grouped by which of email / status /
 * 2FA changed — keyed by the assignments that adds to the statement (at most 8 groups; roles-only
 * changes touch no index).
 */
export function updateStatements(
  db: D1Database,
  integrationId: string,
  updated: readonly { member: Member; changes: Changes | null }[],
): D1PreparedStatement[] {
  return [...updateGroups(updated)].flatMap(([group, rows]) =>
    chunks(rows, ROWS_PER_STATEMENT).map((chunk) =>
      updateFrom(db, integrationId, group, { json: JSON.stringify(chunk) }),
    ),
  );
}

/** Changed members grouped by the indexed columns they changed (the key: those columns, comma-separated). */
export function updateGroups(
  updated: readonly { member: Member; changes: Changes | null }[],
): Map<string, ReturnType<typeof toRow>[]> {
  const groups = new Map<string, ReturnType<typeof toRow>[]>();
  for (const { member, changes } of updated) {
    const key = INDEXED_COLUMNS.filter((c) => changes !== null && c.field in changes)
      .map((c) => c.column)
      .join(",");
    const group = groups.get(key);
    if (group) group.push(toRow(member));
    else groups.set(key, [toRow(member)]);
  }
  return groups;
}

/** One in-place update of the rows `source` holds, assigning the indexed columns the group names. */
export function updateFrom(
  db: D1Database,
  integrationId: string,
  group: string,
  source: RowSource,
): D1PreparedStatement {
  const assigned = INDEXED_COLUMNS.filter((c) => group.split(",").includes(c.column))
    .map((c) => `, ${c.column} = j.value ->> '${c.json}'`)
    .join("");
  const src = rowSourceSql(source, 3);
  return db
    .prepare(
      `UPDATE user_accounts
          SET user_id = j.value ->> 'userId', first_name = j.value ->> 'firstName',
              last_name = j.value ->> 'lastName', roles = j.value -> 'roles', policies = j.value -> 'policies',
              api_access_enabled = j.value ->> 'apiAccess', access_names = j.value ->> 'accessNames',
              shape = ?2${assigned}
         FROM ${src.from}
        WHERE ${src.where} AND user_accounts.integration_id = ?1 AND user_accounts.id = j.value ->> 'id'`,
    )
    .bind(integrationId, MEMBER_SHAPE, ...src.binds);
}

/** Members no longer listed: marked removed, last seen at the previous successful sync. */
export function removeStatements(
  db: D1Database,
  w: RemovalTime,
  removed: MemberDiff["removed"],
): D1PreparedStatement[] {
  return chunks(
    removed.map((r) => ({ id: r.id })),
    ROWS_PER_STATEMENT * 4,
  ).map((chunk) => removeFrom(db, w, { json: JSON.stringify(chunk) }));
}

export interface RemovalTime {
  integrationId: string;
  removedAt: string;
  previousSuccessAt: string | null;
}

/** Marks removed the members `source` names (`{ id }` rows). */
export function removeFrom(db: D1Database, w: RemovalTime, source: RowSource): D1PreparedStatement {
  const src = rowSourceSql(source, 4);
  return db
    .prepare(
      `UPDATE user_accounts SET removed_at = ?1, last_seen_at = COALESCE(?2, last_seen_at)
        WHERE integration_id = ?3 AND removed_at IS NULL
          AND id IN (SELECT j.value ->> 'id' FROM ${src.from} WHERE ${src.where})`,
    )
    .bind(w.removedAt, w.previousSuccessAt, w.integrationId, ...src.binds);
}

/**
 * When and by whom each invitation was made, from the audit log: kept once found (an invitation
 * is made once; a later re-invite keeps the first). Rows that already have it are not written.
 */
export function invitationStatements(
  db: D1Database,
  integrationId: string,
  invitations: readonly { memberId: string; time: string; by: string | null }[],
): D1PreparedStatement[] {
  if (invitations.length === 0) return [];
  return chunks(invitations, ROWS_PER_STATEMENT).map((chunk) =>
    db
      .prepare(
        `UPDATE user_accounts SET invited_at = j.value ->> 'time', invited_by = j.value ->> 'by'
           FROM json_each(?2) AS j
          WHERE user_accounts.integration_id = ?1 AND user_accounts.id = j.value ->> 'memberId'
            AND user_accounts.invited_at IS NULL`,
      )
      .bind(integrationId, JSON.stringify(chunk)),
  );
}
