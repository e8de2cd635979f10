/**
 * Cuts credentials out of text that leaves the Worker (log lines, stored error messages):
 * token-shaped strings (cfut_/cfat_/cfk_ prefixes, any case), webhook signing secrets (whsec_),
 * Bearer values, and each known secret (the token a client holds) in the forms a server might echo
 * it in: as is in any letter case, URL-encoded, and base64 or base64url encoded, also inside a
 * longer base64 string such as an encoded `Authorization` header.
 */
const REDACTED = "[redacted]";
/** Secrets shorter than this are not searched for: they would match ordinary text. */
const MIN_SECRET_LENGTH = 8;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `text` as a pattern that matches it in any letter case (no regex flag, so it mixes with others). */
const anyCase = (text: string) =>
  [...text]
    .map((ch) =>
      ch.toLowerCase() !== ch.toUpperCase() ? `[${ch.toLowerCase()}${ch.toUpperCase()}]` : escapeRegExp(ch),
    )
    .join("");

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

/**
 * The parts of base64 text that encode `secret` whatever precedes it: base64 packs 3 bytes in 4
 * characters, so for each of the 3 offsets the secret can start at, only the characters made of
 * its bytes alone are kept. Each is searched in standard and URL-safe alphabets.
 */
function base64Forms(secret: string): string[] {
  const bytes = new TextEncoder().encode(secret);
  const forms: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const padded = new Uint8Array(offset + bytes.length);
    padded.set(bytes, offset);
    const from = 4 * Math.ceil(offset / 3);
    const to = 4 * Math.floor(padded.length / 3);
    const core = toBase64(padded).slice(from, to);
    if (core.length >= MIN_SECRET_LENGTH) forms.push(core, core.replace(/\+/g, "-").replace(/\//g, "_"));
  }
  return forms;
}

/** One pattern for every form of the known secrets: plain and URL-encoded in any case, base64 as is. */
function secretsPattern(secrets: readonly string[]): RegExp | null {
  const alternatives: string[] = [];
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    for (const plain of new Set([secret, encodeURIComponent(secret)])) {
      alternatives.push(anyCase(plain));
    }
    for (const encoded of base64Forms(secret)) alternatives.push(escapeRegExp(encoded));
  }
  return alternatives.length > 0 ? new RegExp(alternatives.join("|"), "g") : null;
}

export function redactSecrets(message: string, secrets: readonly string[] = []): string {
  const known = secretsPattern(secrets);
  const text = known ? message.replace(known, REDACTED) : message;
  return text
    .replace(/\bcf[a-z]{1,3}_[A-Za-z0-9_-]{8,}/gi, REDACTED)
    .replace(/\bwhsec_[A-Za-z0-9+/=_-]{8,}/gi, REDACTED)
    .replace(/(Bearer\s+)\S+/gi, `$1${REDACTED}`);
}
