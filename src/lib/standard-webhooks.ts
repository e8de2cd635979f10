/**
 * Standard Webhooks signatures (docs/webhooks.md#verifying-a-delivery): secrets are `whsec_` and
 * the base64 of random bytes; a message is signed as HMAC-SHA256 over `{id}.{timestamp}.{body}`
 * with the decoded bytes as key, sent as `webhook-signature: v1,<base64>`.
 *
 * Web Crypto rather than the `standardwebhooks` package: HMAC is one native call in workerd, the
 * package would add its own SHA-256 and base64 in JavaScript to the bundle, and its verifier is
 * what the tests use to check these signatures independently.
 */
import { decodeBase64, encodeBase64 } from "./base64";

export const SECRET_PREFIX = "whsec_";
/** 256 random bits, the length of SHA-256's output: out of reach of guessing. */
export const SECRET_BYTES = 32;

/** A new secret, `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return `${SECRET_PREFIX}${encodeBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)))}`;
}

const encoder = new TextEncoder();

/** Imports a `whsec_…` secret as an HMAC-SHA256 signing key; null when it is not one. */
export async function signingKey(secret: string): Promise<CryptoKey | null> {
  if (!secret.startsWith(SECRET_PREFIX)) return null;
  const bytes = decodeBase64(secret.slice(SECRET_PREFIX.length));
  if (!bytes || bytes.length === 0) return null;
  return crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

/**
 * The `webhook-signature` value of one message.
 *
 * @example
 *   const key = await signingKey(secret);
 *   headers["webhook-signature"] = await signature(key!, msgId, Math.floor(Date.now() / 1000), body);
 */
export async function signature(
  key: CryptoKey,
  id: string,
  timestamp: number,
  body: string,
): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${id}.${timestamp}.${body}`));
  return `v1,${encodeBase64(new Uint8Array(mac))}`;
}
