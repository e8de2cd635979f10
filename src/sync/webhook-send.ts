/**
 * One webhook attempt over HTTP (docs/webhooks.md#what-a-delivery-looks-like): the Standard
 * Webhooks headers, a timeout, redirects not followed, and the answer reduced to an AttemptResult.
 * The receiver's body is never read: what it says is not ours to store or log.
 */
import type { AttemptResult } from "../domain/webhook";
import { parseRetryAfter } from "../domain/webhook";
import { signature } from "../lib/standard-webhooks";

const USER_AGENT = "cloudflare-connector-webhooks/1";

export interface Signed {
  /** The `webhook-id`: the event's id, the same on every attempt so receivers can drop repeats. */
  id: string;
  body: string;
}

export async function sendSigned(
  url: string,
  key: CryptoKey,
  message: Signed,
  timeoutMs: number,
): Promise<AttemptResult> {
  const timestamp = Math.floor(Date.now() / 1000);
  try {
    const response = await fetch(url, {
      method: "POST",
      // A redirect is an answer, not an instruction: following it would send signed data where
      // the admin never pointed it.
      redirect: "manual",
      headers: {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message.id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": await signature(key, message.id, timestamp, message.body),
      },
      body: message.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { kind: "ok", status: response.status };
    return {
      kind: "http",
      status: response.status,
      retryAfterMs: parseRetryAfter(response.headers.get("Retry-After"), Date.now()),
    };
  } catch (e) {
    if (e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError"))
      return { kind: "timeout" };
    return { kind: "network", message: e instanceof Error ? e.message : String(e) };
  }
}
