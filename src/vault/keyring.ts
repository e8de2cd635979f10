/**
 * The keyring parsed from ENCRYPTION_KEYS (`id:base64key[,id:base64key…]`, docs/api.md#configuration).
 * The first key encrypts; every key decrypts, so rotation is: prepend a new key, call
 * `POST /v1/admin/rotate-credentials`, then drop the old key once nothing uses it.
 *
 * Each key also yields, through HKDF-SHA256, a cursor key used for nothing but pagination cursors
 * (lib/cursor.ts) and a session key used for nothing but signing the console's session cookies
 * and CSRF tokens (docs/console.md#sessions): neither depends on a bearer token, and using them
 * never touches the keys that seal credentials.
 */
import { decodeBase64 } from "../lib/base64";
import { err, ok, type Result } from "../lib/result";

/** AES-256 needs exactly 32 bytes of key material. */
export const KEY_BYTES = 32;
/** Key ids end up in KV records and AAD; keep them short and unambiguous. */
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
/** HKDF inputs of the cursor key (exported for the test that derives it independently). */
export const CURSOR_KEY_SALT = "cloudflare-connector";
export const CURSOR_KEY_INFO = "cloudflare-connector:cursor-key:v1";
export const SESSION_KEY_INFO = "cloudflare-connector:session-key:v1";

export interface KeyringKey {
  id: string;
  key: CryptoKey;
}

export interface Keyring {
  /** Encrypts every new or rotated credential. */
  primary: KeyringKey;
  byId: ReadonlyMap<string, KeyringKey>;
  /**
   * AES-256-GCM keys for pagination cursors, derived from each key in keyring order: the first
   * (from the primary key) seals new cursors, every one opens them, so cursors issued before a
   * key was prepended keep working until the key they came from leaves ENCRYPTION_KEYS.
   */
  cursorKeys: readonly [CryptoKey, ...CryptoKey[]];
  /**
   * HMAC-SHA256 keys for console session cookies and CSRF tokens, in keyring order: the first
   * signs, every one verifies. Prepending a key signs nobody out; removing a key signs out the
   * sessions signed under it (docs/console.md#sessions).
   */
  sessionKeys: readonly [CryptoKey, ...CryptoKey[]];
}

interface RawKey {
  id: string;
  bytes: Uint8Array;
}

/** Validates the setting's shape without touching Web Crypto; the message names the bad entry. */
export function parseKeyringSetting(raw: string | undefined): Result<RawKey[], string> {
  if (raw === undefined || raw.trim() === "") return err("ENCRYPTION_KEYS is not set");
  const keys: RawKey[] = [];
  for (const [index, entry] of raw.split(",").entries()) {
    const trimmed = entry.trim();
    const colon = trimmed.indexOf(":");
    const position = `entry ${index + 1}`;
    if (colon < 0) return err(`ENCRYPTION_KEYS ${position} must look like id:base64key`);
    const id = trimmed.slice(0, colon);
    if (!KEY_ID.test(id)) {
      return err(`ENCRYPTION_KEYS ${position} has an invalid key id (use 1-32 of A-Z a-z 0-9 _ -)`);
    }
    if (keys.some((k) => k.id === id)) return err(`ENCRYPTION_KEYS names key id '${id}' twice`);
    const bytes = decodeBase64(trimmed.slice(colon + 1));
    if (bytes === null) return err(`ENCRYPTION_KEYS key '${id}' is not valid base64`);
    if (bytes.length !== KEY_BYTES) {
      return err(`ENCRYPTION_KEYS key '${id}' is ${bytes.length} bytes; it must be exactly ${KEY_BYTES}`);
    }
    keys.push({ id, bytes });
  }
  return ok(keys);
}

// Importing keys costs a little CPU on every request otherwise; the setting rarely changes.
const cache = new Map<string, Promise<Keyring>>();

/** Parses and imports ENCRYPTION_KEYS once per isolate. */
export async function loadKeyring(raw: string | undefined): Promise<Result<Keyring, string>> {
  const parsed = parseKeyringSetting(raw);
  if (!parsed.ok) return parsed;
  const cacheKey = raw as string;
  let keyring = cache.get(cacheKey);
  if (!keyring) {
    keyring = importKeys(parsed.value);
    cache.set(cacheKey, keyring);
  }
  return ok(await keyring);
}

async function importKeys(raw: RawKey[]): Promise<Keyring> {
  const imported = await Promise.all(
    raw.map(async ({ id, bytes }) => ({
      id,
      key: await crypto.subtle.importKey("raw", bytes, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]),
    })),
  );
  const cursorKeys = await Promise.all(
    raw.map(({ bytes }) => deriveKey(bytes, CURSOR_KEY_INFO, { name: "AES-GCM", length: 256 }, AES_USES)),
  );
  const sessionKeys = await Promise.all(
    raw.map(({ bytes }) => deriveKey(bytes, SESSION_KEY_INFO, { name: "HMAC", hash: "SHA-256" }, HMAC_USES)),
  );
  return {
    primary: imported[0]!,
    byId: new Map(imported.map((k) => [k.id, k])),
    cursorKeys: cursorKeys as [CryptoKey, ...CryptoKey[]],
    sessionKeys: sessionKeys as [CryptoKey, ...CryptoKey[]],
  };
}

const encoder = new TextEncoder();

const AES_USES = ["encrypt", "decrypt"];
const HMAC_USES = ["sign", "verify"];

/**
 * HKDF-SHA256 (RFC 5869) from a keyring key to a purpose key: a fixed salt and an `info` naming
 * the purpose, so each derived key is independent of the credential key and of every other use.
 */
async function deriveKey(
  bytes: Uint8Array,
  info: string,
  algorithm: { name: "AES-GCM"; length: number } | { name: "HMAC"; hash: string },
  uses: string[],
): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey("raw", bytes, "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: encoder.encode(CURSOR_KEY_SALT), info: encoder.encode(info) },
    base,
    algorithm,
    false,
    uses,
  );
}
