/**
 * A small typed client for the Cloudflare v4 API: one `get` that validates the envelope and the
 * result with zod, bounds every request with a timeout, retries what is worth retrying, and
 * returns expected failures as values (docs/sync.md#pacing-and-rate-limits).
 */
import type { z } from "zod";
import { redactSecrets } from "../lib/redact";
import { err, ok, type Result } from "../lib/result";
import { sleep } from "../lib/time";
import { TOKEN_BUDGET_TEXT } from "./errors";
import { type Envelope, envelopeSchema, type ResultInfo } from "./schemas";

/** 5xx and network errors: the first try plus two retries, with backoff and jitter. */
export const MAX_ATTEMPTS = 3;
/** Backoff base; doubles per retry and gets up to 50% jitter, capped at BACKOFF_CAP_MS. */
const BACKOFF_BASE_MS = 250;
const BACKOFF_CAP_MS = 2_000;
/** A Retry-After up to this many seconds is waited out in the invocation; longer ones end it. */
export const SHORT_RETRY_AFTER_MAX_SECONDS = 5;
/** How many short 429 waits one request may take before giving up on this attempt. */
const MAX_SHORT_RATE_LIMIT_WAITS = 3;

export interface CloudflareError {
  code?: number;
  message?: string;
}

export type ClientFailure =
  | { kind: "http"; status: number; errors: CloudflareError[]; message: string }
  | { kind: "rate_limited"; retryAfterSeconds: number; message: string }
  | { kind: "unavailable"; message: string }
  | { kind: "invalid_response"; message: string };

export interface RateLimitState {
  /** Requests left in the token's current window, from the `Ratelimit` header. */
  remaining: number;
  /** Seconds until that window resets. */
  resetSeconds: number;
}

export interface ClientOptions {
  baseUrl: string;
  token: string;
  timeoutMs: number;
  /** Injected so tests can make backoff instant; defaults to real sleeping. */
  sleep?: (ms: number) => Promise<void>;
}

export interface Page<T> {
  result: T;
  resultInfo: ResultInfo | null;
}

export class CloudflareClient {
  /** Every HTTP request sent, retries included (SyncRun.apiRequests). */
  requests = 0;
  /** The latest `Ratelimit` reading, for pacing. */
  rateLimit: RateLimitState | null = null;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: ClientOptions) {
    this.sleep = options.sleep ?? sleep;
  }

  /** GET a path, validate envelope and result; retries 5xx/network/short-429 within bounds. */
  async get<S extends z.ZodType>(
    path: string,
    query: Record<string, string | number | undefined>,
    resultSchema: S,
  ): Promise<Result<Page<z.infer<S>>, ClientFailure>> {
    const url = new URL(this.options.baseUrl + path);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    let attempt = 0;
    let rateLimitWaits = 0;
    for (;;) {
      attempt++;
      const outcome = await this.once(url, resultSchema);
      if (outcome.ok) return outcome;
      const failure = outcome.error;
      if (failure.kind === "rate_limited") {
        if (
          failure.retryAfterSeconds > SHORT_RETRY_AFTER_MAX_SECONDS ||
          rateLimitWaits >= MAX_SHORT_RATE_LIMIT_WAITS
        ) {
          return outcome;
        }
        rateLimitWaits++;
        attempt--; // a rate-limit wait is not a failed attempt
        await this.sleep(failure.retryAfterSeconds * 1000);
        continue;
      }
      const retryable = failure.kind === "unavailable";
      if (!retryable || attempt >= MAX_ATTEMPTS) return outcome;
      const backoff = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
      await this.sleep(backoff * (0.5 + Math.random() * 0.5));
    }
  }

  private async once<S extends z.ZodType>(
    url: URL,
    resultSchema: S,
  ): Promise<Result<Page<z.infer<S>>, ClientFailure>> {
    const answer = await this.send(url);
    if (!answer.ok) return answer;
    const { response, text } = answer.value;
    const refused = statusFailure(response, url);
    if (refused) return err(refused);
    const envelope = parseEnvelope(text);
    if (!envelope) {
      if (!response.ok) {
        return err({ kind: "http", status: response.status, errors: [], message: `HTTP ${response.status}` });
      }
      return err({
        kind: "invalid_response",
        message: `Cloudflare sent a malformed response for ${url.pathname}`,
      });
    }
    if (!response.ok || !envelope.success) return err(this.errorAnswer(response.status, envelope));
    const result = resultSchema.safeParse(envelope.result);
    if (!result.success) {
      const issue = result.error.issues[0];
      const where = issue ? `${issue.path.join(".") || "result"}: ${issue.message}` : "result";
      return err({
        kind: "invalid_response",
        message: `Cloudflare sent data the connector does not understand for ${url.pathname} (${where})`,
      });
    }
    return ok({ result: result.data, resultInfo: envelope.result_info ?? null });
  }

  /** One request with a timeout, read to the end; a network failure is `unavailable`. */
  private async send(url: URL): Promise<Result<{ response: Response; text: string }, ClientFailure>> {
    this.requests++;
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { Authorization: `Bearer ${this.options.token}`, Accept: "application/json" },
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (e) {
      const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
      return err({
        kind: "unavailable",
        message: timedOut
          ? `Cloudflare did not answer ${url.pathname} within ${this.options.timeoutMs} ms`
          : `could not reach Cloudflare (${url.pathname}): ${this.redact(e instanceof Error ? e.message : String(e))}`,
      });
    }
    this.readRateLimit(response.headers);
    try {
      return ok({ response, text: await response.text() });
    } catch {
      return err({
        kind: "unavailable",
        message: `connection to Cloudflare dropped while reading ${url.pathname}`,
      });
    }
  }

  /** A v4 error envelope as a failure, with Cloudflare's messages redacted. */
  private errorAnswer(status: number, envelope: Envelope): ClientFailure {
    const errors = (envelope.errors ?? []).map((e) => ({
      code: e.code,
      message: e.message === undefined ? undefined : this.redact(e.message),
    }));
    const summary = errors.map((e) => `${e.code ?? "?"} ${e.message ?? ""}`.trim()).join("; ");
    return { kind: "http", status, errors, message: summary || `HTTP ${status}` };
  }

  /** Messages from Cloudflare may echo the credential; never let it travel further. */
  private redact(message: string): string {
    return redactSecrets(message, [this.options.token]);
  }

  private readRateLimit(headers: Headers): void {
    const parsed = parseRateLimitHeader(headers.get("Ratelimit"));
    if (parsed) {
      this.rateLimit = parsed;
      return;
    }
    // Older form (superseded docs): x-ratelimit-remaining / x-ratelimit-reset.
    const remaining = Number(headers.get("x-ratelimit-remaining"));
    if (headers.has("x-ratelimit-remaining") && Number.isFinite(remaining)) {
      this.rateLimit = { remaining, resetSeconds: 300 };
    }
  }
}

/** 429 and 5xx, which the client handles whatever the body says; null for any other status. */
function statusFailure(response: Response, url: URL): ClientFailure | null {
  if (response.status === 429) {
    return {
      kind: "rate_limited",
      retryAfterSeconds: parseRetryAfter(response.headers.get("Retry-After")),
      message: `Cloudflare rate limit reached for this token (${TOKEN_BUDGET_TEXT})`,
    };
  }
  if (response.status >= 500) {
    return { kind: "unavailable", message: `Cloudflare answered ${response.status} on ${url.pathname}` };
  }
  return null;
}

/** The v4 envelope, or null when the body is not JSON or not an envelope. */
function parseEnvelope(text: string): Envelope | null {
  try {
    const parsed = envelopeSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** `Ratelimit: "default";r=50;t=30` (IETF draft form) → remaining 50, reset in 30 s. */
export function parseRateLimitHeader(value: string | null): RateLimitState | null {
  if (!value) return null;
  const r = /(?:^|;)\s*r=(\d+)/.exec(value);
  const t = /(?:^|;)\s*t=(\d+)/.exec(value);
  if (!r || !t) return null;
  return { remaining: Number(r[1]), resetSeconds: Number(t[1]) };
}

/** Retry-After is seconds (rounded up by Cloudflare) or an HTTP date; missing or unreadable → 60 s. */
export function parseRetryAfter(value: string | null): number {
  if (value === null) return 60;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  // An HTTP date names its weekday and GMT; bare numbers such as "-5" are not dates.
  const date = /[a-z]/i.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isFinite(date)) return Math.max(0, Math.ceil((date - Date.now()) / 1000));
  return 60;
}
