/**
 * SQL for the findings and finding_events tables (docs/findings.md): the statements that recompute
 * one integration's findings from stored rows (appended to a successful sync's batch), the
 * sync_stale finding of a failed run, and the served lists. The feed rows are written by the
 * triggers of migrations/0005_findings.sql, so they always agree with the findings.
 */
import {
  API_TOKEN_STALE_DAYS,
  FINDING_CATALOGUE,
  type FindingSeverity,
  type FindingStatus,
  type FindingSubjectKind,
  type FindingThresholds,
  type FindingType,
  SUPER_ADMIN_ROLE,
} from "../domain/finding";
import { CURRENT_ROSTER_ID } from "./roster";

const DAY_MS = 86_400_000;

/** A constant of ours as an SQL string literal. */
const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The columns every condition selects, in order, for one finding type. */
const head = (type: FindingType, subjectId: string, email: string) =>
  `SELECT '${type}:' || ?1 || ':${FINDING_CATALOGUE[type].subject}:' || ${subjectId} AS id,
          '${type}' AS type, '${FINDING_CATALOGUE[type].severity}' AS severity,
          '${FINDING_CATALOGUE[type].subject}' AS subject_kind,
          ${subjectId} AS subject_id, ${email} AS subject_email`;

const remediation = (type: FindingType) => `${lit(FINDING_CATALOGUE[type].remediation)} AS remediation`;

/** A member's name in a sentence: the email, or the membership id when Cloudflare gave none. */
const WHO = "COALESCE(NULLIF(u.email, ''), u.id)";
const EMAIL = "NULLIF(u.email, '')";
const CURRENT = "u.integration_id = ?1 AND u.removed_at IS NULL";
const ACTIVE_TOKEN = "t.integration_id = ?1 AND t.removed_at IS NULL AND t.status = 'active'";
const NL = "char(10)";

/**
 * Each type's condition as a SELECT. Parameters: ?1 integration id, ?2 now, ?3 the stale
 * invitation cutoff, ?4 MAX_SUPER_ADMINS, ?5 the stale API token cutoff. Titles and details hold
 * no clock-relative words ("3 days ago"), so an unchanged account yields the same rows every time.
 */
const CONDITIONS: Record<Exclude<FindingType, "sync_stale" | "webhook_disabled">, string> = {
  member_without_2fa: `${head("member_without_2fa", "u.id", EMAIL)},
      'Member without two-factor authentication: ' || ${WHO} AS title,
      ${WHO} || ' is a member of ' || i.organization_name || ' without two-factor authentication, and the account does not enforce it.' AS detail,
      ${remediation("member_without_2fa")}
    FROM user_accounts u JOIN integrations i ON i.id = u.integration_id
   WHERE ${CURRENT} AND u.status = 'accepted' AND u.two_factor_enabled IS NOT 1 AND i.enforce_two_factor IS NOT 1`,
  two_factor_not_enforced: `${head("two_factor_not_enforced", "i.id", "NULL")},
      'Two-factor authentication is not enforced: ' || i.organization_name AS title,
      'The Cloudflare account ' || i.organization_name || ' (' || i.account_id || ') lets members sign in without two-factor authentication.' AS detail,
      ${remediation("two_factor_not_enforced")}
    FROM integrations i WHERE i.id = ?1 AND i.enforce_two_factor = 0`,
  stale_invitation: `${head("stale_invitation", "u.id", EMAIL)},
      'Invitation not accepted: ' || ${WHO} AS title,
      ${WHO} || ' was invited to ' || i.organization_name || ' on ' || substr(COALESCE(u.invited_at, u.first_seen_at), 1, 10)
        || ' and has not accepted.' AS detail,
      ${remediation("stale_invitation")}
    FROM user_accounts u JOIN integrations i ON i.id = u.integration_id
   WHERE ${CURRENT} AND u.status = 'pending' AND julianday(COALESCE(u.invited_at, u.first_seen_at)) < julianday(?3)`,
  too_many_super_admins: `${head("too_many_super_admins", "i.id", "NULL")},
      'Too many super administrators: ' || i.organization_name AS title,
      s.n || ' members of ' || i.organization_name || ' are allowed Super Administrator - All Privileges (at most ' || CAST(?4 AS INTEGER)
        || ' expected): ' || s.who || '.' AS detail,
      ${remediation("too_many_super_admins")}
    FROM integrations i,
         (SELECT COUNT(*) AS n, group_concat(who, ', ') AS who
            FROM (SELECT ${WHO} AS who FROM user_accounts u
                   WHERE ${CURRENT} AND instr(${NL} || u.access_names || ${NL}, ${NL} || ${lit(SUPER_ADMIN_ROLE)} || ${NL}) > 0
                   ORDER BY u.email, u.id)) s
   WHERE i.id = ?1 AND s.n > ?4`,
  external_member: `${head("external_member", "u.id", EMAIL)},
      'Member outside your email domains: ' || u.email AS title,
      u.email || ' is a member of ' || i.organization_name || ', and ' || lower(substr(u.email, instr(u.email, '@') + 1))
        || ' is not one of the integration''s allowedEmailDomains.' AS detail,
      ${remediation("external_member")}
    FROM user_accounts u JOIN integrations i ON i.id = u.integration_id
   WHERE ${CURRENT} AND u.email <> '' AND json_array_length(i.allowed_email_domains) > 0
     AND lower(substr(u.email, instr(u.email, '@') + 1)) NOT IN (SELECT value FROM json_each(i.allowed_email_domains))`,
  leaver_with_access: `${head("leaver_with_access", "lower(u.email)", EMAIL)},
      'Leaver still has access: ' || u.email || ' in ' || i.organization_name AS title,
      u.email || ' is marked leaver in the roster and is still ' || CASE u.status WHEN 'pending' THEN 'invited to ' ELSE 'a member of ' END
        || i.organization_name || ' (' || i.label || ', account ' || i.account_id || ')'
        || COALESCE(' with ' || (SELECT group_concat(r.value ->> 'name', ', ') FROM json_each(u.roles) r), '') || '.' AS detail,
      ${remediation("leaver_with_access")}
    FROM user_accounts u JOIN integrations i ON i.id = u.integration_id
    JOIN roster_people p ON p.upload_id = (${CURRENT_ROSTER_ID}) AND p.email = lower(u.email) AND p.status = 'leaver'
   WHERE ${CURRENT} AND u.email <> ''`,
  unknown_person: `${head("unknown_person", "u.id", EMAIL)},
      'Member not in the roster: ' || ${WHO} AS title,
      ${WHO} || ' is ' || CASE u.status WHEN 'pending' THEN 'invited to ' ELSE 'a member of ' END || i.organization_name
        || ' and matches no one in the roster.' AS detail,
      ${remediation("unknown_person")}
    FROM user_accounts u JOIN integrations i ON i.id = u.integration_id
   WHERE ${CURRENT} AND EXISTS (${CURRENT_ROSTER_ID})
     AND NOT EXISTS (SELECT 1 FROM roster_people p
                      WHERE p.upload_id = (${CURRENT_ROSTER_ID}) AND p.email = lower(u.email) AND u.email <> '')`,
  api_token_stale: `${head("api_token_stale", "t.id", "NULL")},
      'API token unused: ' || t.name AS title,
      'The account API token ' || t.name || CASE WHEN t.last_used_on IS NULL
        THEN ' has never been used since it was issued on ' || substr(t.issued_on, 1, 10)
        ELSE ' was last used on ' || substr(t.last_used_on, 1, 10) END
        || ' (more than ${API_TOKEN_STALE_DAYS} days ago at the time this finding opened).' AS detail,
      ${remediation("api_token_stale")}
    FROM api_tokens t
   WHERE ${ACTIVE_TOKEN} AND (julianday(t.last_used_on) < julianday(?5)
         OR (t.last_used_on IS NULL AND julianday(t.issued_on) < julianday(?5)))`,
  api_token_no_expiry: `${head("api_token_no_expiry", "t.id", "NULL")},
      'API token never expires: ' || t.name AS title,
      'The active account API token ' || t.name || ' has no expiry date.' AS detail,
      ${remediation("api_token_no_expiry")}
    FROM api_tokens t WHERE ${ACTIVE_TOKEN} AND t.expires_on IS NULL`,
};

/** The types that depend on the roster, recomputed for every integration when it changes. */
const ROSTER_FINDING_TYPES: (keyof typeof CONDITIONS)[] = ["leaver_with_access", "unknown_person"];

/**
 * D1 allows few terms in one compound SELECT, so the conditions are recomputed in groups, each
 * resolving only its own types. Every statement binds the same five parameters (the `params` CTE
 * names them all, so each statement accepts them whether it uses them or not).
 */
const GROUPS: (keyof typeof CONDITIONS)[][] = [
  ["member_without_2fa", "stale_invitation", "external_member"],
  ["two_factor_not_enforced", "too_many_super_admins", "api_token_stale", "api_token_no_expiry"],
  ROSTER_FINDING_TYPES,
];

const currentOf = (types: (keyof typeof CONDITIONS)[]) =>
  `WITH params AS (SELECT ?1, ?2, ?3, ?4, ?5),
        current AS (${types.map((t) => CONDITIONS[t]).join("\n UNION ALL\n")})`;

const COLUMNS = `id, integration_id, type, severity, subject_kind, subject_id, subject_email, title, detail,
  remediation, status, opened_at, resolved_at`;

/**
 * A finding that holds: inserted open; a resolved one reopened with a new opened_at; an open one
 * written only if its wording changed (so an unchanged re-sync writes nothing).
 */
const UPSERT_OPEN = `ON CONFLICT (id) DO UPDATE SET
    status = 'open',
    opened_at = CASE WHEN findings.status = 'resolved' THEN excluded.opened_at ELSE findings.opened_at END,
    resolved_at = NULL, severity = excluded.severity, subject_email = excluded.subject_email,
    title = excluded.title, detail = excluded.detail, remediation = excluded.remediation
  WHERE findings.status = 'resolved' OR findings.title IS NOT excluded.title
     OR findings.detail IS NOT excluded.detail OR findings.subject_email IS NOT excluded.subject_email
     OR findings.remediation IS NOT excluded.remediation OR findings.severity IS NOT excluded.severity`;

/** Resolves the open findings of these types that no longer hold, then opens those that do. */
function groupStatements(
  db: D1Database,
  types: (keyof typeof CONDITIONS)[],
  params: (string | number)[],
): D1PreparedStatement[] {
  const current = currentOf(types);
  return [
    db
      .prepare(
        `${current}
         UPDATE findings SET status = 'resolved', resolved_at = ?2
          WHERE integration_id = ?1 AND status = 'open' AND type IN (${types.map(lit).join(", ")})
            AND id NOT IN (SELECT id FROM current)`,
      )
      .bind(...params),
    db
      .prepare(
        `${current}
         INSERT INTO findings (${COLUMNS})
         SELECT id, ?1, type, severity, subject_kind, subject_id, subject_email, title, detail, remediation,
                'open', ?2, NULL
           FROM current WHERE true -- SQLite needs a WHERE here, or it reads ON CONFLICT as a join's ON
         ${UPSERT_OPEN}`,
      )
      .bind(...params),
  ];
}

/**
 * Recomputes one integration's findings from what is stored, as the last statements of a
 * successful sync's batch (they see that batch's writes): resolve what no longer holds, open what
 * does; the sync succeeded, so sync_stale resolves.
 */
export function recomputeFindingStatements(
  db: D1Database,
  w: {
    integrationId: string;
    now: string;
    thresholds: FindingThresholds;
    /** False when recomputing outside a sync (a changed setting): sync_stale is left as it is. */
    syncSucceeded?: boolean;
  },
): D1PreparedStatement[] {
  const now = Date.parse(w.now);
  const params = [
    w.integrationId,
    w.now,
    new Date(now - w.thresholds.staleInvitationDays * DAY_MS).toISOString(),
    w.thresholds.maxSuperAdmins,
    new Date(now - API_TOKEN_STALE_DAYS * DAY_MS).toISOString(),
  ];
  const statements = GROUPS.flatMap((types) => groupStatements(db, types, params));
  if (w.syncSucceeded === false) return statements;
  return [
    ...statements,
    db
      .prepare(
        `UPDATE findings SET status = 'resolved', resolved_at = ?2
          WHERE integration_id = ?1 AND type = 'sync_stale' AND status = 'open'`,
      )
      .bind(w.integrationId, w.now),
  ];
}

/**
 * Recomputes one integration's roster findings (leaver_with_access, unknown_person) after the
 * roster changed; the other types depend on nothing the roster holds.
 */
export function recomputeRosterFindingStatements(
  db: D1Database,
  integrationId: string,
  now: string,
): D1PreparedStatement[] {
  // The unused thresholds are bound anyway: every statement names all five parameters.
  return groupStatements(db, ROSTER_FINDING_TYPES, [integrationId, now, now, 0, now]);
}

/**
 * sync_stale for the integrations `where` selects (aliases i: integration, r: its latest run),
 * opened at ?1. One wording per cause, shared by both paths, so a finding that still holds is not
 * rewritten.
 */
const syncStaleSql = (where: string) => `INSERT INTO findings (${COLUMNS})
  SELECT 'sync_stale:' || i.id || ':integration:' || i.id, i.id, 'sync_stale', 'high', 'integration', i.id, NULL,
         'Sync failing: ' || i.organization_name,
         CASE WHEN r.status = 'failed'
           THEN 'The latest sync of ' || i.organization_name || ' (' || i.label || ') failed ('
             || COALESCE(r.error_code, 'error') || '); its members and tokens here are as of the last successful sync.'
           ELSE 'No successful sync of ' || i.organization_name || ' (' || i.label || ') since '
             || COALESCE(i.last_successful_sync_at, 'it was connected on ' || i.created_at) || '.'
         END,
         ${lit(FINDING_CATALOGUE.sync_stale.remediation)}, 'open', ?1, NULL
    FROM integrations i LEFT JOIN sync_runs r ON r.id = i.last_sync_id
   WHERE ${where}
  ${UPSERT_OPEN}`;

/** Opens sync_stale for a run that just failed, if it is still the integration's latest. */
export function syncFailedFindingStatement(
  db: D1Database,
  f: { integrationId: string; runId: string; finishedAt: string },
): D1PreparedStatement {
  return db
    .prepare(syncStaleSql("i.id = ?2 AND r.id = ?3 AND r.status = 'failed'"))
    .bind(f.finishedAt, f.integrationId, f.runId);
}

/**
 * The cron's check (docs/findings.md): sync_stale for every integration whose latest run failed
 * (abandoned ones included), or that is enabled and has had no successful sync since `cutoff`.
 */
export function staleSyncFindingStatement(db: D1Database, now: string, cutoff: string): D1PreparedStatement {
  return db
    .prepare(
      syncStaleSql(`r.status = 'failed'
         OR (i.enabled = 1 AND julianday(COALESCE(i.last_successful_sync_at, i.created_at)) < julianday(?2))`),
    )
    .bind(now, cutoff);
}

export interface Finding {
  id: string;
  type: FindingType;
  severity: FindingSeverity;
  integrationId: string;
  subject: { kind: FindingSubjectKind; id: string; email?: string };
  title: string;
  detail: string;
  remediation: string;
  status: FindingStatus;
  openedAt: string;
  resolvedAt: string | null;
}

interface FindingRow {
  id: string;
  integration_id: string;
  type: FindingType;
  severity: FindingSeverity;
  subject_kind: FindingSubjectKind;
  subject_id: string;
  subject_email: string | null;
  title: string;
  detail: string;
  remediation: string;
  status: FindingStatus;
  opened_at: string;
  resolved_at: string | null;
}

const subjectOf = (r: Pick<FindingRow, "subject_kind" | "subject_id" | "subject_email">) => ({
  kind: r.subject_kind,
  id: r.subject_id,
  ...(r.subject_email ? { email: r.subject_email } : {}),
});

const findingFromRow = (r: FindingRow): Finding => ({
  id: r.id,
  type: r.type,
  severity: r.severity,
  integrationId: r.integration_id,
  subject: subjectOf(r),
  title: r.title,
  detail: r.detail,
  remediation: r.remediation,
  status: r.status,
  openedAt: r.opened_at,
  resolvedAt: r.resolved_at,
});

export interface FindingFilters {
  integrationId: string | null;
  status: FindingStatus | null;
  severity: FindingSeverity | null;
  type: FindingType | null;
}

/** Keyset position: the id of the last finding served. */
export type FindingPosition = [id: string];

/** A page of findings in id order (which groups them by type, then integration). */
export async function listFindings(
  db: D1Database,
  filters: FindingFilters,
  after: FindingPosition | null,
  limit: number,
): Promise<{ findings: Finding[]; last: FindingPosition | null; more: boolean }> {
  const where: string[] = [];
  const values: (string | number)[] = [];
  for (const [column, value] of [
    ["integration_id", filters.integrationId],
    ["status", filters.status],
    ["severity", filters.severity],
    ["type", filters.type],
  ] as const) {
    if (value === null) continue;
    where.push(`${column} = ?`);
    values.push(value);
  }
  if (after) {
    where.push("id > ?");
    values.push(after[0]);
  }
  const { results } = await db
    .prepare(
      `SELECT * FROM findings ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id LIMIT ?`,
    )
    .bind(...values, limit + 1)
    .all<FindingRow>();
  const page = results.slice(0, limit);
  const lastRow = page.at(-1);
  return {
    findings: page.map(findingFromRow),
    last: lastRow ? [lastRow.id] : null,
    more: results.length > limit,
  };
}

export interface FindingEvent {
  id: string;
  type: "finding.opened" | "finding.resolved";
  occurredAt: string;
  finding: {
    id: string;
    type: FindingType;
    severity: FindingSeverity;
    integrationId: string;
    subject: Finding["subject"];
    title: string;
  };
}

export interface FindingEventRow {
  ordinal: number;
  occurred_at: string;
  type: FindingEvent["type"];
  finding_id: string;
  integration_id: string;
  finding_type: FindingType;
  severity: FindingSeverity;
  subject_kind: FindingSubjectKind;
  subject_id: string;
  subject_email: string | null;
  title: string;
}

/** A finding_events row as the feed serves it (also the data of a finding.* webhook). */
export const findingEventFromRow = (r: FindingEventRow): FindingEvent => ({
  id: String(r.ordinal),
  type: r.type,
  occurredAt: r.occurred_at,
  finding: {
    id: r.finding_id,
    type: r.finding_type,
    severity: r.severity,
    integrationId: r.integration_id,
    subject: subjectOf(r),
    title: r.title,
  },
});

/** Keyset position: the ordinal of the last event served. */
export type FindingEventPosition = [ordinal: number];

/** The feed, oldest first (in the order the changes were written), from `since` on. */
export async function listFindingEvents(
  db: D1Database,
  since: string | null,
  after: FindingEventPosition | null,
  limit: number,
): Promise<{ events: FindingEvent[]; last: FindingEventPosition | null; more: boolean }> {
  const { results } = await db
    .prepare(
      `SELECT * FROM finding_events WHERE occurred_at >= ?1 AND ordinal > ?2 ORDER BY ordinal LIMIT ?3`,
    )
    .bind(since ?? "", after?.[0] ?? 0, limit + 1)
    .all<FindingEventRow>();
  const page = results.slice(0, limit);
  const lastRow = page.at(-1);
  return {
    events: page.map(findingEventFromRow),
    last: lastRow ? [lastRow.ordinal] : null,
    more: results.length > limit,
  };
}

/**
 * webhook_disabled (docs/webhooks.md#disabling), one per integration: the endpoint no longer
 * receives that account's changes. `where` names the endpoint by its origin only, never the
 * whole URL (a path or query may carry a receiver's own token).
 */
export function webhookDisabledFindingStatement(
  db: D1Database,
  f: { webhookId: string; where: string; failingSince: string; now: string },
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO findings (${COLUMNS})
       SELECT 'webhook_disabled:' || i.id || ':webhook:' || ?1, i.id, 'webhook_disabled',
              ${lit(FINDING_CATALOGUE.webhook_disabled.severity)}, 'webhook', ?1, NULL,
              'Webhook endpoint disabled: ' || ?2,
              'Changes to ' || i.organization_name || ' (' || i.label || ') are no longer pushed to the webhook endpoint at '
                || ?2 || ': no delivery to it has succeeded since ' || ?3 || '.',
              ${lit(FINDING_CATALOGUE.webhook_disabled.remediation)}, 'open', ?4, NULL
         FROM integrations i WHERE true
       ${UPSERT_OPEN}`,
    )
    .bind(f.webhookId, f.where, f.failingSince, f.now);
}

/** Resolves an endpoint's webhook_disabled findings (re-enabled or deleted). */
export function resolveWebhookFindingsStatement(
  db: D1Database,
  webhookId: string,
  now: string,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE findings SET status = 'resolved', resolved_at = ?2
        WHERE type = 'webhook_disabled' AND subject_kind = 'webhook' AND subject_id = ?1 AND status = 'open'`,
    )
    .bind(webhookId, now);
}
