/**
 * The search index behind `q=` (docs/storage.md#search-index): a trigram full-text table over each
 * member's email and "first last" name, kept by triggers (migrations/0008_search_index.sql). This
 * module builds the pieces of SQL that read it; the list queries (user-accounts-read.ts,
 * people.ts) decide per request whether the index or the ordered walk serves a search.
 *
 * The index only narrows: every hit is still tested with the same `instr` conditions as the walk,
 * so both plans return exactly the same rows and the index's own notion of case folding never
 * leaks into results.
 */

/** Each integration's search rowids are `search_key × 2^32 …`: one integration's hits form one range. */
export const SEARCH_ROWIDS_PER_INTEGRATION = 4_294_967_296;

/** The trigram tokenizer matches nothing shorter than one trigram; shorter terms use the walk. */
const TRIGRAM = 3;

/**
 * Above this many index hits a search never sorts them. People: it walks the person index in
 * order instead (reading h hits costs h row lookups and a sort; walking costs about page × (list
 * size / matches) rows). Account lists: the hits are matched against the list index (`keys`).
 */
export const SEARCH_MAX_HITS = 1_000;

/**
 * Account lists: a hit looked up and sorted costs about as much as SORT_COST list-index entries
 * walked by the keys plan (from the bench: 187 hits sorted at 10,000 members served 0.85× the
 * plain page, ~5,400 entries walked 0.64–0.80×; docs/scale.md#search). So h hits are sorted when
 * SORT_COST × h ≤ (limit + 1) × members ÷ h, the entries the keys plan would walk: up to ~320
 * hits at 10,000 members, ~710 at 50,000, for a page of 100.
 */
export const SORT_COST = 10;
/**
 * A page whose first DENSE_PROBE × (limit + 1) list entries (after the cursor) match the term by
 * email at least limit + 1 times is walked in order without the index (`walk`): a term in half the
 * list fills a page within twice its rows, cheaper than reading its hits.
 */
export const DENSE_PROBE = 2;

/** The plan that serves one page of a search (docs/storage.md#how-a-search-is-served). */
export type SearchPlan = "sort" | "keys" | "walk";

/** The `q` needle as the walk compares it (lower-cased), and as an FTS5 phrase, or null when too short for the index. */
export function searchPhrase(needle: string): string | null {
  // FTS5 reads its query as a C string: a NUL would end it mid-phrase ("unterminated string").
  if ([...needle].length < TRIGRAM || needle.includes("\u0000")) return null;
  // One quoted FTS5 string: a phrase of the term's trigrams, i.e. the term as a substring.
  return `"${needle.replaceAll('"', '""')}"`;
}

/**
 * The index hits of a phrase within one integration when given, capped at `cap` rows when given:
 * a SELECT of one column `r`, the member's search rowid. The arguments are the placeholders the
 * phrase and the integration id are bound to.
 */
export function hitsQuery(
  phrase: string,
  integrationId: string | null,
  cap: number | null = SEARCH_MAX_HITS + 1,
): string {
  const base = `(SELECT search_key FROM integrations WHERE id = ${integrationId}) * ${SEARCH_ROWIDS_PER_INTEGRATION}`;
  const range =
    integrationId === null
      ? ""
      : ` AND rowid BETWEEN ${base} AND ${base} + ${SEARCH_ROWIDS_PER_INTEGRATION - 1}`;
  const limit = cap === null ? "" : ` LIMIT ${cap}`;
  return `SELECT rowid AS r FROM user_account_search WHERE user_account_search MATCH ${phrase}${range}${limit}`;
}

/** The condition that picks the index plan (true) or the walk (false), given a `hits` CTE (people). */
export const FEW_HITS = `(SELECT count(*) FROM hits) <= ${SEARCH_MAX_HITS}`;

/**
 * The `plan` CTE of an account-list search: one row, one column `arm`, evaluated once per
 * statement and only as far as needed — a dense term never reads the index, any other reads at
 * most SEARCH_MAX_HITS + 1 hits to be told apart. `probe` is a SELECT of one column `e`: the emails
 * of the next list entries in order, as many as the dense test reads; `needle` and `page` are the
 * placeholders of the lower-cased term and limit + 1; `hits` the hits capped at SEARCH_MAX_HITS + 1;
 * `members` an expression for the current members of the list searched.
 */
export function planCte(probe: string, needle: string, page: string, hits: string, members: string): string {
  return `plan AS MATERIALIZED (SELECT CASE
      WHEN (SELECT count(*) FROM (${probe}) WHERE instr(lower(e), ${needle}) > 0) >= ${page} THEN 'walk'
      WHEN (SELECT h <= ${SEARCH_MAX_HITS} AND ${SORT_COST} * h * h <= ${page} * (${members})
              FROM (SELECT count(*) AS h FROM (${hits}))) THEN 'sort'
      ELSE 'keys' END AS arm)`;
}

/**
 * The LIMIT of one arm of an account-list search: `rows` when the plan chose it, else 0. A LIMIT,
 * not a WHERE test: SQLite evaluates a LIMIT once, before the arm's loop, and runs no loop at all
 * for LIMIT 0, where a WHERE test on the plan could be left inside the loop and checked per row.
 */
export const armLimit = (arm: SearchPlan, rows: string) =>
  `(SELECT CASE arm WHEN '${arm}' THEN ${rows} ELSE 0 END FROM plan)`;

/**
 * The search rowid a member inserted by a statement gets: after the highest one its integration
 * (bound as ?1) has used, plus its position `j.key` in the statement's JSON array. Evaluated once
 * per statement, before its rows are inserted.
 */
export const NEXT_SEARCH_ROWID = `ifnull(
    (SELECT u.search_rowid FROM integrations k JOIN user_accounts u
        ON u.search_rowid BETWEEN k.search_key * ${SEARCH_ROWIDS_PER_INTEGRATION}
                              AND k.search_key * ${SEARCH_ROWIDS_PER_INTEGRATION} + ${SEARCH_ROWIDS_PER_INTEGRATION - 1}
      WHERE k.id = ?1 ORDER BY u.search_rowid DESC LIMIT 1),
    (SELECT search_key * ${SEARCH_ROWIDS_PER_INTEGRATION} FROM integrations WHERE id = ?1)) + j.key + 1`;
