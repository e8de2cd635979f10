/**
 * SQL for people (docs/people.md): memberships grouped by lower-cased email. A page is found by
 * walking the person indexes of migrations/0006_people_roster.sql in order, a page's worth of
 * people and no more, and its memberships and roster entries come back in the same query: one D1
 * round trip per page, whatever the table's size.
 */
import { accessOf, displayName } from "../domain/member";
import { type Person, type PersonAccount, personOf } from "../domain/person";
import type { RosterStatus } from "../domain/roster";
import { CURRENT_ROSTER_ID } from "./roster";
import { FEW_HITS, hitsQuery, searchPhrase } from "./search";
import { flagFromColumn, storedGrants } from "./user-accounts-row";

export interface PeopleFilters {
  /** Case-insensitive substring of an email or a name Cloudflare gave. */
  q: string | null;
  rosterStatus: RosterStatus | "unknown" | null;
  /** People with a membership in this integration. */
  integrationId: string | null;
  /** Also people whose memberships were all removed. */
  includeRemoved: boolean;
}

/** Keyset position: the last person (lower-cased email) served. */
export type PersonPosition = [email: string];

interface Row {
  person: string;
  integration_id: string;
  id: string;
  first_name: string | null;
  last_name: string | null;
  status: string;
  roles: string;
  policies: string;
  shape: number;
  two_factor_enabled: number | null;
  first_seen_at: string;
  removed_at: string | null;
  label: string;
  organization_name: string;
  account_id: string;
  roster_id: string | null;
  roster_name: string | null;
  roster_status: RosterStatus | null;
}

/**
 * The memberships and roster entry of each person `page` (a CTE of `person` values) selects, in
 * person order. People only on the roster come back as one row with NULL membership columns.
 */
const ROWS_OF = (page: string, ctes = "") => `WITH ${ctes}page AS (${page}),
  roster AS (${CURRENT_ROSTER_ID})
SELECT page.person, u.integration_id, u.id, u.first_name, u.last_name, u.status, u.roles, u.policies, u.shape,
       u.two_factor_enabled, u.first_seen_at, u.removed_at, i.label, i.organization_name, i.account_id,
       (SELECT id FROM roster) AS roster_id, rp.name AS roster_name, rp.status AS roster_status
  FROM page
  LEFT JOIN user_accounts u ON lower(u.email) = page.person AND u.email <> ''
  LEFT JOIN integrations i ON i.id = u.integration_id
  LEFT JOIN roster_people rp ON rp.upload_id = (SELECT id FROM roster) AND rp.email = page.person
 ORDER BY page.person, u.removed_at IS NOT NULL, i.label, u.id`;

function accountOf(r: Row): PersonAccount {
  const { roles, policies } = storedGrants(r);
  return {
    integrationId: r.integration_id,
    label: r.label,
    organizationName: r.organization_name,
    accountId: r.account_id,
    userAccountId: r.id,
    status: r.status,
    access: accessOf({ roles, policies }),
    twoFactorEnabled: flagFromColumn(r.two_factor_enabled),
    firstSeenAt: r.first_seen_at,
    removedAt: r.removed_at,
  };
}

/** Rows in person order → people, in the same order. */
function peopleOf(rows: Row[]): Person[] {
  const people: Person[] = [];
  let group: Row[] = [];
  const flush = () => {
    const first = group[0];
    if (!first) return;
    const members = group.filter((r) => r.id !== null);
    people.push(
      personOf({
        email: first.person,
        accounts: members.map(accountOf),
        memberNames: members.map((r) => displayName({ firstName: r.first_name, lastName: r.last_name })),
        roster: { exists: first.roster_id !== null, name: first.roster_name, status: first.roster_status },
      }),
    );
    group = [];
  };
  for (const row of rows) {
    if (group.length > 0 && group[0]!.person !== row.person) flush();
    group.push(row);
  }
  flush();
  return people;
}

/**
 * The page CTE: the next `limit + 1` people after `after` that match the filters. A `q` of a
 * trigram or more reads the search index when it has few hits, and walks the person index as
 * without one when it has many (user-accounts-read.ts explains the two arms); `ctes` then holds
 * the `hits` CTE.
 */
function pageQuery(filters: PeopleFilters, after: PersonPosition | null) {
  const values: (string | number)[] = [after?.[0] ?? ""];
  const where = ["u.email <> ''", "lower(u.email) > ?1"];
  const bind = (value: string) => {
    values.push(value);
    return `?${values.length}`;
  };
  const add = (condition: string, value?: string) => {
    where.push(value === undefined ? condition : condition.replaceAll("?", bind(value)));
  };
  if (filters.integrationId !== null) add("u.integration_id = ?", filters.integrationId);
  if (!filters.includeRemoved) add("u.removed_at IS NULL");
  const needle = filters.q?.toLowerCase() ?? null;
  if (needle !== null) {
    // instr, not LIKE: % and _ in the search are ordinary characters.
    add(
      "(instr(lower(u.email), ?) > 0 OR instr(lower(ifnull(u.first_name, '') || ' ' || ifnull(u.last_name, '')), ?) > 0)",
      needle,
    );
  }
  const onRoster = `SELECT 1 FROM roster_people rp
                     WHERE rp.upload_id = (${CURRENT_ROSTER_ID}) AND rp.email = lower(u.email)`;
  if (filters.rosterStatus === "unknown") add(`EXISTS (${CURRENT_ROSTER_ID}) AND NOT EXISTS (${onRoster})`);
  else if (filters.rosterStatus !== null) add(`EXISTS (${onRoster} AND rp.status = ?)`, filters.rosterStatus);
  const phrase = needle === null ? null : searchPhrase(needle);
  const ctes =
    phrase === null
      ? ""
      : `hits AS (${hitsQuery(bind(phrase), filters.integrationId === null ? null : bind(filters.integrationId))}), `;
  // After every bind: the page size is bound last.
  const arm = (from: string, extra: string[] = []) =>
    `SELECT lower(u.email) AS person FROM ${from} WHERE ${[...where, ...extra].join(" AND ")}
      GROUP BY lower(u.email) ORDER BY lower(u.email) LIMIT ?${values.length + 1}`;
  if (phrase === null) return { sql: arm("user_accounts u"), values, ctes };
  return {
    sql: `SELECT person FROM (${arm("hits CROSS JOIN user_accounts u ON u.search_rowid = hits.r", [FEW_HITS])})
           UNION ALL
          SELECT person FROM (${arm("user_accounts u", [`NOT ${FEW_HITS}`])})
          ORDER BY person`,
    values,
    ctes,
  };
}

/** A page of people in email order. */
export async function listPeople(
  db: D1Database,
  filters: PeopleFilters,
  after: PersonPosition | null,
  limit: number,
): Promise<{ people: Person[]; last: PersonPosition | null; more: boolean }> {
  const page = pageQuery(filters, after);
  const { results } = await db
    .prepare(ROWS_OF(page.sql, page.ctes))
    .bind(...page.values, limit + 1)
    .all<Row>();
  const people = peopleOf(results);
  const served = people.slice(0, limit);
  const lastPerson = served.at(-1);
  return { people: served, last: lastPerson ? [lastPerson.email] : null, more: people.length > limit };
}

/** One person by email (any case): their memberships, current and removed, and roster entry. */
export async function getPerson(db: D1Database, email: string): Promise<Person | null> {
  const { results } = await db.prepare(ROWS_OF("SELECT lower(trim(?1)) AS person")).bind(email).all<Row>();
  const [person] = peopleOf(results);
  if (
    !person ||
    (person.accounts.length === 0 && person.rosterStatus !== "active" && person.rosterStatus !== "leaver")
  ) {
    return null;
  }
  return person;
}
