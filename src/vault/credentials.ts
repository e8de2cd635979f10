/**
 * The credential store: one KV key per integration holding its sealed API token.
 *
 * KV layout (also in docs/storage.md):
 *   credential:<integrationId>  →  JSON SealedRecord {v, kid, iv, ct}; no expiry.
 * KV has no compare-and-set and is eventually consistent across locations; that is acceptable
 * here because a credential is written on connect/patch/rotate and read by syncs minutes later,
 * and D1 (not KV) decides which integrations exist.
 */
import { err, type Result } from "../lib/result";
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

export async function getCredential(
  kv: KVNamespace,
  keyring: Keyring,
  integrationId: string,
): Promise<Result<string, ReadCredentialError>> {
  const raw = await kv.get(credentialKey(integrationId));
  if (raw === null) return err({ kind: "missing", message: "no stored credential for this integration" });
  let record: unknown;
  try {
    record = JSON.parse(raw);
  } catch {
    return err({ kind: "malformed", message: "stored credential is not valid JSON" });
  }
  return open(keyring, integrationId, record);
}

export async function deleteCredential(kv: KVNamespace, integrationId: string): Promise<void> {
  await kv.delete(credentialKey(integrationId));
}

export type RotateOutcome = "rotated" | "already_current" | "failed";

/** Re-seals one credential under the primary key; the caller records the new key id in D1. */
export async function rotateCredential(
  kv: KVNamespace,
  keyring: Keyring,
  integrationId: string,
): Promise<{ outcome: RotateOutcome; kid?: string; message?: string }> {
  const raw = await kv.get(credentialKey(integrationId));
  if (raw === null) return { outcome: "failed", message: "no stored credential" };
  let record: SealedRecord;
  try {
    record = JSON.parse(raw) as SealedRecord;
  } catch {
    return { outcome: "failed", message: "stored credential is not valid JSON" };
  }
  if (record.kid === keyring.primary.id) return { outcome: "already_current", kid: record.kid };
  const token = await open(keyring, integrationId, record);
  if (!token.ok) return { outcome: "failed", message: token.error.message };
  const sealed = await putCredential(kv, keyring, integrationId, token.value);
  return { outcome: "rotated", kid: sealed.kid };
}
