// The Cloudflare API v4 JSON envelope (Cloudflare's OpenAPI schema, cloudflare/api-schemas:
// `iam_api-response-common` and `iam_api-response-common-failure`): `{success, errors, messages,
// result[, result_info]}` for successes and `{success:false, errors:[{code, message}, …], messages:[],
// result:null}` for failures.

export interface ApiMessage {
  code: number;
  message: string;
  error_chain?: ApiMessage[];
}

/** `result_info` of a list answer; the totals may be left out (see the members list's `resultInfo` switch). */
export interface ResultInfo {
  page: number;
  per_page: number;
  count: number;
  total_count?: number;
  total_pages?: number;
}

/** Cursor paging (the audit log): `count` is a string there, and `cursor` is "" on the last page. */
export interface CursorResultInfo {
  count: string;
  cursor: string;
}

/** A response before serialization, so faults can still bend it (total_count, missing ids). */
export interface Outcome {
  status: number;
  body: {
    success: boolean;
    errors: ApiMessage[];
    messages: ApiMessage[];
    result: unknown;
    result_info?: ResultInfo | CursorResultInfo;
  };
}

export function ok(
  result: unknown,
  extra: { resultInfo?: ResultInfo | CursorResultInfo; messages?: ApiMessage[] } = {},
): Outcome {
  return {
    status: 200,
    body: {
      success: true,
      errors: [],
      messages: extra.messages ?? [],
      result,
      ...(extra.resultInfo ? { result_info: extra.resultInfo } : {}),
    },
  };
}

export function fail(status: number, code: number, message: string, errorChain?: ApiMessage[]): Outcome {
  const error: ApiMessage = { code, message };
  if (errorChain) error.error_chain = errorChain;
  return failMany(status, [error]);
}

/** A failure with several entries in `errors`, as the API gateway answers an unroutable path. */
export function failMany(status: number, errors: ApiMessage[]): Outcome {
  return { status, body: { success: false, errors, messages: [], result: null } };
}

export function toResponse(outcome: Outcome, headers: Record<string, string> = {}): Response {
  return jsonResponse(outcome.status, outcome.body, headers);
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: status === 204 ? headers : { "Content-Type": "application/json", ...headers },
  });
}

/**
 * Messages Cloudflare sends with these codes, quoted from live responses in public sources:
 * - 1000: kriasoft/cloudflare-client src/userTokens.test.ts (live snapshot of verify with a bad token);
 * - 9109: the same file, a live `GET /user/tokens/{id}` without the permission;
 * - 10000: cloudflare/cloudflare-docs issue #13405 (HTTP 403 from a token lacking a permission);
 * - 7000: with 7003 on an unroutable path (Cloudflare community thread "Error code 7003 & 7000 using
 *   Global API Key", community.cloudflare.com/t/253309);
 * - 971: public issue threads quoting throttled answers.
 * A `status` fault that names one of these codes without a message gets this text.
 */
export const CODE_MESSAGES: Readonly<Record<number, string>> = {
  971: "Please wait and consider throttling your request speed",
  1000: "Invalid API Token",
  7000: "No route for that URI",
  9109: "Unauthorized to access requested resource",
  10000: "Authentication error",
};

/** The codes a token lacking a permission may get (both seen live with HTTP 403). */
export type ForbiddenCode = 9109 | 10000;

/** The IP Cloudflare names in a location refusal when a test gives none (TEST-NET-3, RFC 5737). */
export const DEFAULT_CLIENT_IP = "203.0.113.7";

/** The failures the simulator answers, with the codes and messages reported from the real API. */
export const FAILURES = {
  missingAuth: () =>
    fail(400, 6003, "Invalid request headers", [
      { code: 6111, message: "Invalid format for Authorization header" },
    ]),
  invalidToken: () => fail(401, 1000, CODE_MESSAGES[1000] as string),
  /** A token without the permission, or without access to the account: 403 with 10000 or 9109. */
  forbidden: (code: ForbiddenCode = 10000) => fail(403, code, CODE_MESSAGES[code] as string),
  /**
   * A token whose client-IP filter excludes the caller: HTTP 403, code 9109, as quoted live in
   * jeessy2/ddns-go issues #1273 and #1341 ("Cannot use the access token from location: <ip>").
   */
  ipRestricted: (ip: string) => fail(403, 9109, `Cannot use the access token from location: ${ip}`),
  /**
   * A path the API gateway cannot route, e.g. a malformed or unknown account id: 7003 naming the
   * path, then 7000, in one `errors` array. Public reports show it at 404 and at 400.
   */
  noRoute: (path: string, status: 400 | 404 = 404) =>
    failMany(status, [
      { code: 7003, message: `Could not route to ${path}, perhaps your object identifier is invalid?` },
      { code: 7000, message: CODE_MESSAGES[7000] as string },
    ]),
  rateLimited: () => fail(429, 971, CODE_MESSAGES[971] as string),
  badRequest: (message: string) => fail(400, 1001, message),
  memberNotFound: () => fail(404, 1003, "Member not found for account"),
} as const;
