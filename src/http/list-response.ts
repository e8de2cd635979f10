/**
 * The one way a list route answers (docs/api.md#limits): a keyset page of JSON with an opaque
 * cursor bound to the query, or — with `format=csv` or `Accept: text/csv` — the whole filtered
 * list as CSV, streamed a D1 page at a time.
 */
import type { Context } from "hono";
import type { Keyring } from "../vault/keyring";
import type { HonoEnv } from "./context";
import { csvDownload, csvFileName, wantsCsv } from "./csv-response";
import { nextCursor, readCursor } from "./params";

/** Rows per D1 query while streaming CSV: large pages, few round trips, bounded memory. */
export const CSV_PAGE = 500;

/** A keyset page from the store. */
export interface StorePage<T, P> {
  items: T[];
  last: P | null;
  more: boolean;
}

export interface ListSpec<T, P extends unknown[]> {
  /** Names the cursor scope and the CSV file, e.g. "accounts". */
  kind: string;
  /** The filters the cursor is bound to. */
  filters: unknown;
  query: { limit?: number; cursor?: string; format?: "json" | "csv" };
  defaultLimit: number;
  isPosition: (p: unknown[]) => p is P;
  page: (after: P | null, limit: number) => Promise<StorePage<T, P>>;
  csv: {
    header: string[];
    record: (item: T) => (string | number | boolean | null | undefined)[];
    label: () => Promise<string>;
  };
  /** Called when a JSON page comes back empty (e.g. to 404 an unknown integration). */
  onEmpty?: () => Promise<void>;
  /** Fields served before `data` on every JSON page (e.g. the roster's summary). */
  meta?: () => Promise<Record<string, unknown>>;
}

export async function listResponse<T, P extends unknown[]>(c: Context<HonoEnv>, spec: ListSpec<T, P>) {
  if (wantsCsv(c, spec.query.format)) return csvResponse(spec);
  const page = await keysetPage(c.get("config").keyring, spec);
  const meta = (await spec.meta?.()) ?? {};
  return c.json({ ...meta, ...page }, 200);
}

/** The whole filtered list as a streamed CSV download (the console's CSV link answers with it too). */
export async function csvResponse<T, P extends unknown[]>(spec: ListSpec<T, P>): Promise<Response> {
  return csvDownload(
    spec.csv.header,
    csvFileName(spec.kind, await spec.csv.label()),
    async (after: P | null) => {
      const page = await spec.page(after, CSV_PAGE);
      return { rows: page.items.map(spec.csv.record), next: page.more ? page.last : null };
    },
  );
}

/**
 * One keyset page and the cursor of the next: the JSON answer above (without `meta`), and what
 * the console's list pages render (src/console/), so a cursor from either works in the other.
 */
export async function keysetPage<T, P extends unknown[]>(
  keyring: Keyring,
  spec: ListSpec<T, P>,
): Promise<{ data: T[]; nextCursor: string | null }> {
  const scope = JSON.stringify([spec.kind, spec.filters]);
  const after = await readCursor(keyring, scope, spec.query.cursor, spec.isPosition);
  const page = await spec.page(after, spec.query.limit ?? spec.defaultLimit);
  if (page.items.length === 0) await spec.onEmpty?.();
  return { data: page.items, nextCursor: await nextCursor(keyring, scope, page) };
}
