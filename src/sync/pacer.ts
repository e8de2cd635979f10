/**
 * Pacing one sync's Cloudflare requests under its share of the token's budget
 * (docs/sync.md#pacing-and-rate-limits): a token bucket, slowed further when Cloudflare's
 * `Ratelimit` header says the token as a whole is nearly spent.
 */
import type { CloudflareClient } from "../cloudflare/client";
import { TOKEN_BUDGET_REQUESTS, TOKEN_BUDGET_WINDOW_MS } from "../cloudflare/errors";
import { err, ok, type Result } from "../lib/result";
import { sleep } from "../lib/time";

/** One sync may spend at most half the token's budget in any 5-minute window. */
export const SYNC_BUDGET_SHARE = 0.5;
/**
 * The share as a token bucket: a burst of half the share, refilled at half the share per window,
 * so no window ever sees more than the share (burst + refill). 300 requests at once, then 1/s.
 */
export const PACER_BURST = Math.floor((TOKEN_BUDGET_REQUESTS * SYNC_BUDGET_SHARE) / 2);
export const PACER_RATE_PER_MS = PACER_BURST / TOKEN_BUDGET_WINDOW_MS;
/** When Cloudflare says fewer than this many requests remain, slow down and leave them to others. */
export const RATELIMIT_RESERVE = 50;
/** Longest pause taken inside an invocation to respect the budget; longer ends the attempt. */
export const MAX_PACING_WAIT_MS = 10_000;

/** The pacer's answer when the next request would have to wait longer than one invocation should. */
export interface BudgetSpent {
  kind: "budget";
  retryAfterSeconds: number;
  message: string;
}

/** The bucket between deliveries of a staged sync: tokens left at a time (epoch ms). */
export interface PacerState {
  tokens: number;
  at: number;
}

/** Spreads requests so one sync stays under its share of the token budget (a token bucket). */
export class Pacer {
  private tokens = PACER_BURST;
  private last: number;

  constructor(
    private readonly client: CloudflareClient,
    private readonly wait: (ms: number) => Promise<void> = sleep,
    private readonly now: () => number = Date.now,
    /** A staged sync's bucket as its last delivery left it: a new delivery gets no fresh burst. */
    saved: PacerState | null = null,
  ) {
    this.last = now();
    if (saved) {
      this.tokens = Math.min(
        PACER_BURST,
        saved.tokens + Math.max(0, this.last - saved.at) * PACER_RATE_PER_MS,
      );
    }
  }

  /** The bucket now, to hand to the next delivery. */
  state(): PacerState {
    return { tokens: this.tokens, at: this.last };
  }

  /** Milliseconds until the next request may go under this sync's share (0: now). */
  waitForNextMs(): number {
    const tokens = Math.min(PACER_BURST, this.tokens + (this.now() - this.last) * PACER_RATE_PER_MS);
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / PACER_RATE_PER_MS);
  }

  /** Resolves when the next request may go; a failure when the wait would be too long. */
  async acquire(): Promise<Result<void, BudgetSpent>> {
    const now = this.now();
    this.tokens = Math.min(PACER_BURST, this.tokens + (now - this.last) * PACER_RATE_PER_MS);
    this.last = now;
    // Below one token, wait for the refill; concurrent callers reserve tokens in turn (negative).
    const waitMs = Math.max(
      this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / PACER_RATE_PER_MS),
      this.tokenWideWaitMs(),
    );
    if (waitMs > MAX_PACING_WAIT_MS) {
      const retryAfterSeconds = Math.ceil(waitMs / 1000);
      return err({
        kind: "budget",
        retryAfterSeconds,
        message: `this sync has used its share of the token's rate budget; continuing in ${retryAfterSeconds} s`,
      });
    }
    this.tokens -= 1;
    if (waitMs > 0) await this.wait(waitMs);
    return ok(undefined);
  }

  /** What Cloudflare says is left for the token as a whole, as a wait before the next request. */
  private tokenWideWaitMs(): number {
    const rl = this.client.rateLimit;
    if (!rl || rl.remaining > RATELIMIT_RESERVE) return 0;
    if (rl.remaining === 0) return rl.resetSeconds * 1000;
    return Math.ceil((rl.resetSeconds * 1000) / rl.remaining);
  }
}
