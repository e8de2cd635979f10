/**
 * The optional sources a sync reads after the members (docs/sources.md): the audit log, the
 * account's API tokens and its SSO connectors. Each is read whole or not at all, inside the same
 * pacing as the members; a source the token may not read, or that fails, is reported with a state
 * and a message and leaves that source's stored data as it was.
 */
import type { ClientFailure, CloudflareClient } from "../cloudflare/client";
import { isAuthFailure, SOURCE_PERMISSIONS } from "../cloudflare/errors";
import {
  type AuditRead,
  listApiTokens,
  type Pace,
  readAuditLog,
  readSso,
  type SsoState,
} from "../cloudflare/sources";
import type { ApiToken } from "../domain/api-token";
import { type MembershipChange, membershipChange } from "../domain/audit";
import type { SourceName, SourceState } from "../domain/source";
import { err, type Result } from "../lib/result";
import type { Pacer } from "./pacer";

export interface SourceReport {
  state: SourceState;
  /** What to do about a state other than ok; null when ok. */
  message: string | null;
  requests: number;
}

/** How far back the first read of an audit log goes. */
export const AUDIT_FIRST_READ_MS = 30 * 86_400_000;
/**
 * Each read overlaps the previous one by this much: audit entries can appear minutes after the
 * change they record, and an entry already attached to its event is never attached twice.
 */
export const AUDIT_OVERLAP_MS = 60 * 60_000;

export interface AuditOutcome extends Omit<AuditRead, "entries"> {
  changes: MembershipChange[];
  entries: number;
}

export interface SourcesRead {
  /** null: not read this time; the stored inventory stays as it is. */
  apiTokens: ApiToken[] | null;
  sso: SsoState | null;
  audit: AuditOutcome | null;
  reports: Record<SourceName, SourceReport>;
}

/** The window of the next audit read: from the watermark (less the overlap), or 30 days back. */
export function auditWindow(watermark: string | null, now: number): { since: string; before: string } {
  const since = watermark ? Date.parse(watermark) - AUDIT_OVERLAP_MS : now - AUDIT_FIRST_READ_MS;
  return {
    since: new Date(Math.max(since, now - AUDIT_FIRST_READ_MS)).toISOString(),
    before: new Date(now).toISOString(),
  };
}

/** Reads every optional source in turn, counting each one's requests. */
export async function readSources(
  client: CloudflareClient,
  pacer: Pacer,
  integration: { account_id: string; audit_watermark: string | null },
  now: number,
): Promise<SourcesRead> {
  const pace: Pace = async () => {
    const paced = await pacer.acquire();
    return paced.ok
      ? paced
      : err({
          kind: "rate_limited",
          retryAfterSeconds: paced.error.retryAfterSeconds,
          message: paced.error.message,
        });
  };
  const accountId = integration.account_id;
  const audit = await counted(client, "auditLog", () =>
    readAuditLog(client, accountId, auditWindow(integration.audit_watermark, now), pace),
  );
  const apiTokens = await counted(client, "apiTokens", () => listApiTokens(client, accountId, pace));
  const sso = await counted(client, "sso", () => readSso(client, accountId, pace));
  return {
    apiTokens: apiTokens.value,
    sso: sso.value,
    audit: audit.value && {
      changes: audit.value.entries.flatMap((e) => membershipChange(e, accountId) ?? []),
      entries: audit.value.entries.length,
      skipped: audit.value.skipped,
      readUntil: audit.value.readUntil,
    },
    reports: { auditLog: audit.report, apiTokens: apiTokens.report, sso: sso.report },
  };
}

async function counted<T>(
  client: CloudflareClient,
  source: SourceName,
  read: () => Promise<Result<T, ClientFailure>>,
): Promise<{ value: T | null; report: SourceReport }> {
  const before = client.requests;
  const result = await read();
  const requests = client.requests - before;
  if (result.ok) return { value: result.value, report: { state: "ok", message: null, requests } };
  return { value: null, report: { ...stateOf(source, result.error), requests } };
}

/** A source's failure in the admin's terms. */
export function stateOf(source: SourceName, f: ClientFailure): Omit<SourceReport, "requests"> {
  if (isAuthFailure(f)) {
    return {
      state: "permission_missing",
      message: `The token may not read ${SOURCE_PERMISSIONS[source].what}: add ${SOURCE_PERMISSIONS[source].permission} to it in the Cloudflare dashboard. Members still sync.`,
    };
  }
  if (f.kind === "rate_limited") {
    return {
      state: "unavailable",
      message: `Cloudflare rate limited the token; ${SOURCE_PERMISSIONS[source].what} will be read by a later sync.`,
    };
  }
  return {
    state: "unavailable",
    message: `Reading ${SOURCE_PERMISSIONS[source].what} failed (${f.message}); the next sync tries again.`,
  };
}
