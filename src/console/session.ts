/**
 * Console sessions (docs/console.md#sessions): a signed, expiring cookie naming the role, and
 * CSRF tokens derived from it. Nothing is stored server-side: the cookie is
 * `v1.<payload>.<HMAC-SHA256>` under the keyring's session key (vault/keyring.ts), and a form's
 * CSRF token is an HMAC of the session's random nonce, so it cannot be computed without the key
 * and changes with every sign-in.
 *
 * A session made with a bearer token carries a keyed tag of that token: when API_TOKEN or
 * API_READ_TOKENS changes, the sessions made with the old token stop verifying. An Access
 * session carries the email, and its role is read again from ACCESS_ADMIN_EMAILS on every request.
 */
import type { AccessConfig, Config } from "../config";
import type { ApiRole } from "../http/context";
import { decodeBase64Url, encodeBase64Url } from "../lib/base64";
import { equalBytes } from "../lib/constant-time";

export const SESSION_COOKIE = "cc_session";
/** The sign-in form's CSRF nonce, before there is a session. */
export const SIGN_IN_COOKIE = "cc_sign_in";
/** A working day: long enough not to interrupt a review, short enough that a lost laptop's cookie expires. */
export const SESSION_TTL_MS = 8 * 60 * 60_000;
/** The sign-in form must be posted within this long of being shown. */
export const SIGN_IN_TTL_MS = 60 * 60_000;
/** 128 random bits. */
const NONCE_BYTES = 16;
/** A token's tag: 128 bits of its HMAC are plenty to tell configured tokens apart. */
const TAG_BYTES = 16;

export interface Session {
  role: ApiRole;
  via: "token" | "access";
  /** The Access user; null for token sessions. */
  email: string | null;
  expiresAt: number;
  /** The token every form of this session carries. */
  csrf: string;
}

interface Payload {
  /** role */
  r: ApiRole;
  /** expiry, ms since the epoch */
  e: number;
  /** random nonce */
  n: string;
  /** token tag (token sessions) */
  t?: string;
  /** email (Access sessions) */
  a?: string;
}

const encoder = new TextEncoder();

async function hmac(key: CryptoKey, text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(text)));
}

const randomNonce = () => encodeBase64Url(crypto.getRandomValues(new Uint8Array(NONCE_BYTES)));

/** Tags of configured tokens, per session key, computed once per isolate (they change only with a deploy). */
const tagCache = new WeakMap<CryptoKey, Map<string, Promise<string>>>();

function tokenTag(key: CryptoKey, token: string): Promise<string> {
  let tags = tagCache.get(key);
  if (!tags) {
    tags = new Map();
    tagCache.set(key, tags);
  }
  let tag = tags.get(token);
  if (!tag) {
    tag = hmac(key, `token:${token}`).then((mac) => encodeBase64Url(mac.slice(0, TAG_BYTES)));
    // Only configured tokens are ever tagged (sign-in checks the token first): the map stays small.
    tags.set(token, tag);
  }
  return tag;
}

const csrfOf = async (key: CryptoKey, nonce: string) => encodeBase64Url(await hmac(key, `csrf:${nonce}`));

/** The cookie value of a new session signed with the primary session key. */
export async function issueSession(
  config: Config,
  grant: { role: ApiRole; token: string } | { role: ApiRole; email: string },
  now = Date.now(),
): Promise<string> {
  const key = config.keyring.sessionKeys[0];
  const payload: Payload = { r: grant.role, e: now + SESSION_TTL_MS, n: randomNonce() };
  if ("token" in grant) payload.t = await tokenTag(key, grant.token);
  else payload.a = grant.email;
  const body = encodeBase64Url(encoder.encode(JSON.stringify(payload)));
  return `v1.${body}.${encodeBase64Url(await hmac(key, `session:${body}`))}`;
}

/** The key among `keys` whose signature matches, or null. */
async function verifyingKey(keys: readonly CryptoKey[], body: string, signature: Uint8Array) {
  for (const key of keys) {
    if (equalBytes(await hmac(key, `session:${body}`), signature)) return key;
  }
  return null;
}

function parsePayload(body: string): Payload | null {
  try {
    const payload = JSON.parse(
      new TextDecoder().decode(decodeBase64Url(body) ?? new Uint8Array()),
    ) as Payload;
    const roleOk = payload.r === "admin" || payload.r === "read";
    return roleOk && typeof payload.e === "number" && typeof payload.n === "string" ? payload : null;
  } catch {
    return null;
  }
}

/** The role a token session still has: its token must still be the configured one for that role. */
async function tokenRoleHolds(config: Config, key: CryptoKey, p: Payload): Promise<boolean> {
  const tokens = p.r === "admin" ? [config.adminToken] : config.readTokens;
  const tags = await Promise.all(tokens.map((t) => tokenTag(key, t)));
  return tags.map((tag) => tag === p.t).some(Boolean);
}

export const accessRole = (access: AccessConfig, email: string): ApiRole =>
  access.adminEmails.includes(email.toLowerCase()) ? "admin" : "read";

/** The session a cookie value holds, or null when it is missing, forged, expired or revoked. */
export async function readSession(config: Config, cookie: string | undefined, now = Date.now()) {
  const [version, body, signature] = (cookie ?? "").split(".");
  const mac = decodeBase64Url(signature ?? "");
  if (version !== "v1" || !body || !mac) return null;
  const key = await verifyingKey(config.keyring.sessionKeys, body, mac);
  const payload = key ? parsePayload(body) : null;
  if (!key || !payload || payload.e <= now) return null;
  let role: ApiRole = payload.r;
  if (typeof payload.a === "string") {
    if (!config.access) return null;
    role = accessRole(config.access, payload.a);
  } else if (!(await tokenRoleHolds(config, key, payload))) {
    return null;
  }
  const session: Session = {
    role,
    via: typeof payload.a === "string" ? "access" : "token",
    email: payload.a ?? null,
    expiresAt: payload.e,
    csrf: await csrfOf(key, payload.n),
  };
  return session;
}

/** A fresh nonce for the sign-in form's cookie. */
export const newSignInNonce = randomNonce;

/** The sign-in form's CSRF token for the nonce in its cookie (primary key). */
export async function signInCsrf(config: Config, nonce: string, now = Date.now()): Promise<string> {
  const issued = String(now);
  const mac = await hmac(config.keyring.sessionKeys[0], `sign-in:${nonce}:${issued}`);
  return `${issued}.${encodeBase64Url(mac)}`;
}

/** True when `token` was issued by signInCsrf for this nonce, recently, under any session key. */
export async function checkSignInCsrf(config: Config, nonce: string, token: string, now = Date.now()) {
  const [issued, signature] = token.split(".");
  const mac = decodeBase64Url(signature ?? "");
  const at = Number(issued);
  if (!mac || !Number.isSafeInteger(at) || now - at > SIGN_IN_TTL_MS || at > now + 60_000) return false;
  for (const key of config.keyring.sessionKeys) {
    if (equalBytes(await hmac(key, `sign-in:${nonce}:${issued}`), mac)) return true;
  }
  return false;
}

/** Constant-time comparison of a posted CSRF token with the session's. */
export function csrfMatches(session: Session, posted: unknown): boolean {
  if (typeof posted !== "string") return false;
  return equalBytes(encoder.encode(posted), encoder.encode(session.csrf));
}
