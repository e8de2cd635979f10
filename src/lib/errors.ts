/**
 * The single error vocabulary of the API (docs/api.md#errors) and of sync runs (docs/sync.md#failures).
 * Every failure the product reports carries one of these codes and a message that tells the
 * reader what to do; the HTTP status lives here and nowhere else.
 */
import type { ContentfulStatusCode } from "hono/utils/http-status";

export const ERROR_STATUS = {
  invalid_json: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  cloudflare_token_invalid: 422,
  cloudflare_permission_missing: 422,
  cloudflare_token_restricted: 422,
  organization_not_found: 422,
  organization_ambiguous: 422,
  cloudflare_rate_limited: 429,
  cloudflare_invalid_response: 502,
  cloudflare_unavailable: 502,
  not_configured: 503,
  internal: 500,
  /** Sync runs only (docs/sync.md#leases-redelivery-and-abandoned-runs): a run stuck queued or running past its bound. */
  abandoned: 500,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorDetail {
  path: string;
  message: string;
}

/** A failure with a code and an admin-facing message; thrown only to reach the HTTP error mapper. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = "AppError";
  }

  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }
}

/** A failure as a plain value (for Result types and for SyncRun.error). */
export interface Failure {
  code: ErrorCode;
  message: string;
}

export const failure = (code: ErrorCode, message: string): Failure => ({ code, message });

export function errorBody(code: ErrorCode, message: string, details: ErrorDetail[] = []) {
  return { error: { code, message, details } };
}
