/**
 * SQL for the api_tokens table (docs/sources.md#api-tokens): the stored inventory a sync diffs
 * against, its writes, and the served list (keyset pages on name, id).
 */
import type { ApiToken } from "../domain/api-token";
import type { StoredApiToken, TokenDiff } from "../domain/api-token-diff";
import { type AccessGrant, accessOf, type MemberPolicy } from "../domain/member";
import { chunks, ROWS_PER_STATEMENT } from "./batching";

interface ApiTokenRow {
  integration_id: string;
  id: string;
  name: string;
  status: string;
  issued_on: string | null;
  modified_on: string | null;
  expires_on: string | null;
  last_used_on: string | null;
  ip_restricted: number;
  policies: string;
  first_seen_at: string;
  removed_at: string | null;
}

/** An API token as the API serves it. */
export interface ServedApiToken {
  id: string;
  integrationId: string;
  name: string;
  status: string;
  issuedOn: string | null;
  modifiedOn: string | null;
  expiresOn: string | null;
  lastUsedOn: string | null;
  ipRestricted: boolean;
  access: AccessGrant[];
  firstSeenAt: string;
  removedAt: string | null;
}

const tokenFromRow = (r: ApiTokenRow): StoredApiToken => ({
  id: r.id,
  name: r.name,
  status: r.status,
  issuedOn: r.issued_on,
  modifiedOn: r.modified_on,
  expiresOn: r.expires_on,
  lastUsedOn: r.last_used_on,
  ipRestricted: r.ip_restricted === 1,
  policies: JSON.parse(r.policies) as MemberPolicy[],
  removedAt: r.removed_at,
});

/** Every stored token of the integration, removed ones included (a token can come back). */
export async function listStoredApiTokens(db: D1Database, integrationId: string): Promise<StoredApiToken[]> {
  const { results } = await db
    .prepare("SELECT * FROM api_tokens WHERE integration_id = ?")
    .bind(integrationId)
    .all<ApiTokenRow>();
  return results.map(tokenFromRow);
}

/** A token as the JSON object json_each expands into a row (the flag as 0/1). */
const toJson = (t: ApiToken) => ({ ...t, ipRestricted: t.ipRestricted ? 1 : 0 });

/** New, changed and touched tokens in one upsert per chunk; removed ones marked removed. */
export function apiTokenWriteStatements(
  db: D1Database,
  w: { integrationId: string; seenAt: string },
  diff: TokenDiff,
): D1PreparedStatement[] {
  const upserts = [...diff.added, ...diff.updated.map((u) => u.token), ...diff.touched].map(toJson);
  const statements = chunks(upserts, ROWS_PER_STATEMENT).map((chunk) =>
    db
      .prepare(
        `INSERT INTO api_tokens (integration_id, id, name, status, issued_on, modified_on, expires_on, last_used_on,
           ip_restricted, policies, first_seen_at, removed_at)
         SELECT ?1, j.value ->> 'id', j.value ->> 'name', j.value ->> 'status', j.value ->> 'issuedOn',
                j.value ->> 'modifiedOn', j.value ->> 'expiresOn', j.value ->> 'lastUsedOn',
                j.value ->> 'ipRestricted', j.value -> 'policies', ?2, NULL
           FROM json_each(?3) AS j
          WHERE true -- SQLite needs a WHERE here, or it reads ON CONFLICT as a join's ON
         ON CONFLICT (integration_id, id) DO UPDATE SET
           name = excluded.name, status = excluded.status, issued_on = excluded.issued_on,
           modified_on = excluded.modified_on, expires_on = excluded.expires_on,
           last_used_on = excluded.last_used_on, ip_restricted = excluded.ip_restricted,
           policies = excluded.policies, removed_at = NULL`,
      )
      .bind(w.integrationId, w.seenAt, JSON.stringify(chunk)),
  );
  if (diff.removed.length > 0) {
    statements.push(
      db
        .prepare(
          `UPDATE api_tokens SET removed_at = ?1
            WHERE integration_id = ?2 AND removed_at IS NULL AND id IN (SELECT value FROM json_each(?3))`,
        )
        .bind(w.seenAt, w.integrationId, JSON.stringify(diff.removed.map((t) => t.id))),
    );
  }
  return statements;
}

export interface ApiTokenFilters {
  integrationId: string | null;
  includeRemoved: boolean;
}

/** Keyset position: (name, id, integration id) of the last token served. */
export type ApiTokenPosition = [name: string, id: string, integrationId: string];

export async function listServedApiTokens(
  db: D1Database,
  filters: ApiTokenFilters,
  after: ApiTokenPosition | null,
  limit: number,
): Promise<{ tokens: ServedApiToken[]; last: ApiTokenPosition | null; more: boolean }> {
  const where: string[] = [];
  const values: (string | number)[] = [];
  if (filters.integrationId !== null) {
    where.push("integration_id = ?");
    values.push(filters.integrationId);
  }
  if (!filters.includeRemoved) where.push("removed_at IS NULL");
  if (after) {
    where.push("(name, id, integration_id) > (?, ?, ?)");
    values.push(...after);
  }
  const { results } = await db
    .prepare(
      `SELECT * FROM api_tokens ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
        ORDER BY name, id, integration_id LIMIT ?`,
    )
    .bind(...values, limit + 1)
    .all<ApiTokenRow>();
  const page = results.slice(0, limit);
  const lastRow = page.at(-1);
  return {
    tokens: page.map((r) => {
      const t = tokenFromRow(r);
      return {
        id: t.id,
        integrationId: r.integration_id,
        name: t.name,
        status: t.status,
        issuedOn: t.issuedOn,
        modifiedOn: t.modifiedOn,
        expiresOn: t.expiresOn,
        lastUsedOn: t.lastUsedOn,
        ipRestricted: t.ipRestricted,
        access: accessOf({ roles: [], policies: t.policies }),
        firstSeenAt: r.first_seen_at,
        removedAt: t.removedAt,
      };
    }),
    last: lastRow ? [lastRow.name, lastRow.id, lastRow.integration_id] : null,
    more: results.length > limit,
  };
}
