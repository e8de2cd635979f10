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
  transportFailure,
} from "../cloudflare/errors";
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
import {
  invitationsOf,
  type SyncWrite,
  stagedSyncWriteStatements,
  syncWriteStatements,
} from "../store/sync-batch";
import {
  continueRun,
  failRun,
  getSyncRunRow,
  isLeaseLost,
  releaseLease,
  requeueRun,
  type SyncRunRow,
  type SyncTrigger,
  takeLease,
} from "../store/sync-runs";
import { discardInactiveStaging, discardRunStaging, discardStagedWrites } from "../store/sync-staging";
import { forEachStoredPage } from "../store/user-accounts-read";
import { getCredential } from "../vault/credentials";
import { diffApiTokens } from "./api-token-diff";
import { MemberDiffer } from "./diff";
import type { SyncMessage } from "./enqueue";
import {
  expectedPagesOf,
  type ListFailure,
  type Listing,
  listAllMembers,
  type OpeningPages,
} from "./fetch-members";
import { Pacer, type PacerState } from "./pacer";
import { readSources } from "./sources";
import { diffStaged, STAGED_TAGS, type StagedDiff } from "./staged-diff";
import { continueStagedListing, type StagedListing } from "./staged-listing";
import { type WebhookMessage, wakeWebhooksAfterCommit } from "./webhooks";

/**
 * A run's lease outlives any invocation (queue consumers get 15 minutes of wall time), so two
 * live attempts can never overlap; a crashed attempt blocks its integration for at most this long.
 */
export const LEASE_MS = 16 * 60_000;
/** Long Retry-After answers end the attempt and come back through the queue at most this often. */
export const MAX_RATE_LIMITED_ATTEMPTS = 5;

/**
 * What the queue consumer does with the message afterwards: ack it, retry it (a rate-limited
 * attempt, counted), or ack it and send the run's continuation (a staged sync's next delivery,
 * not counted against MAX_RATE_LIMITED_ATTEMPTS: docs/sync.md#continuation).
 */
export type RunOutcome =
  | { kind: "done" }
  | { kind: "retry"; delaySeconds: number }
  | { kind: "continue"; delaySeconds: number };

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
  const row = await getSyncRunRow(db, message.runId);
  const run = new LeasedRun(deps, message, attempt, { token: leaseToken, ...lease, started, row });
  try {
    return await run.execute();
  } catch (e) {
    // Unexpected (D1 unreachable while recording the outcome, say): give the lease back so the
    // queue's redelivery can run the sync again at once instead of waiting out LEASE_MS.
    await releaseLease(db, message.runId, leaseToken).catch(() => undefined);
    throw e;
  }
}

export interface HeldLease {
  token: string;
  trigger: SyncTrigger;
  rowsWritten: number;
  started: number;
  /** The run as this attempt found it: a staged run's checkpoint and pacer. */
  row: SyncRunRow | null;
}

/** One attempt that holds the run's lease: each step is a method, in the order execute() runs them. */
class LeasedRun {
  private apiRequests = 0;
  private pages = 0;
  /** This attempt lists into staging: a failure discards the run's staging rows. */
  private stagedListing = false;
  /** D1 rows a staged attempt wrote before its result batch: pages staged, chunk writes, discards. */
  private stagingRowsWritten = 0;
  private readonly countWritten = (rows: number) => {
    this.stagingRowsWritten += rows;
  };
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
    const accountRead = client.value
      .get(`/accounts/${encodeURIComponent(integration.account_id)}`, {}, accountSchema)
      .then((a) => (a.ok ? (a.value.result.settings?.enforce_twofactor ?? null) : null));
    const expectedMembers = this.message.expectedMembers ?? integration.account_count;
    const { minPages } = this.deps.config.stagedSync;
    const row = this.lease.row;
    const saved = row?.pacer_state ? (JSON.parse(row.pacer_state) as PacerState) : null;
    const pacer = new Pacer(client.value, this.deps.sleep, Date.now, saved);
    const staged = row?.staged_pages_expected != null || expectedPagesOf(expectedMembers) > minPages;
    if (staged) return this.staged(client.value, integration, pacer, accountRead, null);
    const listing = await listAllMembers(
      client.value,
      integration.account_id,
      pacer,
      expectedMembers,
      minPages,
    );
    if (!listing.ok && listing.error.kind === "stage") {
      return this.staged(client.value, integration, pacer, accountRead, listing.error.opening);
    }
    const enforceTwoFactor = await accountRead;
    this.apiRequests = client.value.requests;
    if (!listing.ok) return this.listingFailed(client.value, integration, listing.error);

    this.pages = listing.value.pages;
    const membersRequests = this.apiRequests;
    const sources = await this.readSources(client.value, pacer, integration, membersRequests);
    this.apiRequests = client.value.requests;
    return this.store(integration, listing.value, enforceTwoFactor, sources);
  }

  /**
   * A staged sync's attempt (docs/sync.md#staged-sync): list what is missing into D1; when the
   * listing is complete, read the sources, diff in chunks and switch in one batch. An attempt
   * that runs out of time or budget hands the run to its next delivery.
   */
  private async staged(
    client: CloudflareClient,
    integration: IntegrationRow,
    pacer: Pacer,
    twoFactor: Promise<boolean | null>,
    opening: OpeningPages | null,
  ): Promise<RunOutcome> {
    this.stagedListing = true;
    const row = this.lease.row;
    const resumed = row?.staged_pages_expected != null;
    // A run of this integration that died earlier left its rows: gone before this one stages anything.
    if (!resumed) {
      this.countWritten(await discardInactiveStaging(this.deps.db, integration.id, Number.POSITIVE_INFINITY));
    }
    let listing: StagedListing;
    try {
      listing = await continueStagedListing(
        {
          db: this.deps.db,
          client,
          pacer,
          accountId: integration.account_id,
          integrationId: integration.id,
          runId: this.message.runId,
          leaseToken: this.lease.token,
          config: this.deps.config.stagedSync,
          started: this.lease.started,
          size: resumed
            ? { totalPages: row.staged_pages_expected!, perPage: row.staged_per_page ?? 0 }
            : null,
          onWritten: this.countWritten,
        },
        opening,
      );
    } catch (e) {
      if (isLeaseLost(e)) return this.superseded();
      throw e;
    }
    const enforceTwoFactor = await twoFactor;
    this.apiRequests = client.requests;
    return this.afterStagedListing(client, integration, pacer, listing, enforceTwoFactor);
  }

  private async afterStagedListing(
    client: CloudflareClient,
    integration: IntegrationRow,
    pacer: Pacer,
    listing: StagedListing,
    enforceTwoFactor: boolean | null,
  ): Promise<RunOutcome> {
    switch (listing.kind) {
      case "paused":
        return this.pause(pacer, listing.delaySeconds);
      case "failed":
        return this.listingFailed(client, integration, listing.failure);
      case "unsized":
        return this.fail(
          failure(
            "cloudflare_invalid_response",
            `Cloudflare's member listing for '${integration.organization_name}' (${integration.label}) gave no page count, which a sync of this size needs. The next sync will try again.`,
          ),
        );
      default: {
        this.pages = listing.pages;
        // The members source's requests over the whole run: earlier deliveries' are on the row.
        const earlier = this.lease.row?.api_requests ?? 0;
        const sources = await this.readSources(client, pacer, integration, earlier + this.apiRequests);
        this.apiRequests = client.requests;
        return this.switchStaged(integration, listing.members, enforceTwoFactor, sources);
      }
    }
  }

  /** Hands the run to its next delivery, keeping the pacer's bucket (docs/sync.md#continuation). */
  private async pause(pacer: Pacer, delaySeconds: number): Promise<RunOutcome> {
    const continued = await continueRun(this.deps.db, {
      runId: this.message.runId,
      leaseToken: this.lease.token,
      apiRequests: this.apiRequests,
      resumeAt: Date.now() + delaySeconds * 1000,
      pacerState: JSON.stringify(pacer.state()),
    });
    if (!continued) return this.superseded();
    this.log({
      status: "continued",
      apiRequests: this.apiRequests,
      rowsWritten: this.lease.rowsWritten + this.stagingRowsWritten + 1,
      retryAfterSeconds: delaySeconds,
    });
    return { kind: "continue", delaySeconds };
  }

  /** The chunked diff, then the switch: one batch, after which the staging rows are discarded. */
  private async switchStaged(
    integration: IntegrationRow,
    seen: number,
    enforceTwoFactor: boolean | null,
    sources: SyncWrite["sources"],
  ): Promise<RunOutcome> {
    const { db } = this.deps;
    const runId = this.message.runId;
    const diff = await this.diffStagedOrSuperseded(integration, sources);
    if (!diff) return this.superseded();
    const statements = stagedSyncWriteStatements(
      db,
      { ...this.outcome(integration, enforceTwoFactor, sources), seen },
      { ...diff, counts: { ...diff.counts, seen } },
      STAGED_TAGS,
    );
    const rowsWritten = await this.commit(integration, statements);
    if (rowsWritten === null) return DONE;
    await discardRunStaging(db, runId, Number.POSITIVE_INFINITY);
    this.log({
      status: "succeeded",
      apiRequests: this.apiRequests,
      pages: this.pages,
      rowsWritten,
      counts: diff.counts,
    });
    await wakeWebhooksAfterCommit(db, this.deps.webhookQueue);
    return DONE;
  }

  /** The chunked diff of the staged listing; null when this attempt lost the run's lease meanwhile. */
  private async diffStagedOrSuperseded(
    integration: IntegrationRow,
    sources: SyncWrite["sources"],
  ): Promise<StagedDiff | null> {
    const { db } = this.deps;
    const runId = this.message.runId;
    try {
      // A final attempt that died after its diff left staged writes: this one diffs again.
      this.countWritten(await discardStagedWrites(db, runId, this.lease.token));
      return await diffStaged(
        {
          db,
          runId,
          leaseToken: this.lease.token,
          integrationId: integration.id,
          previousSuccessAt: integration.last_successful_sync_at,
          auditChanges: sources.audit?.changes ?? [],
          invitations: invitationsOf(sources),
          onWritten: this.countWritten,
        },
        this.deps.config.stagedSync.diffChunk,
      );
    } catch (e) {
      if (isLeaseLost(e)) return null;
      throw e;
    }
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
      // resume_at moves too, so the cron does not resend a staged run before its Retry-After.
      await requeueRun(this.deps.db, this.message.runId, this.lease.token, {
        apiRequests: this.apiRequests,
        resumeAt: Date.now() + f.retryAfterSeconds * 1000,
      });
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
      ...this.outcome(integration, enforceTwoFactor, sources),
      seen: listing.members.length,
      diff,
    });
    const rowsWritten = await this.commit(integration, statements);
    if (rowsWritten === null) return DONE;
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

  /** What the result batch records besides the members, whichever way they were diffed. */
  private outcome(
    integration: IntegrationRow,
    enforceTwoFactor: boolean | null,
    sources: SyncWrite["sources"],
  ) {
    return {
      integrationId: integration.id,
      runId: this.message.runId,
      leaseToken: this.lease.token,
      finishedAt: nowIso(),
      previousSuccessAt: integration.last_successful_sync_at,
      seen: 0,
      pages: this.pages,
      apiRequests: this.apiRequests,
      enforceTwoFactor,
      findingThresholds: this.deps.config.findings,
      sources,
    };
  }

  /** Runs the result batch; the D1 rows this run wrote (lease + result), or null when it did not commit. */
  private async commit(
    integration: IntegrationRow,
    statements: D1PreparedStatement[],
  ): Promise<number | null> {
    let rowsWritten = this.lease.rowsWritten;
    try {
      const results = await this.deps.db.batch(statements);
      for (const r of results) rowsWritten += r.meta.rows_written ?? 0;
      return rowsWritten;
    } catch (e) {
      await this.writeFailed(integration, e);
      return null;
    }
  }

  private superseded(): RunOutcome {
    this.log({ status: "superseded", apiRequests: this.apiRequests, pages: this.pages });
    return DONE;
  }

  private writeFailed(integration: IntegrationRow, e: unknown): Promise<RunOutcome> | RunOutcome {
    if (isLeaseLost(e)) return this.superseded();
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
    // Only runs no longer active are discarded: nothing, if another attempt holds this one.
    if (this.stagedListing)
      await discardInactiveStaging(this.deps.db, this.message.integrationId, Number.POSITIVE_INFINITY);
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
    case "stage":
      // Handled before: a listing that needs staging is staged, never failed.
      return failure(
        "internal",
        `The member listing for ${where} could not be staged; the next sync will try again.`,
      );
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
