/**
 * Opaque pagination cursors (docs/api.md#limits). A cursor is the keyset position sealed with
 * AES-256-GCM under a key that seals nothing else (derived from ENCRYPTION_KEYS, see
 * vault/keyring.ts), with the query it belongs to as additional authenticated data. Whoever holds
 * a cursor (a read token, a proxy log) learns nothing from it: not the position (member emails
 * stay out of URLs), and nothing about any secret, since no bearer token takes part. A cursor
 * that was edited, forged or issued for another query fails authentication and is refused
 * (400 validation_failed naming `cursor`).
 */
import { decodeBase64Url, encodeBase64Url } from "./base64";

/** A fresh random 96-bit IV per cursor, as AES-GCM expects. */
const IV_BYTES = 12;
/** AES-GCM's full 128-bit tag. */
const TAG_BYTES = 16;
const encoder = new TextEncoder();

const sealing = (scope: string, iv: Uint8Array): SubtleCryptoEncryptAlgorithm => ({
  name: "AES-GCM",
  iv,
  additionalData: encoder.encode(`cloudflare-connector:cursor:v2\n${scope}`),
});

/** Seals a position for `scope` (a string naming the query and its filters) under `key`. */
export async function encodeCursor(key: CryptoKey, scope: string, position: unknown[]): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    sealing(scope, iv),
    key,
    encoder.encode(JSON.stringify(position)),
  );
  const bytes = new Uint8Array(IV_BYTES + sealed.byteLength);
  bytes.set(iv);
  bytes.set(new Uint8Array(sealed), IV_BYTES);
  return encodeBase64Url(bytes);
}

/**
 * The position, or null when the cursor is malformed, forged or issued for another scope. `keys`
 * are tried in order (the current key first), so cursors sealed before a key rotation keep
 * working while their key is still in the keyring.
 */
export async function decodeCursor(
  keys: readonly CryptoKey[],
  scope: string,
  cursor: string,
): Promise<unknown[] | null> {
  const bytes = decodeBase64Url(cursor);
  if (!bytes || bytes.length <= IV_BYTES + TAG_BYTES) return null;
  const iv = bytes.slice(0, IV_BYTES);
  for (const key of keys) {
    let plain: ArrayBuffer;
    try {
      plain = await crypto.subtle.decrypt(sealing(scope, iv), key, bytes.slice(IV_BYTES));
    } catch {
      continue; // another key, another scope, or tampered
    }
    try {
      const position = JSON.parse(new TextDecoder().decode(plain));
      return Array.isArray(position) ? position : null;
    } catch {
      return null;
    }
  }
  return null;
}
