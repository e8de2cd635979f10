/**
 * Webhook signing secrets, sealed with the same keyring and AES-GCM envelope as API tokens
 * (docs/security.md). The sealed record lives in D1 beside its endpoint (it is read on every
 * delivery, and D1 keeps it consistent with the row); its AAD names `webhook:<id>`, so a record
 * copied to another endpoint, or to an integration's credential, fails to open.
 */
import { err, ok, type Result } from "../lib/result";
import { type OpenError, open, type SealedRecord, seal } from "./envelope";
import type { Keyring } from "./keyring";

const subject = (webhookId: string) => `webhook:${webhookId}`;

/** The sealed record as stored (JSON) and the id of the key that sealed it. */
export interface SealedSecret {
  sealed: string;
  keyId: string;
}

export async function sealWebhookSecret(
  keyring: Keyring,
  webhookId: string,
  secret: string,
): Promise<SealedSecret> {
  const record = await seal(keyring, subject(webhookId), secret);
  return { sealed: JSON.stringify(record), keyId: record.kid };
}

export async function openWebhookSecret(
  keyring: Keyring,
  webhookId: string,
  sealed: string,
): Promise<Result<string, OpenError>> {
  let record: unknown;
  try {
    record = JSON.parse(sealed);
  } catch {
    return err({ kind: "malformed", message: "stored webhook secret is not valid JSON" });
  }
  return open(keyring, subject(webhookId), record);
}

/** Re-seals a secret under the primary key; null when it already is. */
export async function resealWebhookSecret(
  keyring: Keyring,
  webhookId: string,
  sealed: string,
): Promise<Result<SealedSecret | null, OpenError>> {
  let kid: unknown;
  try {
    kid = (JSON.parse(sealed) as Partial<SealedRecord> | null)?.kid;
  } catch {
    return err({ kind: "malformed", message: "stored webhook secret is not valid JSON" });
  }
  if (kid === keyring.primary.id) return ok(null);
  const secret = await openWebhookSecret(keyring, webhookId, sealed);
  if (!secret.ok) return secret;
  return ok(await sealWebhookSecret(keyring, webhookId, secret.value));
}
