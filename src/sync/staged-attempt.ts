/**
 * What one attempt of a staged sync may still request (docs/sync.md#staged-sync): its wall time
 * (STAGED_SYNC_INVOCATION_MS), an optional bound on requests (STAGED_SYNC_PAGES_PER_INVOCATION,
 * for tests) and the pacer's budget. Member pages and single-member confirmations draw on the
 * same allowance; when it runs out the run continues in its next delivery.
 */
import type { CloudflareClient } from "../cloudflare/client";
import type { StagedSyncConfig } from "../config";
import type { Result } from "../lib/result";
import { type ListFailure, PAGE_CONCURRENCY } from "./fetch-members";
import type { Pacer } from "./pacer";

/** What every step of a staged attempt works with: the run, its lease, and where it writes. */
export interface StagedRunContext {
  db: D1Database;
  client: CloudflareClient;
  pacer: Pacer;
  accountId: string;
  integrationId: string;
  runId: string;
  leaseToken: string;
  /** Told the D1 rows each write wrote, so a run reports its whole write cost. */
  onWritten: (rows: number) => void;
}

/** Why an attempt stopped before its work was done. */
export type StagedStop = { kind: "paused"; delaySeconds: number } | { kind: "failed"; failure: ListFailure };

export class AttemptAllowance {
  requested = 0;

  constructor(
    private readonly pacer: Pacer,
    private readonly config: StagedSyncConfig,
    /** When this invocation started (epoch ms). */
    private readonly started: number,
  ) {}

  /**
   * Half the attempt's time (or request bound) is gone: the diff and switch are left to a fresh
   * delivery rather than started with too little of the invocation left.
   */
  halfUsed(): boolean {
    const bound = this.config.pagesPerInvocation;
    if (bound > 0 && this.requested * 2 >= bound) return true;
    return Date.now() - this.started >= this.config.invocationMs / 2;
  }

  private exhausted(): boolean {
    const bound = this.config.pagesPerInvocation;
    if (bound > 0 && this.requested >= bound) return true;
    return Date.now() - this.started >= this.config.invocationMs;
  }

  /**
   * Requests `items` PAGE_CONCURRENCY at a time and keeps each answer as it arrives; returns why
   * it stopped early, or null when every item was answered and kept.
   */
  async each<T, V>(
    items: readonly T[],
    request: (item: T) => Promise<Result<V, ListFailure>>,
    keep: (item: T, value: V) => Promise<void>,
  ): Promise<StagedStop | null> {
    const queue = [...items];
    let stop: StagedStop | null = null;
    // A keep that throws (a lost lease, D1 down) stops the other workers too, then is rethrown.
    let thrown: { error: unknown } | null = null;
    const worker = async () => {
      while (queue.length > 0 && !stop && !thrown) {
        if (this.exhausted()) {
          stop = graver(stop, { kind: "paused", delaySeconds: Math.ceil(this.pacer.waitForNextMs() / 1000) });
          return;
        }
        const item = queue.shift()!;
        this.requested++;
        const answer = await request(item);
        if (!answer.ok) {
          // The pacer's own wait is a continuation, not a failure: the item is asked for next time.
          stop = graver(
            stop,
            answer.error.kind === "budget"
              ? { kind: "paused", delaySeconds: answer.error.retryAfterSeconds }
              : { kind: "failed", failure: answer.error },
          );
          return;
        }
        try {
          await keep(item, answer.value);
        } catch (error) {
          thrown ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PAGE_CONCURRENCY, queue.length) }, worker));
    if (thrown) throw (thrown as { error: unknown }).error;
    return stop;
  }
}

/**
 * Of two reasons to stop, the one the run must act on: a failure (a 429's Retry-After included)
 * over a pause, and the longer of two pauses. Answers still in flight when another worker stopped
 * are weighed too, so a late 429 is never lost behind a pause.
 */
function graver(current: StagedStop | null, next: StagedStop): StagedStop {
  if (!current) return next;
  if (current.kind === "failed") return current;
  if (next.kind === "failed") return next;
  return current.delaySeconds >= next.delaySeconds ? current : next;
}
