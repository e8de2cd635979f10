/**
 * Everything a secret could leak into, as text, for the leak checks (test/security/): every line
 * printed while a test file runs, every D1 table and every KV value.
 */
import { env } from "cloudflare:test";
import { afterAll, beforeAll, vi } from "vitest";

/** Records every console line of the calling test file (still printed); returns the live list. */
export function capturePrintedLines(): string[] {
  const lines: string[] = [];
  const spies: ReturnType<typeof vi.spyOn>[] = [];
  beforeAll(() => {
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      const original = console[level].bind(console);
      spies.push(
        vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
          lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
          original(...args);
        }),
      );
    }
  });
  afterAll(() => {
    for (const spy of spies) spy.mockRestore();
  });
  return lines;
}

export async function dumpD1(): Promise<string> {
  // Virtual tables are skipped: the contentless search index cannot be scanned and holds no text
  // of its own; its shadow tables (user_account_search_data, …) are ordinary tables, dumped below.
  const { results: tables } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'",
  ).all<{ name: string }>();
  const parts: string[] = [];
  for (const { name } of tables) {
    const { results } = await env.DB.prepare(`SELECT * FROM "${name}"`).all();
    parts.push(`${name}: ${JSON.stringify(results)}`);
  }
  return parts.join("\n");
}

export async function dumpKv(): Promise<string> {
  const parts: string[] = [];
  let cursor: string | undefined;
  do {
    const page: KVNamespaceListResult<unknown> = await env.CREDENTIALS.list({ cursor });
    for (const key of page.keys) parts.push(`${key.name}=${await env.CREDENTIALS.get(key.name)}`);
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return parts.join("\n");
}
