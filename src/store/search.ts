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
 * Above this many index hits a search walks the list in order instead. Reading h hits costs h row
 * lookups and a sort; walking costs about page × (list size / matches) rows. Measured per row (a
 * hit ~35 µs, a walked row ~18 µs) the two meet near √(50 × members): ~700 at 10,000 members,
 * ~1,600 at 50,000 (docs/scale.md#search); one fixed limit between the two.
 */
export const SEARCH_MAX_HITS = 1_000;

/** The `q` needle as the walk compares it (lower-cased), and as an FTS5 phrase, or null when too short for the index. */
export function searchPhrase(needle: string): string | null {
  // FTS5 reads its query as a C string: a NUL would end it mid-phrase ("unterminated string").
  if ([...needle].length < TRIGRAM || needle.includes("\u0000")) return null;
  // One quoted FTS5 string: a phrase of the term's trigrams, i.e. the term as a substring.
  return `"${needle.replaceAll('"', '""')}"`;
}

/**
 * The index hits of a phrase, capped at SEARCH_MAX_HITS + 1, within one integration when given:
 * a SELECT of one column `r`, the member's search rowid. The arguments are the placeholders the
 * phrase and the integration id are bound to (the phrase's comes first in the text).
 */
export function hitsQuery(phrase: string, integrationId: string | null): string {
  const base = `(SELECT search_key FROM integrations WHERE id = ${integrationId}) * ${SEARCH_ROWIDS_PER_INTEGRATION}`;
  const range =
    integrationId === null
      ? ""
      : ` AND rowid BETWEEN ${base} AND ${base} + ${SEARCH_ROWIDS_PER_INTEGRATION - 1}`;
  return `SELECT rowid AS r FROM user_account_search WHERE user_account_search MATCH ${phrase}${range} LIMIT ${SEARCH_MAX_HITS + 1}`;
}

/** The condition that picks the index plan (true) or the walk (false), given a `hits` CTE. */
export const FEW_HITS = `(SELECT count(*) FROM hits) <= ${SEARCH_MAX_HITS}`;

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
