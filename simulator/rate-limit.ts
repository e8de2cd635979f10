// Per-token sliding-window rate limiter and the IETF-draft headers Cloudflare sends with every
// answer (Cloudflare docs, "API rate limits", and its 2025-09-03 changelog entry):
// `Ratelimit: "default";r=<remaining>;t=<seconds>` and `Ratelimit-Policy: "default";q=<limit>;w=<window>`,
// plus `Retry-After` on 429.

import type { RateLimitPolicy } from "./state.ts";

export interface RateLimitDecision {
  allowed: boolean;
  remaining: number;
  /** Seconds, rounded up, until the oldest counted request leaves the window. */
  resetSeconds: number;
  policy: RateLimitPolicy;
}

/**
 * Counts accepted requests per key (the bearer token value). Refused requests are not counted: a
 * client retrying too early is refused until the window slides, not locked out for ever.
 */
export class RateLimiter {
  readonly #hits = new Map<string, number[]>();

  hit(key: string, policy: RateLimitPolicy, now = Date.now()): RateLimitDecision {
    const windowMs = policy.windowSeconds * 1000;
    let hits = this.#hits.get(key);
    if (!hits) {
      hits = [];
      this.#hits.set(key, hits);
    }
    let expired = 0;
    while (expired < hits.length && (hits[expired] as number) <= now - windowMs) expired++;
    if (expired > 0) hits.splice(0, expired);

    const allowed = hits.length < policy.limit;
    if (allowed) hits.push(now);
    const oldest = hits[0] ?? now;
    return {
      allowed,
      remaining: Math.max(0, policy.limit - hits.length),
      resetSeconds: Math.max(allowed ? 0 : 1, Math.ceil((oldest + windowMs - now) / 1000)),
      policy,
    };
  }
}

/** The headers every Cloudflare API answer carries. */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  const headers: Record<string, string> = {
    Ratelimit: `"default";r=${decision.remaining};t=${decision.resetSeconds}`,
    "Ratelimit-Policy": `"default";q=${decision.policy.limit};w=${decision.policy.windowSeconds}`,
  };
  if (!decision.allowed) headers["Retry-After"] = String(decision.resetSeconds);
  return headers;
}
