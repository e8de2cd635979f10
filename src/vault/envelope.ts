/**
 * AES-256-GCM envelope for one API token (docs/security.md).
 *
 * - A fresh random 96-bit IV per encryption: keys are long-lived and encrypt many tokens, so an
 *   IV must never repeat under one key (GCM loses confidentiality and integrity if it does).
 * - The AAD binds the ciphertext to its integration id and key id: a record copied to another
 *   integration, or relabelled with another key id, fails authentication instead of decrypting.
 */
import { decodeBase64, encodeBase64 } from "../lib/base64";
import { err, ok, type Result } from "../lib/result";
import type { Keyring } from "./keyring";

/** GCM's recommended nonce size. */
const IV_BYTES = 12;
const RECORD_VERSION = 1;

/** What KV stores for one credential: nothing in it is secret without the key. */
export interface SealedRecord {
  v: typeof RECORD_VERSION;
  /** Id of the key that sealed it; rotation looks for records not under the primary key. */
  kid: string;
  iv: string;
  ct: string;
}

export type OpenError =
  | { kind: "malformed"; message: string }
  | { kind: "unknown_key"; message: string }
  | { kind: "authentication_failed"; message: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function aad(integrationId: string, keyId: string): Uint8Array {
  return encoder.encode(`cloudflare-connector:credential:v${RECORD_VERSION}:${integrationId}:${keyId}`);
}

/** Encrypts a token for one integration under the keyring's primary key. */
export async function seal(
  keyring: Keyring,
  integrationId: string,
  plaintext: string,
): Promise<SealedRecord> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const { id, key } = keyring.primary;
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: aad(integrationId, id) },
    key,
    encoder.encode(plaintext),
  );
  return { v: RECORD_VERSION, kid: id, iv: encodeBase64(iv), ct: encodeBase64(new Uint8Array(ciphertext)) };
}

/** Decrypts a record sealed for `integrationId`; any tampering or misuse is an error value. */
export async function open(
  keyring: Keyring,
  integrationId: string,
  record: unknown,
): Promise<Result<string, OpenError>> {
  const parsed = parseRecord(record);
  if (!parsed) return err({ kind: "malformed", message: "stored credential is not a sealed record" });
  const entry = keyring.byId.get(parsed.kid);
  if (!entry) {
    return err({
      kind: "unknown_key",
      message: `stored credential was sealed with key '${parsed.kid}', which is not in ENCRYPTION_KEYS`,
    });
  }
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: parsed.iv, additionalData: aad(integrationId, parsed.kid) },
      entry.key,
      parsed.ct,
    );
    return ok(decoder.decode(plaintext));
  } catch {
    return err({
      kind: "authentication_failed",
      message: "stored credential failed authentication (tampered, or sealed for another integration)",
    });
  }
}

function parseRecord(record: unknown): { kid: string; iv: Uint8Array; ct: Uint8Array } | null {
  if (typeof record !== "object" || record === null) return null;
  const { v, kid, iv, ct } = record as Record<string, unknown>;
  if (v !== RECORD_VERSION || typeof kid !== "string" || typeof iv !== "string" || typeof ct !== "string") {
    return null;
  }
  const ivBytes = decodeBase64(iv);
  const ctBytes = decodeBase64(ct);
  // A GCM ciphertext is at least its 16-byte tag.
  if (!ivBytes || ivBytes.length !== IV_BYTES || !ctBytes || ctBytes.length < 16) return null;
  return { kid, iv: ivBytes, ct: ctBytes };
}
