/**
 * CSV downloads (docs/api.md#user-accounts): the whole filtered list, streamed a D1 page at a time,
 * so a large export holds one page in memory, never the list.
 */
import type { Context } from "hono";
import { csvRow } from "../lib/csv";

type Cells = Parameters<typeof csvRow>[0];

/** One page of rows and where the next page starts (null: this was the last). */
export interface CsvPage<P> {
  rows: Cells[];
  next: P | null;
}

/** True when the client asked for CSV: `format=csv`, or `Accept: text/csv` without a format. */
export const wantsCsv = (c: Context, format: string | undefined): boolean =>
  format === "csv" || (format === undefined && /\btext\/csv\b/.test(c.req.header("Accept") ?? ""));

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 60) || "integration";

/** `cloudflare-<what>-<label>-<date>.csv` */
export const csvFileName = (what: string, label: string) =>
  `cloudflare-${what}-${slug(label)}-${new Date().toISOString().slice(0, 10)}.csv`;

/** A streamed CSV: the header row, then `page(after)` until it says there is no next page. */
export function csvDownload<P>(
  header: string[],
  fileName: string,
  page: (after: P | null) => Promise<CsvPage<P>>,
): Response {
  const encoder = new TextEncoder();
  let after: P | null = null;
  let headerSent = false;
  let done = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(csvRow(header)));
        return;
      }
      if (done) return controller.close();
      const next = await page(after);
      controller.enqueue(encoder.encode(next.rows.map(csvRow).join("")));
      after = next.next;
      if (after === null) done = true;
    },
  });
  return new Response(body, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${fileName}"`,
    },
  });
}
