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

const hasCode = (f: Extract<ClientFailure, { kind: "http" }>, ...codes: number[]) =>
  f.errors.some((e) => e.code !== undefined && codes.includes(e.code));

/** True when Cloudflare refused the credential itself (401/403, or an invalid-token code). */
export function isAuthFailure(f: ClientFailure): boolean {
  return (
    f.kind === "http" &&
    (f.status === 401 || f.status === 403 || hasCode(f, CF_ERROR.INVALID_TOKEN, CF_ERROR.INVALID_HEADERS))
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
