/**
 * Change webhooks (docs/webhooks.md): what an endpoint may subscribe to, which URLs it may point
 * at, and the pure rules of delivery — how an answer is classified, how long to wait before the
 * next attempt, when to give up on an event and when to disable the endpoint.
 */
import type { EventType } from "./event";
import { EVENT_TYPES } from "./event";

/** The patterns an endpoint subscribes with; `*` patterns stand for every type of their family. */
export const WEBHOOK_EVENT_PATTERNS = [
  "account.*",
  "api_token.*",
  "finding.opened",
  "finding.resolved",
  "sync.failed",
] as const;
export type WebhookEventPattern = (typeof WEBHOOK_EVENT_PATTERNS)[number];

/** Every event type a webhook can carry (the test event is sent only by POST …/test). */
export type WebhookEventType = EventType | "finding.opened" | "finding.resolved" | "sync.failed";
export const WEBHOOK_TEST_EVENT = "webhook.test";

/** The concrete types a list of patterns subscribes to, in a stable order, without repeats. */
export function expandPatterns(patterns: readonly WebhookEventPattern[]): WebhookEventType[] {
  const types = new Set<WebhookEventType>();
  for (const pattern of patterns) {
    if (pattern.endsWith(".*")) {
      const family = pattern.slice(0, -1);
      for (const type of EVENT_TYPES) if (type.startsWith(family)) types.add(type);
    } else {
      types.add(pattern as WebhookEventType);
    }
  }
  return [...types];
}

/** Hosts plain http may reach: a receiver on the same machine, for local use. */
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1"]);

/** Why a URL may not receive webhooks, or null when it may. */
export function webhookUrlProblem(text: string): string | null {
  if (!URL.canParse(text)) return "must be an absolute URL such as https://example.com/hooks";
  const url = new URL(text);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOCAL_HOSTS.has(url.hostname))) {
    return "must use https (plain http only to localhost or 127.0.0.1)";
  }
  if (url.username !== "" || url.password !== "") return "must not contain a user name or password";
  return null;
}

/** An event is retried for this long after its first attempt, then given up for this endpoint. */
export const RETRY_WINDOW_MS = 24 * 3_600_000;
/** An endpoint that has not had one success for this long is disabled. */
export const DISABLE_AFTER_MS = 5 * 86_400_000;
/** First retry after about 30 s, each next one three times later, never more than 6 h apart. */
export const BACKOFF_BASE_MS = 30_000;
export const BACKOFF_FACTOR = 3;
export const BACKOFF_MAX_MS = 6 * 3_600_000;
/** ±20 % jitter, so endpoints that failed together do not all come back in the same second. */
export const BACKOFF_JITTER = 0.2;

/**
 * Delay before attempt `failedAttempts + 1`: 30 s, 1.5 min, 4.5 min, 13.5 min, 40 min, 2 h, 6 h,
 * 6 h… each ±20 %. `random` is in [0, 1).
 */
export function backoffMs(failedAttempts: number, random: number = Math.random()): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * BACKOFF_FACTOR ** Math.max(0, failedAttempts - 1));
  return Math.round(base * (1 - BACKOFF_JITTER + 2 * BACKOFF_JITTER * random));
}

/** What one attempt came to, before the retry policy decides what follows. */
export type AttemptResult =
  | { kind: "ok"; status: number }
  | { kind: "http"; status: number; retryAfterMs: number | null }
  | { kind: "timeout" }
  | { kind: "network"; message: string };

/** Whether an attempt's result is worth another attempt: 5xx, 408, 429, timeouts and network errors. */
export function isRetryable(result: AttemptResult): boolean {
  if (result.kind === "ok") return false;
  if (result.kind !== "http") return true;
  return result.status >= 500 || result.status === 408 || result.status === 429;
}

/** The error text a delivery record shows for a failed attempt. */
export function attemptError(result: AttemptResult, timeoutMs: number): string | null {
  switch (result.kind) {
    case "ok":
      return null;
    case "timeout":
      return `no answer within ${timeoutMs / 1000} s`;
    case "network":
      return `could not connect: ${result.message}`;
    case "http":
      if (result.status >= 300 && result.status < 400)
        return `HTTP ${result.status}: redirects are not followed`;
      return `HTTP ${result.status}`;
  }
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d{1,9}$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** What happens after a failed attempt at the head event. */
export type FailurePlan =
  | { kind: "retry"; at: number }
  | { kind: "give_up"; reason: "final" | "window" }
  | { kind: "disable" };

/**
 * The plan after a failed attempt: disable the endpoint once it has failed for DISABLE_AFTER_MS
 * without a success; give the event up when the answer is final or the next attempt would fall
 * outside its RETRY_WINDOW_MS; else retry after the backoff, or after Retry-After when longer.
 */
export function planAfterFailure(
  result: AttemptResult,
  s: { now: number; attempts: number; headSince: number; failingSince: number },
  random: number = Math.random(),
): FailurePlan {
  if (s.now - s.failingSince >= DISABLE_AFTER_MS) return { kind: "disable" };
  if (!isRetryable(result)) return { kind: "give_up", reason: "final" };
  const retryAfter = result.kind === "http" ? (result.retryAfterMs ?? 0) : 0;
  const at = s.now + Math.max(backoffMs(s.attempts, random), retryAfter);
  if (at - s.headSince > RETRY_WINDOW_MS) return { kind: "give_up", reason: "window" };
  return { kind: "retry", at };
}
