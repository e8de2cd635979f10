/**
 * What Cloudflare's failures mean for an admin: the error codes the connector recognises, the one
 * test for "Cloudflare refused the credential" (used by connect and by a sync alike), and the
 * messages for failures that are not about the credential. What each code means, with its
 * public sources, is in docs/cloudflare.md.
 */
import { type Failure, failure } from "../lib/errors";
import type { ClientFailure } from "./client";

/** Cloudflare API error codes the connector acts on (`errors[].code` in the v4 envelope). */
export const CF_ERROR = {
  /** "Invalid API Token": unknown, revoked, or used on the wrong verify endpoint. */
  INVALID_TOKEN: 1000,
  /** "Invalid request": also what /accounts answers an account-owned token. */
  INVALID_REQUEST: 1001,
  /** "Invalid request headers": a malformed Authorization header. */
  INVALID_HEADERS: 6003,
  /** "Could not route to …": an unknown or malformed account id (sent together with 7000). */
  COULD_NOT_ROUTE: 7003,
  /** "No route for that URI". */
  NO_ROUTE: 7000,
  /**
   * Two meanings, told apart by the message: "Cannot use the access token from location: <ip>"
   * (the token's client IP filter refuses the caller) or "Unauthorized to access requested
   * resource" (a missing permission).
   */
  UNAUTHORIZED: 9109,
} as const;

/** Cloudflare's documented budget per token, shared with everything else that uses the token. */
export const TOKEN_BUDGET_REQUESTS = 1200;
export const TOKEN_BUDGET_WINDOW_MS = 5 * 60_000;
/** The budget in words, for messages: "1,200 requests per 5 minutes". */
export const TOKEN_BUDGET_TEXT = `${thousands(TOKEN_BUDGET_REQUESTS)} requests per ${TOKEN_BUDGET_WINDOW_MS / 60_000} minutes`;

/** 1200 → "1,200" (no Intl: the same text in every runtime). */
export function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** The permission a read-only token needs to list an account's members. */
export const REQUIRED_PERMISSIONS = "Account Settings: Read";

/**
 * What each optional source is and the permission a token needs to read it
 * (docs/cloudflare.md#endpoints-and-permissions).
 */
export const SOURCE_PERMISSIONS = {
  // Cloudflare has no audit-log group of its own: Account Settings covers Audit Logs v2.
  auditLog: {
    what: "the account's audit log",
    permission: "Account Settings: Read for this account (and check the account offers Audit Logs)",
  },
  apiTokens: { what: "the account's API tokens", permission: "Account API Tokens: Read" },
  sso: { what: "the account's SSO connectors", permission: "SSO Connector: Read" },
} as const;

const hasCode = (f: Extract<ClientFailure, { kind: "http" }>, ...codes: number[]) =>
  f.errors.some((e) => e.code !== undefined && codes.includes(e.code));

/** True when Cloudflare refused the credential itself (401/403, or an invalid-token code). */
export function isAuthFailure(f: ClientFailure): boolean {
  return (
    f.kind === "http" &&
    (f.status === 401 || f.status === 403 || hasCode(f, CF_ERROR.INVALID_TOKEN, CF_ERROR.INVALID_HEADERS))
  );
}

/** True when the token's client IP address filter refused the request (code 9109 naming a location; Cloudflare sends it with HTTP 403). */
export const isTokenRestricted = (f: ClientFailure): boolean =>
  f.kind === "http" &&
  f.errors.some(
    (e) => e.code === CF_ERROR.UNAUTHORIZED && /access token from location/i.test(e.message ?? ""),
  );

/** True when Cloudflare says it cannot route to the account (7003 or 7000; recorded together, at 400 or 404). */
export const isUnknownAccount = (f: ClientFailure): boolean =>
  f.kind === "http" && hasCode(f, CF_ERROR.COULD_NOT_ROUTE, CF_ERROR.NO_ROUTE);

/**
 * The failure for a token whose IP filter refuses the connector, or null for any other failure.
 * Check it before isAuthFailure: the answer is a 403 too, but no permission would help.
 */
export function restrictedTokenFailure(f: ClientFailure): Failure | null {
  if (!isTokenRestricted(f)) return null;
  return failure(
    "cloudflare_token_restricted",
    `Cloudflare refuses this token from the connector's address (${f.message}): the token has a client IP address filter. Edit the token in the Cloudflare dashboard (API Tokens → Edit → Client IP Address Filtering) and remove the filter, or allow the addresses Cloudflare Workers send requests from.`,
  );
}

/** True when /accounts refused to list accounts for this kind of token (account-owned). */
export const isAccountListRefused = (f: ClientFailure): boolean =>
  f.kind === "http" && hasCode(f, CF_ERROR.INVALID_REQUEST);

/** Maps a failure that is not about the credential to the error an admin sees. */
export function transportFailure(f: ClientFailure): Failure {
  switch (f.kind) {
    case "rate_limited":
      return failure(
        "cloudflare_rate_limited",
        `Cloudflare is rate limiting this token; try again in ${f.retryAfterSeconds} s (the limit is ${TOKEN_BUDGET_TEXT}, shared with everything else that uses the token).`,
      );
    case "invalid_response":
      return failure("cloudflare_invalid_response", f.message);
    case "unavailable":
      return failure(
        "cloudflare_unavailable",
        `Cloudflare API is unavailable: ${f.message}. Try again shortly.`,
      );
    case "http":
      return failure("cloudflare_unavailable", `Cloudflare answered an unexpected error: ${f.message}`);
  }
}
