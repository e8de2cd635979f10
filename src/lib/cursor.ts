/**
 * Opaque pagination cursors. A cursor carries the keyset position and the query it belongs to,
 * signed with HMAC-SHA256 so that a cursor from another query, another integration, or one that
 * was edited by hand is refused (docs/api.md#limits: 400 validation_failed naming `cursor`).
 */
import { decodeBase64Url, encodeBase64Url } from "./base64";
import { equalBytes } from "./constant-time";

/** 128 bits of MAC are plenty to make forging a cursor pointless. */
const MAC_BYTES = 16;
const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

function macKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      encoder.encode(`cloudflare-connector:cursor:v1:${secret}`),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    keys.set(secret, key);
  }
  return key;
}

async function mac(secret: string, payload: string): Promise<Uint8Array> {
  const signature = await crypto.subtle.sign("HMAC", await macKey(secret), encoder.encode(payload));
  return new Uint8Array(signature).slice(0, MAC_BYTES);
}

/** Encodes a position for `scope` (a string naming the query and its filters). */
export async function encodeCursor(secret: string, scope: string, position: unknown[]): Promise<string> {
  const payload = encodeBase64Url(encoder.encode(JSON.stringify(position)));
  return `${payload}.${encodeBase64Url(await mac(secret, `${scope}\n${payload}`))}`;
}

/** The position, or null when the cursor is malformed, forged or issued for another scope. */
export async function decodeCursor(secret: string, scope: string, cursor: string): Promise<unknown[] | null> {
  const [payload, signature, extra] = cursor.split(".");
  if (!payload || !signature || extra !== undefined) return null;
  const given = decodeBase64Url(signature);
  if (!given || given.length !== MAC_BYTES) return null;
  if (!equalBytes(given, await mac(secret, `${scope}\n${payload}`))) return null;
  try {
    const position = JSON.parse(new TextDecoder().decode(decodeBase64Url(payload) ?? new Uint8Array()));
    return Array.isArray(position) ? position : null;
  } catch {
    return null;
  }
}
