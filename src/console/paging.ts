/**
 * Query strings of the console's list pages (docs/console.md#pages): the filter form's fields as
 * the API's query, and keyset Next/Previous links. The API's cursors only go forward, so a page
 * link carries the cursors of the pages before it (`back`, newest last): Previous pops one.
 */
import type { ConsoleContext } from "./context";

/** Cursors kept for Previous; older pages are reached with First page. */
const MAX_BACK = 30;
/** Stands for "the first page" in `back` (cursors are base64url, never this). */
const FIRST = "0";

/** The request's query without empty fields (an empty select means "any") and without `back`. */
export function filterQuery(c: ConsoleContext): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(c.req.query())) {
    if (value !== "" && name !== "back") query[name] = value;
  }
  return query;
}

const href = (path: string, params: Record<string, string>) => {
  const search = new URLSearchParams(params).toString();
  return search ? `${path}?${search}` : path;
};

/** A link to `path` with the filters only (no cursor): first page, CSV, clearing the cursor. */
export const filterHref = (path: string, query: Record<string, string>) => {
  const { cursor: _cursor, limit: _limit, format: _format, ...filters } = query;
  return href(path, filters);
};

/** First, Previous and Next links for the page shown with `query` (its `cursor`) and `back`. */
export function pagerLinks(
  c: ConsoleContext,
  path: string,
  query: Record<string, string>,
  next: string | null,
) {
  const back = (c.req.query("back") ?? "").split(".").filter((b) => b !== "");
  const { cursor, ...rest } = query;
  const filters = { ...rest };
  const nextHref = next
    ? href(path, { ...filters, cursor: next, back: [...back, cursor ?? FIRST].slice(-MAX_BACK).join(".") })
    : null;
  let prevHref: string | null = null;
  const previous = back[back.length - 1];
  if (previous !== undefined) {
    const remaining = back.slice(0, -1).join(".");
    prevHref = href(path, {
      ...filters,
      ...(previous === FIRST ? {} : { cursor: previous }),
      ...(remaining ? { back: remaining } : {}),
    });
  }
  const firstHref = cursor && previous !== FIRST ? href(path, filters) : null;
  return { next: nextHref, prev: prevHref, first: firstHref };
}
