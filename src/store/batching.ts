/**
 * How bulk writes stay within D1's statement limits: rows are passed as one JSON array per
 * statement and expanded with json_each, so any number of rows fits the 100 bound parameters.
 */

/**
 * Rows per bulk statement. D1 limits a statement to 100 KB of SQL (ours is short) and a value to
 * 2 MB; a member serialises to well under 2 KB, so 500 rows stay below 1 MB per bound value.
 */
export const ROWS_PER_STATEMENT = 500;

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
