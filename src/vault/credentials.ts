/**
 * The credential store: one KV key per integration holding its sealed API token.
 *
 * KV layout (also in docs/storage.md):
 *   credential:<integrationId>  →  JSON SealedRecord {v, kid, iv, ct}; no expiry.
 * KV has no compare-and-set and is eventually consistent across locations; that is acceptable
 * here because a credential is written on connect/patch/rotate and read by syncs minutes later,
 * and D1 (not KV) decides which integrations exist.
 */
import { err, ok, type Result } from "../lib/result";
import { type OpenError, open, type SealedRecord, seal } from "./envelope";
import type { Keyring } from "./keyring";

export const credentialKey = (integrationId: string): string => `credential:${integrationId}`;

export async function putCredential(
  kv: KVNamespace,
  keyring: Keyring,
  integrationId: string,
  token: string,
): Promise<SealedRecord> {
  const record = await seal(keyring, integrationId, token);
  await kv.put(credentialKey(integrationId), JSON.stringify(record));
  return record;
}

export type ReadCredentialError = OpenError | { kind: "missing"; message: string };

/** The stored record of one integration, parsed but not opened. */
async function readSealed(
  kv: KVNamespace,
  integrationId: string,
): Promise<Result<unknown, ReadCredentialError>> {
  const raw = await kv.get(credentialKey(integrationId));
  if (raw === null) return err({ kind: "missing", message: "no stored credential for this integration" });
  try {
    return ok(JSON.parse(raw) as unknown);
  } catch {
    return err({ kind: "malformed", message: "stored credential is not valid JSON" });
  }
}

/** The decrypted token of one integration. */
export async function getCredential(
  kv: KVNamespace,
  keyring: Keyring,
  integrationId: string,
): Promise<Result<string, ReadCredentialError>> {
  const record = await readSealed(kv, integrationId);
  return record.ok ? open(keyring, integrationId, record.value) : record;
}

export async function deleteCredential(kv: KVNamespace, integrationId: string): Promise<void> {
  await kv.delete(credentialKey(integrationId));
}

/** A credential after rotation: re-sealed now, or already under the primary key; `kid` is its key. */
export interface Rotated {
  outcome: "rotated" | "already_current";
  kid: string;
}

/** Re-seals one credential under the primary key; the caller records the new key id in D1. */
export async function rotateCredential(
  kv: KVNamespace,
  keyring: Keyring,
  integrationId: string,
): Promise<Result<Rotated, ReadCredentialError>> {
  const record = await readSealed(kv, integrationId);
  if (!record.ok) return record;
  const kid = (record.value as Partial<SealedRecord> | null)?.kid;
  if (kid === keyring.primary.id) return ok({ outcome: "already_current", kid });
  const token = await open(keyring, integrationId, record.value);
  if (!token.ok) return token;
  const sealed = await putCredential(kv, keyring, integrationId, token.value);
  return ok({ outcome: "rotated", kid: sealed.kid });
}
