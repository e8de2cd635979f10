/**
 * One integration's sync, as run by one queue message (docs/sync.md#one-sync-step-by-step):
 * lease → decrypt → list every member → diff against D1 → one transactional batch.
 * Anything short of a complete listing fails the run and leaves every user account untouched.
 */
import { verifyToken } from "../cloudflare/checks";
import { CloudflareClient } from "../cloudflare/client";
import {
  isAuthFailure,
  REQUIRED_PERMISSIONS,
  restrictedTokenFailure,
  TOKEN_BUDGET_TEXT,
  transportFailure,
} from "../cloudflare/errors";
import { MAX_PER_PAGE } from "../cloudflare/paging";
import { accountSchema } from "../cloudflare/schemas";
import type { Config } from "../config";
import type { MemberDiff } from "../domain/diff";
import type { SourceName } from "../domain/source";
import { type Failure, failure } from "../lib/errors";
import { log } from "../lib/log";
import { redactSecrets } from "../lib/redact";
import { err, ok, type Result } from "../lib/result";
import { nowIso } from "../lib/time";
import { listStoredApiTokens } from "../store/api-tokens";
import { getIntegrationRow, type IntegrationRow } from "../store/integrations";
import { type SyncWrite, syncWriteStatements } from "../store/sync-batch";
import {
  failRun,
  getSyncRunRow,
  isLeaseLost,
  releaseLease,
  requeueRun,
  type SyncTrigger,
  takeLease,
} from "../store/sync-runs";
import { forEachStoredPage } from "../store/user-accounts-read";
import { getCredential } from "../vault/credentials";
import { diffApiTokens } from "./api-token-diff";
import { MemberDiffer } from "./diff";
import type { SyncMessage } from "./enqueue";
import { type ListFailure, type Listing, listAllMembers, MAX_PAGES_PER_SYNC } from "./fetch-members";
import { Pacer, SYNC_BUDGET_SHARE } from "./pacer";
import { readSources } from "./sources";
import { type WebhookMessage, wakeWebhooksAfterCommit } from "./webhooks";

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
  /** Woken once this run's outcome is committed, so its events go out (docs/webhooks.md#delivery). */
  webhookQueue?: Queue<WebhookMessage>;
}

const DONE: RunOutcome = { kind: "done" };

export async function runSync(deps: RunDeps, message: SyncMessage, attempt: number): Promise<RunOutcome> {
  const { db } = deps;
  const started = Date.now();
  const leaseToken = crypto.randomUUID();
  const lease = await takeLease(db, message.runId, leaseToken, started, LEASE_MS);
  if (!lease) {
    const run = await getSyncRunRow(db, message.runId);
    // Finished, deleted with its integration, or redelivered after it ended: nothing to do.
    if (!run || run.status === "succeeded" || run.status === "failed") return DONE;
    // Another attempt holds a live lease: look again when it would have expired.
    const delaySeconds = Math.max(1, Math.ceil(((run.lease_until ?? started) - started) / 1000));
    return { kind: "retry", delaySeconds };
  }
  const run = new LeasedRun(deps, message, attempt, { token: leaseToken, ...lease, started });
  try {
    return await run.execute();
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

/** One attempt that holds the run's lease: each step is a method, in the order execute() runs them. */
class LeasedRun {
  private apiRequests = 0;
  private pages = 0;
  /** The decrypted token, once read: cut out of any failure message before it is stored. */
  private secrets: string[] = [];

  constructor(
    private readonly deps: RunDeps,
    private readonly message: SyncMessage,
    private readonly attempt: number,
    private readonly lease: HeldLease,
  ) {}

  async execute(): Promise<RunOutcome> {
    const integration = await getIntegrationRow(this.deps.db, this.message.integrationId);
    if (!integration) return this.fail(failure("internal", "The integration no longer exists."));
    const client = await this.clientFor(integration);
    if (!client.ok) return this.fail(client.error);

    // The account's 2FA enforcement is read alongside the first page; failing to read it is not fatal.
    const accountRead = client.value.get(
      `/accounts/${encodeURIComponent(integration.account_id)}`,
      {},
      accountSchema,
    );
    const expectedMembers = this.message.expectedMembers ?? integration.account_count;
    const pacer = new Pacer(client.value, this.deps.sleep);
    const listing = await listAllMembers(client.value, integration.account_id, pacer, expectedMembers);
    const account = await accountRead;
    this.apiRequests = client.value.requests;
    if (!listing.ok) return this.listingFailed(client.value, integration, listing.error);

    this.pages = listing.value.pages;
    const membersRequests = this.apiRequests;
    const sources = await this.readSources(client.value, pacer, integration, membersRequests);
    this.apiRequests = client.value.requests;
    const enforceTwoFactor = account.ok ? (account.value.result.settings?.enforce_twofactor ?? null) : null;
    return this.store(integration, listing.value, enforceTwoFactor, sources);
  }

  /** The optional sources, read after the members and diffed where they keep an inventory. */
  private async readSources(
    client: CloudflareClient,
    pacer: Pacer,
    integration: IntegrationRow,
    membersRequests: number,
  ): Promise<SyncWrite["sources"]> {
    const read = await readSources(client, pacer, integration, Date.now());
    const tokenDiff = read.apiTokens
      ? diffApiTokens(await listStoredApiTokens(this.deps.db, integration.id), read.apiTokens)
      : null;
    const report = (name: SourceName) => ({
      state: read.reports[name].state,
      message: read.reports[name].message,
    });
    return {
      states: {
        members: { state: "ok", message: null },
        auditLog: report("auditLog"),
        apiTokens: report("apiTokens"),
        sso: report("sso"),
      },
      stats: {
        members: { requests: membersRequests, state: "ok" },
        auditLog: {
          requests: read.reports.auditLog.requests,
          state: read.reports.auditLog.state,
          entries: read.audit?.entries ?? 0,
          matched: read.audit?.changes.length ?? 0,
          skipped: read.audit?.skipped ?? 0,
        },
        apiTokens: { requests: read.reports.apiTokens.requests, state: read.reports.apiTokens.state },
        sso: { requests: read.reports.sso.requests, state: read.reports.sso.state },
      },
      tokenDiff,
      sso: read.sso,
      audit: read.audit && { changes: read.audit.changes, readUntil: read.audit.readUntil },
    };
  }

  /** A client holding the decrypted token, or the failure that explains why there is none. */
  private async clientFor(integration: IntegrationRow): Promise<Result<CloudflareClient, Failure>> {
    const token = await getCredential(this.deps.kv, this.deps.config.keyring, integration.id);
    if (!token.ok) {
      return err(
        failure(
          "internal",
          `The stored API token could not be read (${token.error.message}). Check ENCRYPTION_KEYS, or set the token again with PATCH /v1/integrations/${integration.id}.`,
        ),
      );
    }
    this.secrets = [token.value];
    return ok(
      new CloudflareClient({
        baseUrl: this.deps.config.cloudflareApiBaseUrl,
        token: token.value,
        timeoutMs: this.deps.config.cloudflareTimeoutMs,
        sleep: this.deps.sleep,
      }),
    );
  }

  /** Rate limits come back through the queue while attempts remain; anything else fails the run. */
  private async listingFailed(
    client: CloudflareClient,
    integration: IntegrationRow,
    f: ListFailure,
  ): Promise<RunOutcome> {
    if ((f.kind === "rate_limited" || f.kind === "budget") && this.attempt < MAX_RATE_LIMITED_ATTEMPTS) {
      await requeueRun(this.deps.db, this.message.runId, this.lease.token, this.apiRequests);
      this.log({ status: "requeued", apiRequests: this.apiRequests, retryAfterSeconds: f.retryAfterSeconds });
      return { kind: "retry", delaySeconds: f.retryAfterSeconds };
    }
    const classified = await classifyListFailure(client, integration, f);
    this.apiRequests = client.requests;
    return this.fail(classified);
  }

  /** Diffs the complete listing against the stored rows and writes the result in one batch. */
  private async store(
    integration: IntegrationRow,
    listing: Listing,
    enforceTwoFactor: boolean | null,
    sources: SyncWrite["sources"],
  ): Promise<RunOutcome> {
    const differ = new MemberDiffer(listing.members);
    await forEachStoredPage(this.deps.db, integration.id, (rows) => differ.add(rows));
    const diff = differ.finish();
    const statements = syncWriteStatements(this.deps.db, {
      integrationId: integration.id,
      runId: this.message.runId,
      leaseToken: this.lease.token,
      finishedAt: nowIso(),
      previousSuccessAt: integration.last_successful_sync_at,
      diff,
      seen: listing.members.length,
      pages: this.pages,
      apiRequests: this.apiRequests,
      enforceTwoFactor,
      findingThresholds: this.deps.config.findings,
      sources,
    });
    // D1 rows written by this run (lease + result), reported so write costs stay visible.
    let rowsWritten = this.lease.rowsWritten;
    try {
      const results = await this.deps.db.batch(statements);
      for (const r of results) rowsWritten += r.meta.rows_written ?? 0;
    } catch (e) {
      return this.writeFailed(integration, e);
    }
    this.log({
      status: "succeeded",
      apiRequests: this.apiRequests,
      pages: this.pages,
      rowsWritten,
      counts: countsOf(diff, listing.members.length),
    });
    // Only now: the events are committed, so a receiver never hears of a change D1 does not hold.
    await wakeWebhooksAfterCommit(this.deps.db, this.deps.webhookQueue);
    return DONE;
  }

  private writeFailed(integration: IntegrationRow, e: unknown): Promise<RunOutcome> | RunOutcome {
    if (isLeaseLost(e)) {
      this.log({ status: "superseded", apiRequests: this.apiRequests, pages: this.pages });
      return DONE;
    }
    log("error", "sync_write_failed", {
      integrationId: integration.id,
      runId: this.message.runId,
      error: String(e),
    });
    return this.fail(
      failure(
        "internal",
        "Saving the sync result failed; nothing was changed. The next sync will try again.",
      ),
    );
  }

  private async fail(f: Failure): Promise<RunOutcome> {
    await failRun(this.deps.db, this.lease.token, {
      runId: this.message.runId,
      integrationId: this.message.integrationId,
      // The client already redacts what Cloudflare says; this is the last check before D1.
      failure: { code: f.code, message: redactSecrets(f.message, this.secrets) },
      finishedAt: nowIso(),
      apiRequests: this.apiRequests,
      pages: this.pages,
      seen: 0,
    });
    this.log({ status: "failed", apiRequests: this.apiRequests, pages: this.pages, error: f.code });
    await wakeWebhooksAfterCommit(this.deps.db, this.deps.webhookQueue);
    return DONE;
  }

  private log(fields: Record<string, unknown>): void {
    log(fields.status === "failed" ? "warn" : "info", "sync_run", {
      integrationId: this.message.integrationId,
      runId: this.message.runId,
      trigger: this.lease.trigger,
      durationMs: Date.now() - this.lease.started,
      ...fields,
    });
  }
}

const countsOf = (diff: MemberDiff, seen: number) => ({
  seen,
  added: diff.added.length + diff.restored.length,
  updated: diff.updated.length,
  removed: diff.removed.length,
  unchanged: diff.unchanged,
});

/** Why the listing failed, in the admin's terms; a refused credential is re-verified to say which. */
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
        `Cloudflare's member listing for ${where} is too large for one sync: ${f.message} (at most ${MAX_PAGES_PER_SYNC} pages, ${MAX_PAGES_PER_SYNC * MAX_PER_PAGE} members at ${MAX_PER_PAGE} a page, within ${SYNC_BUDGET_SHARE * 100}% of the ${TOKEN_BUDGET_TEXT} a token has). Nothing was changed.`,
      );
    case "budget":
    case "rate_limited":
      return failure(
        "cloudflare_rate_limited",
        `Cloudflare kept rate limiting the token of ${where} after ${MAX_RATE_LIMITED_ATTEMPTS} attempts. Something else may be using the same token heavily; the next scheduled sync will try again.`,
      );
    case "http": {
      const restricted = restrictedTokenFailure(f);
      if (restricted) return restricted;
      return isAuthFailure(f)
        ? classifyRefusedToken(client, integration, where, f.message)
        : transportFailure(f);
    }
    default:
      return transportFailure(f);
  }
}

/**
 * 401/403 mid-sync: ask the verify endpoint whether the token died or lost a permission. What
 * Cloudflare said (already redacted by the client) is kept in the message for the admin.
 */
async function classifyRefusedToken(
  client: CloudflareClient,
  integration: IntegrationRow,
  where: string,
  cloudflareSaid: string,
): Promise<Failure> {
  const verified = await verifyToken(client, integration.token_kind, integration.account_id);
  // The verify call itself failing for another reason (5xx, timeout) says nothing about the token.
  if (!verified.ok && !isAuthFailure(verified.error)) return transportFailure(verified.error);
  if (!verified.ok || verified.value.status !== "active") {
    const state = verified.ok ? verified.value.status : "revoked or invalid";
    return failure(
      "cloudflare_token_invalid",
      `The API token of ${where} is ${state} (Cloudflare said: ${cloudflareSaid}). Create a new read-only token in Cloudflare and set it with PATCH /v1/integrations/${integration.id}.`,
    );
  }
  return failure(
    "cloudflare_permission_missing",
    `The API token of ${where} is active but may no longer list members (Cloudflare said: ${cloudflareSaid}). Edit it in the Cloudflare dashboard and add ${REQUIRED_PERMISSIONS} for this account.`,
  );
}
