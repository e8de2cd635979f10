// The Cloudflare API v4 JSON envelope (reference §1): `{success, errors, messages, result[, result_info]}`
// for successes and `{success:false, errors:[{code, message}], messages:[], result:null}` for failures.

export interface ApiMessage {
  code: number;
  message: string;
  error_chain?: ApiMessage[];
}

export interface ResultInfo {
  page: number;
  per_page: number;
  count: number;
  total_count: number;
  total_pages?: number;
}

/** A response before serialization, so faults can still bend it (total_count, missing ids). */
export interface Outcome {
  status: number;
  body: {
    success: boolean;
    errors: ApiMessage[];
    messages: ApiMessage[];
    result: unknown;
    result_info?: ResultInfo;
  };
}

export function ok(
  result: unknown,
  extra: { resultInfo?: ResultInfo; messages?: ApiMessage[] } = {},
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
  return { status, body: { success: false, errors: [error], messages: [], result: null } };
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

/** The failures the simulator answers, with the codes and messages reported from the real API (reference §3). */
export const FAILURES = {
  missingAuth: () =>
    fail(400, 6003, "Invalid request headers", [
      { code: 6111, message: "Invalid format for Authorization header" },
    ]),
  invalidToken: () => fail(401, 1000, "Invalid API Token"),
  forbidden: () => fail(403, 10000, "Authentication error"),
  unknownAccount: (id: string) =>
    fail(404, 7003, `Could not route to /accounts/${id}, perhaps your object identifier is invalid?`),
  noRoute: () => fail(404, 7003, "No route for the URI"),
  rateLimited: () => fail(429, 971, "Please wait and consider throttling your request speed"),
  badRequest: (message: string) => fail(400, 1001, message),
} as const;
