/**
 * One integration's sync, as run by one queue message (SPEC §4):
 * lease → decrypt → list every member → diff against D1 → one transactional batch.
 * Anything short of a complete listing fails the run and leaves every user account untouched.
 */

import { REQUIRED_PERMISSIONS, transportFailure, verifyToken } from "../cloudflare/checks";
import { type ClientFailure, CloudflareClient } from "../cloudflare/client";
import { accountSchema } from "../cloudflare/schemas";
import type { Config } from "../config";
import { type Failure, failure } from "../lib/errors";
import { log } from "../lib/log";
import { nowIso } from "../lib/time";
import { getIntegrationRow, type IntegrationRow } from "../store/integrations";
import {
  failRun,
  getSyncRunRow,
  releaseLease,
  requeueRun,
  type SyncTrigger,
  takeLease,
} from "../store/sync-runs";
import { forEachStoredPage, isLeaseLost, syncWriteStatements } from "../store/user-accounts";
import { getCredential } from "../vault/credentials";
import { MemberDiffer } from "./diff";
import type { SyncMessage } from "./enqueue";
import { type ListFailure, listAllMembers, MAX_PAGES_PER_SYNC, Pacer } from "./fetch-members";

/**
 * A run's lease outlives any invocation (queue consumers get 15 minutes of wall time), so two
 * live attempts can never overlap; a crashed attempt blocks its integration for at most this long.
 */
export const LEASE_MS = 16 * 60_000;
/** Long Retry-After answers end the attempt and come back through the queue at most this often. */
export const MAX_RATE_LIMITED_ATTEMPTS = 5;

/** What the queue consumer does with the message afterwards. */
export type RunOutcome = { kind: "done" } | { kind: "retry"; delaySeconds: number };

export interface RunDeps {
  db: D1Database;
  kv: KVNamespace;
  config: Config;
  /** For tests: make backoff and pacing instant. */
  sleep?: (ms: number) => Promise<void>;
}

export async function runSync(deps: RunDeps, message: SyncMessage, attempt: number): Promise<RunOutcome> {
  const { db } = deps;
  const started = Date.now();
  const leaseToken = crypto.randomUUID();
  const lease = await takeLease(db, message.runId, leaseToken, started, LEASE_MS);
  if (!lease) {
    const run = await getSyncRunRow(db, message.runId);
    // Finished, deleted with its integration, or redelivered after it ended: nothing to do.
    if (!run || run.status === "succeeded" || run.status === "failed") return { kind: "done" };
    // Another attempt holds a live lease: look again when it would have expired.
    const delaySeconds = Math.max(1, Math.ceil(((run.lease_until ?? started) - started) / 1000));
    return { kind: "retry", delaySeconds };
  }
  try {
    return await runLeased(deps, message, attempt, {
      token: leaseToken,
      trigger: lease.trigger,
      rowsWritten: lease.rowsWritten,
      started,
    });
  } catch (e) {
    // Unexpected (D1 unreachable while recording the outcome, say): give the lease back so the
    // queue's redelivery can run the sync again at once instead of waiting out LEASE_MS.
    await releaseLease(db, message.runId, leaseToken).catch(() => undefined);
    throw e;
  }
}

interface HeldLease {
  token: string;
  trigger: SyncTrigger;
  rowsWritten: number;
  started: number;
}

async function runLeased(
  deps: RunDeps,
  message: SyncMessage,
  attempt: number,
  lease: HeldLease,
): Promise<RunOutcome> {
  const { db } = deps;
  const { token: leaseToken, trigger, started } = lease;
  const integration = await getIntegrationRow(db, message.integrationId);
  let apiRequests = 0;
  let pages = 0;
  const fail = async (f: Failure) => {
    await failRun(db, leaseToken, {
      runId: message.runId,
      integrationId: message.integrationId,
      failure: f,
      finishedAt: nowIso(),
      apiRequests,
      pages,
      seen: 0,
    });
    logRun(message, trigger, started, { status: "failed", apiRequests, pages, error: f.code });
    return { kind: "done" } as const;
  };
  if (!integration) return fail(failure("internal", "The integration no longer exists."));

  const token = await getCredential(deps.kv, deps.config.keyring, integration.id);
  if (!token.ok) {
    return fail(
      failure(
        "internal",
        `The stored API token could not be read (${token.error.message}). Check ENCRYPTION_KEYS, or set the token again with PATCH /v1/integrations/${integration.id}.`,
      ),
    );
  }

  const client = new CloudflareClient({
    baseUrl: deps.config.cloudflareApiBaseUrl,
    token: token.value,
    timeoutMs: deps.config.cloudflareTimeoutMs,
    sleep: deps.sleep,
  });
  const pacer = new Pacer(client, deps.sleep);
  // The account's 2FA enforcement is read alongside the first page; failing to read it is not fatal.
  const accountRead = client.get(
    `/accounts/${encodeURIComponent(integration.account_id)}`,
    {},
    accountSchema,
  );
  const expectedMembers = message.expectedMembers ?? integration.account_count;
  const listing = await listAllMembers(client, integration.account_id, pacer, expectedMembers);
  const account = await accountRead;
  apiRequests = client.requests;

  if (!listing.ok) {
    const f = listing.error;
    if ((f.kind === "rate_limited" || f.kind === "budget") && attempt < MAX_RATE_LIMITED_ATTEMPTS) {
      await requeueRun(db, message.runId, leaseToken, apiRequests);
      logRun(message, trigger, started, {
        status: "requeued",
        apiRequests,
        retryAfterSeconds: f.retryAfterSeconds,
      });
      return { kind: "retry", delaySeconds: f.retryAfterSeconds };
    }
    const classified = await classifyListFailure(client, integration, f);
    apiRequests = client.requests;
    return fail(classified);
  }
  pages = listing.value.pages;

  const differ = new MemberDiffer(listing.value.members);
  await forEachStoredPage(db, integration.id, (rows) => differ.add(rows));
  const diff = differ.finish();
  const finishedAt = nowIso();
  const statements = syncWriteStatements(db, {
    integrationId: integration.id,
    runId: message.runId,
    leaseToken,
    finishedAt,
    previousSuccessAt: integration.last_successful_sync_at,
    diff,
    seen: listing.value.members.length,
    pages,
    apiRequests,
    enforceTwoFactor: account.ok ? (account.value.result.settings?.enforce_twofactor ?? null) : null,
  });
  // D1 rows written by this run (lease + result), reported so write costs stay visible.
  let rowsWritten = lease.rowsWritten;
  try {
    const results = await db.batch(statements);
    for (const r of results) rowsWritten += r.meta.rows_written ?? 0;
  } catch (e) {
    if (isLeaseLost(e)) {
      logRun(message, trigger, started, { status: "superseded", apiRequests, pages });
      return { kind: "done" };
    }
    log("error", "sync_write_failed", {
      integrationId: integration.id,
      runId: message.runId,
      error: String(e),
    });
    return fail(
      failure(
        "internal",
        "Saving the sync result failed; nothing was changed. The next sync will try again.",
      ),
    );
  }
  logRun(message, trigger, started, {
    status: "succeeded",
    apiRequests,
    pages,
    rowsWritten,
    counts: {
      seen: listing.value.members.length,
      added: diff.added.length + diff.restored.length,
      updated: diff.updated.length,
      removed: diff.removed.length,
      unchanged: diff.unchanged,
    },
  });
  return { kind: "done" };
}

/** 401/403 mid-sync: ask the verify endpoint whether the token died or lost a permission. */
async function classifyListFailure(
  client: CloudflareClient,
  integration: IntegrationRow,
  f: ListFailure,
): Promise<Failure> {
  const where = `'${integration.organization_name}' (${integration.label})`;
  switch (f.kind) {
    case "inconsistent":
      return failure(
        "cloudflare_invalid_response",
        `Cloudflare's member listing for ${where} was inconsistent: ${f.message}. The next sync will try again.`,
      );
    case "too_large":
      return failure(
        "cloudflare_rate_limited",
        `Cloudflare's member listing for ${where} is too large for one sync: ${f.message} (${MAX_PAGES_PER_SYNC * 50} members, half of the 1,200 requests per 5 minutes a token has). Nothing was changed.`,
      );
    case "budget":
    case "rate_limited":
      return failure(
        "cloudflare_rate_limited",
        `Cloudflare kept rate limiting the token of ${where} after ${MAX_RATE_LIMITED_ATTEMPTS} attempts. Something else may be using the same token heavily; the next scheduled sync will try again.`,
      );
    case "http": {
      if (f.status !== 401 && f.status !== 403 && !f.errors.some((e) => e.code === 1000)) {
        return transportFailure(f);
      }
      const verified = await verifyToken(client, integration.token_kind, integration.account_id);
      if (!verified.ok || verified.value.status !== "active") {
        const state = verified.ok ? verified.value.status : "revoked or invalid";
        return failure(
          "cloudflare_token_invalid",
          `The API token of ${where} is ${state}. Create a new read-only token in Cloudflare and set it with PATCH /v1/integrations/${integration.id}.`,
        );
      }
      return failure(
        "cloudflare_permission_missing",
        `The API token of ${where} is active but may no longer list members. Edit it in the Cloudflare dashboard and add ${REQUIRED_PERMISSIONS} for this account.`,
      );
    }
    default:
      return transportFailure(f as ClientFailure);
  }
}

function logRun(
  message: SyncMessage,
  trigger: SyncTrigger,
  started: number,
  fields: Record<string, unknown>,
): void {
  log(fields.status === "failed" ? "warn" : "info", "sync_run", {
    integrationId: message.integrationId,
    runId: message.runId,
    trigger,
    durationMs: Date.now() - started,
    ...fields,
  });
}
