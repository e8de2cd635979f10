/** SQL for the integrations table (docs/api.md#integrations). */
import type { ShownSourceState, SourceName, SourceState } from "../domain/source";
import { type SyncRun, type SyncRunRow, syncRunFromRow } from "./sync-runs";

export interface Integration {
  id: string;
  label: string;
  organizationName: string;
  accountId: string;
  enabled: boolean;
  status: "ok" | "error" | "pending";
  createdAt: string;
  updatedAt: string;
  lastSync: SyncRun | null;
  lastSuccessfulSyncAt: string | null;
  accountCount: number;
  enforceTwoFactor: boolean | null;
  tokenExpiresAt: string | null;
  sources: SourceStates;
  /** What to do about each source that is not ok. */
  sourceMessages: Partial<Record<keyof SourceStates, string>>;
  sso: { enabled: boolean; emailDomains: string[] } | null;
  /** Email domains the organisation owns; empty turns the external_member finding off. */
  allowedEmailDomains: string[];
}

/** Each source's state after the latest sync (docs/sources.md). */
export type SourceStates = Record<"members" | SourceName, ShownSourceState>;

/** What the latest sync recorded per source: its state and, unless ok, what to do. */
export type StoredSources = Record<keyof SourceStates, { state: SourceState; message: string | null }>;

const PENDING_SOURCES: SourceStates = {
  members: "pending",
  auditLog: "pending",
  apiTokens: "pending",
  sso: "pending",
};

export interface IntegrationRow {
  id: string;
  label: string;
  organization_name: string;
  account_id: string;
  enabled: number;
  status: Integration["status"];
  token_kind: "user" | "account";
  credential_key_id: string;
  enforce_two_factor: number | null;
  token_expires_at: string | null;
  created_at: string;
  updated_at: string;
  last_sync_id: string | null;
  last_successful_sync_at: string | null;
  account_count: number;
  /** JSON StoredSources, NULL before the first sync. */
  sources: string | null;
  /** JSON {enabled, emailDomains}, NULL until the SSO connectors were read. */
  sso: string | null;
  audit_watermark: string | null;
  /** JSON array of lower-cased domains. */
  allowed_email_domains: string;
}

function sourcesOf(json: string | null): Pick<Integration, "sources" | "sourceMessages"> {
  if (!json) return { sources: PENDING_SOURCES, sourceMessages: {} };
  const stored = JSON.parse(json) as StoredSources;
  const sources = { ...PENDING_SOURCES };
  const sourceMessages: Integration["sourceMessages"] = {};
  for (const key of Object.keys(sources) as (keyof SourceStates)[]) {
    if (stored[key]) sources[key] = stored[key].state;
    if (stored[key]?.message) sourceMessages[key] = stored[key].message;
  }
  return { sources, sourceMessages };
}

type JoinedRow = IntegrationRow & { [K in keyof SyncRunRow as `run_${K}`]: SyncRunRow[K] | null };

const RUN_COLUMNS = [
  "id",
  "integration_id",
  "trigger",
  "status",
  "queued_at",
  "started_at",
  "finished_at",
  "api_requests",
  "pages",
  "seen",
  "added",
  "updated",
  "removed",
  "unchanged",
  "error_code",
  "error_message",
  "lease_token",
  "lease_until",
  "attempts",
  "source_stats",
  "staged_pages_expected",
  "pages_listed",
] as const;

const SELECT_JOINED = `SELECT i.*, ${RUN_COLUMNS.map((c) => `r.${c} AS run_${c}`).join(", ")}
  FROM integrations i LEFT JOIN sync_runs r ON r.id = i.last_sync_id`;

function fromJoined(row: JoinedRow): Integration {
  let lastSync: SyncRun | null = null;
  if (row.run_id !== null) {
    const run = Object.fromEntries(RUN_COLUMNS.map((c) => [c, row[`run_${c}`]])) as unknown as SyncRunRow;
    lastSync = syncRunFromRow(run);
  }
  return {
    id: row.id,
    label: row.label,
    organizationName: row.organization_name,
    accountId: row.account_id,
    enabled: row.enabled === 1,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastSync,
    lastSuccessfulSyncAt: row.last_successful_sync_at,
    accountCount: row.account_count,
    enforceTwoFactor: row.enforce_two_factor === null ? null : row.enforce_two_factor === 1,
    tokenExpiresAt: row.token_expires_at,
    ...sourcesOf(row.sources),
    sso: row.sso ? JSON.parse(row.sso) : null,
    allowedEmailDomains: JSON.parse(row.allowed_email_domains) as string[],
  };
}

export async function getIntegration(db: D1Database, id: string): Promise<Integration | null> {
  const row = await db.prepare(`${SELECT_JOINED} WHERE i.id = ?`).bind(id).first<JoinedRow>();
  return row ? fromJoined(row) : null;
}

export async function getIntegrationRow(db: D1Database, id: string): Promise<IntegrationRow | null> {
  return db.prepare("SELECT * FROM integrations WHERE id = ?").bind(id).first<IntegrationRow>();
}

/** Oldest first, so a new integration never reorders the ones a client already saw. */
export async function listIntegrations(db: D1Database): Promise<Integration[]> {
  const { results } = await db.prepare(`${SELECT_JOINED} ORDER BY i.created_at, i.id`).all<JoinedRow>();
  return results.map(fromJoined);
}

export function insertIntegrationStatement(db: D1Database, row: IntegrationRow): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO integrations (id, label, organization_name, account_id, enabled, status, token_kind,
         credential_key_id, enforce_two_factor, token_expires_at, created_at, updated_at, search_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT ifnull(max(search_key), 0) + 1 FROM integrations))`,
    )
    .bind(
      row.id,
      row.label,
      row.organization_name,
      row.account_id,
      row.enabled,
      row.status,
      row.token_kind,
      row.credential_key_id,
      row.enforce_two_factor,
      row.token_expires_at,
      row.created_at,
      row.updated_at,
    );
}

/** True when a D1 error is the (account, label) uniqueness refusing a duplicate. */
export function isDuplicateLabel(e: unknown): boolean {
  return e instanceof Error && /UNIQUE constraint failed: integrations\.account_id/.test(e.message);
}

/** True when another integration of the same Cloudflare account already has this label (any case). */
export async function isLabelTaken(
  db: D1Database,
  accountId: string,
  label: string,
  exceptId: string,
): Promise<boolean> {
  const clash = await db
    .prepare("SELECT 1 FROM integrations WHERE account_id = ? AND label = ? COLLATE NOCASE AND id != ?")
    .bind(accountId, label, exceptId)
    .first();
  return clash !== null;
}

export interface IntegrationPatch {
  label?: string;
  enabled?: boolean;
  allowedEmailDomains?: string[];
  token?: {
    kind: "user" | "account";
    credentialKeyId: string;
    expiresAt: string | null;
    enforceTwoFactor: boolean | null;
  };
}

export async function updateIntegration(db: D1Database, id: string, patch: IntegrationPatch, now: string) {
  const sets: string[] = ["updated_at = ?"];
  const values: (string | number | null)[] = [now];
  if (patch.label !== undefined) {
    sets.push("label = ?");
    values.push(patch.label);
  }
  if (patch.enabled !== undefined) {
    sets.push("enabled = ?");
    values.push(patch.enabled ? 1 : 0);
  }
  if (patch.allowedEmailDomains !== undefined) {
    sets.push("allowed_email_domains = ?");
    values.push(JSON.stringify(patch.allowedEmailDomains));
  }
  if (patch.token) {
    sets.push("token_kind = ?", "credential_key_id = ?", "token_expires_at = ?", "enforce_two_factor = ?");
    values.push(
      patch.token.kind,
      patch.token.credentialKeyId,
      patch.token.expiresAt,
      patch.token.enforceTwoFactor === null ? null : Number(patch.token.enforceTwoFactor),
    );
  }
  await db
    .prepare(`UPDATE integrations SET ${sets.join(", ")} WHERE id = ?`)
    .bind(...values, id)
    .run();
}

/** Removes the integration and every row that belongs to it, in one transaction. */
export async function deleteIntegration(db: D1Database, id: string): Promise<boolean> {
  const results = await db.batch([
    db.prepare("DELETE FROM events WHERE integration_id = ?").bind(id),
    db.prepare("DELETE FROM finding_events WHERE integration_id = ?").bind(id),
    db.prepare("DELETE FROM findings WHERE integration_id = ?").bind(id),
    db.prepare("DELETE FROM user_accounts WHERE integration_id = ?").bind(id),
    db.prepare("DELETE FROM api_tokens WHERE integration_id = ?").bind(id),
    db.prepare("DELETE FROM sync_runs WHERE integration_id = ?").bind(id),
    db.prepare("DELETE FROM integrations WHERE id = ?").bind(id),
  ]);
  return (results.at(-1)?.meta.changes ?? 0) > 0;
}

/** Enabled integrations (the cron fan-out), or all; keyset-paged so any number fits. */
export async function listEnabledIntegrationIds(
  db: D1Database,
  afterId: string,
  limit: number,
  which: "enabled" | "all" = "enabled",
): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT id FROM integrations WHERE ${which === "enabled" ? "enabled = 1 AND" : ""} id > ? ORDER BY id LIMIT ?`,
    )
    .bind(afterId, limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/** Integrations whose credential is not sealed under `keyId` (rotation's work list). */
export async function listIntegrationsNotUnderKey(db: D1Database, keyId: string, limit: number) {
  const { results } = await db
    .prepare("SELECT id FROM integrations WHERE credential_key_id != ? ORDER BY id LIMIT ?")
    .bind(keyId, limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

export async function countIntegrationsUnderKey(db: D1Database, keyId: string): Promise<number> {
  const row = await db
    .prepare("SELECT COUNT(*) AS n FROM integrations WHERE credential_key_id = ?")
    .bind(keyId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

export async function setCredentialKeyId(db: D1Database, id: string, keyId: string): Promise<void> {
  await db.prepare("UPDATE integrations SET credential_key_id = ? WHERE id = ?").bind(keyId, id).run();
}

/**
 * A successful sync's mark on its integration: status ok, when, how many members, the 2FA setting,
 * each source's state, SSO and the audit watermark. A source not read this time (null) keeps what
 * was stored.
 */
export function recordSyncSuccessStatement(
  db: D1Database,
  w: {
    integrationId: string;
    finishedAt: string;
    accountCount: number;
    enforceTwoFactor: boolean | null;
    sources: StoredSources;
    sso: { enabled: boolean; emailDomains: string[] } | null;
    auditWatermark: string | null;
  },
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE integrations SET status = 'ok', last_successful_sync_at = ?, account_count = ?,
              enforce_two_factor = COALESCE(?, enforce_two_factor), sources = ?,
              sso = COALESCE(?, sso), audit_watermark = COALESCE(?, audit_watermark)
        WHERE id = ?`,
    )
    .bind(
      w.finishedAt,
      w.accountCount,
      w.enforceTwoFactor === null ? null : Number(w.enforceTwoFactor),
      JSON.stringify(w.sources),
      w.sso === null ? null : JSON.stringify(w.sso),
      w.auditWatermark,
      w.integrationId,
    );
}
