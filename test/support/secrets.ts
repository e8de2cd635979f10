/** The secrets tests use and search for: keyring entries, every secret value, fresh token values. */
import { TEST_SECRETS } from "./constants";

/** The two keys of the test keyring, each as a one-entry ENCRYPTION_KEYS value. */
export const [KEY_K2, KEY_K1] = TEST_SECRETS.ENCRYPTION_KEYS.split(",") as [string, string];

/** Every secret value the Worker knows in tests, including each key's base64 material alone. */
export function secretValues(): string[] {
  const values = new Set<string>([TEST_SECRETS.API_TOKEN, TEST_SECRETS.ENCRYPTION_KEYS]);
  for (const token of TEST_SECRETS.API_READ_TOKENS.split(",")) values.add(token);
  for (const entry of TEST_SECRETS.ENCRYPTION_KEYS.split(",")) {
    values.add(entry);
    values.add(entry.slice(entry.indexOf(":") + 1));
  }
  return [...values];
}

/** A 40-character legacy (unprefixed) token value, unique per call. */
export function legacyTokenValue(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(40));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}
