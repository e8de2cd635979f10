/**
 * Reading the optional sources of an account (docs/cloudflare.md#endpoints-and-permissions): its
 * API tokens (page-based), its SSO connectors (one page) and its audit log (cursor-based). Each
 * returns the complete data or the client's failure: never a partial list.
 */
import type { ApiToken } from "../domain/api-token";
import { err, ok, type Result } from "../lib/result";
import { normalizeApiToken } from "./api-token";
import type { ClientFailure, CloudflareClient } from "./client";
import { MAX_PER_PAGE, pagesFromResultInfo } from "./paging";
import {
  type AuditEntry,
  apiTokenListSchema,
  auditEntrySchema,
  auditPageSchema,
  ssoConnectorListSchema,
} from "./schemas";

/** Token lists are small; this bounds a misbehaving API (10,000 tokens at 50 a page). */
const MAX_TOKEN_PAGES = 200;
/** Audit entries per request: the largest page the endpoint serves (docs/cloudflare.md#audit-log). */
export const AUDIT_PAGE_LIMIT = 1000;
/** Audit pages per sync; the rest is read by the next sync (the watermark stops at the last entry read). */
export const MAX_AUDIT_PAGES = 10;

/** Something that may wait before each request (the sync's pacer). */
export type Pace = () => Promise<Result<void, ClientFailure>>;

export async function listApiTokens(
  client: CloudflareClient,
  accountId: string,
  pace: Pace,
): Promise<Result<ApiToken[], ClientFailure>> {
  const byId = new Map<string, ApiToken>();
  for (let page = 1; page <= MAX_TOKEN_PAGES; page++) {
    const paced = await pace();
    if (!paced.ok) return paced;
    const answer = await client.get(
      `/accounts/${encodeURIComponent(accountId)}/tokens`,
      { page, per_page: MAX_PER_PAGE },
      apiTokenListSchema,
    );
    if (!answer.ok) return answer;
    for (const token of answer.value.result) byId.set(token.id, normalizeApiToken(token));
    const pages = pagesFromResultInfo(answer.value.resultInfo, MAX_PER_PAGE);
    if (answer.value.result.length === 0 || (pages !== null && page >= pages)) break;
  }
  return ok([...byId.values()]);
}

export interface SsoState {
  enabled: boolean;
  emailDomains: string[];
}

export async function readSso(
  client: CloudflareClient,
  accountId: string,
  pace: Pace,
): Promise<Result<SsoState, ClientFailure>> {
  const paced = await pace();
  if (!paced.ok) return paced;
  const answer = await client.get(
    `/accounts/${encodeURIComponent(accountId)}/sso_connectors`,
    {},
    ssoConnectorListSchema,
  );
  if (!answer.ok) return answer;
  const enabled = answer.value.result.filter((c) => c.enabled === true);
  const domains = enabled
    .map((c) => c.email_domain)
    .filter((d): d is string => typeof d === "string" && d !== "");
  return ok({ enabled: enabled.length > 0, emailDomains: [...new Set(domains)].sort() });
}

export interface AuditRead {
  entries: AuditEntry[];
  /** Entries that did not validate, skipped and counted. */
  skipped: number;
  /** Read up to here: `before`, or the time of the last entry when the page cap stopped the read. */
  readUntil: string;
}

/** Every entry from `since` to `before`, oldest first, following the cursor. */
export async function readAuditLog(
  client: CloudflareClient,
  accountId: string,
  window: { since: string; before: string },
  pace: Pace,
): Promise<Result<AuditRead, ClientFailure>> {
  const entries: AuditEntry[] = [];
  let skipped = 0;
  let cursor: string | undefined;
  for (let page = 1; page <= MAX_AUDIT_PAGES; page++) {
    const paced = await pace();
    if (!paced.ok) return paced;
    const answer = await client.get(
      `/accounts/${encodeURIComponent(accountId)}/logs/audit`,
      { since: window.since, before: window.before, direction: "asc", limit: AUDIT_PAGE_LIMIT, cursor },
      auditPageSchema,
    );
    if (!answer.ok) return answer;
    for (const raw of answer.value.result) {
      const entry = auditEntrySchema.safeParse(raw);
      if (entry.success) entries.push(entry.data);
      else skipped++;
    }
    const info = answer.value.resultInfo;
    cursor = info?.cursor || info?.cursors?.after || undefined;
    if (!cursor || answer.value.result.length === 0) {
      return ok({ entries, skipped, readUntil: window.before });
    }
  }
  // Page cap reached: the next sync reads on from the last entry this one saw.
  const last = entries.at(-1)?.action?.time;
  return last
    ? ok({ entries, skipped, readUntil: last })
    : err({ kind: "unavailable", message: "audit log paging did not end" });
}
