/**
 * Everything the Worker stored, as text, for the leak checks (test/security/): every D1 table and
 * every KV value. A secret found in either was stored in clear.
 */
import { env } from "cloudflare:test";

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
