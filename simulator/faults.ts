// Fault injection: rules that tests register through the control API to make chosen Cloudflare
// requests fail in the ways a connector must survive (errors, garbage bodies, throttling, hangs,
// dropped connections, lying totals, unroutable paths). Each request takes at most one fault: the
// newest matching rule.

import { z } from "zod";
import { randomHexId } from "./random.ts";
import type { RouteKind } from "./state.ts";

const ROUTE_KINDS = [
  "members",
  "member",
  "account",
  "accounts",
  "user_verify",
  "account_verify",
  "audit",
  "tokens",
  "sso",
] as const;

export const faultMatchSchema = z.object({
  accountId: z.string().optional(),
  token: z.string().optional(),
  path: z.enum(ROUTE_KINDS).optional(),
  page: z.number().int().min(1).optional(),
});

export const faultSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("status"),
    status: z.number().int().min(400).max(599),
    code: z.number().int().optional(),
    message: z.string().optional(),
  }),
  z.object({ kind: z.literal("malformed_json") }),
  z.object({
    kind: z.literal("invalid_schema"),
    /** `not_array` (default): `result: {"oops":true}`. `missing_id`: the real page with every member's `id` removed. */
    shape: z.enum(["not_array", "missing_id"]).optional(),
  }),
  z.object({ kind: z.literal("rate_limit"), retryAfter: z.number().int().min(0) }),
  z.object({ kind: z.literal("timeout"), ms: z.number().int().min(0) }),
  z.object({ kind: z.literal("reset") }),
  z.object({ kind: z.literal("total_count"), delta: z.number().int() }),
  /**
   * The gateway's answer to an unroutable path (7003 naming the path, then 7000), at 404 (default)
   * or 400: both are reported for wrong account ids.
   */
  z.object({ kind: z.literal("no_route"), status: z.union([z.literal(400), z.literal(404)]).optional() }),
  /**
   * Answers exactly this status and JSON body: conformance tests replay bodies recorded from the
   * real API (error bodies without `messages`, result_info as served, and so on) through the client.
   */
  z.object({
    kind: z.literal("replay"),
    status: z.number().int().min(200).max(599),
    body: z.unknown(),
    headers: z.record(z.string(), z.string()).optional(),
  }),
]);

export type FaultMatch = z.infer<typeof faultMatchSchema>;
export type Fault = z.infer<typeof faultSchema>;

interface FaultRule {
  id: string;
  match: FaultMatch;
  fault: Fault;
  /** Firings left; null fires for ever. */
  remaining: number | null;
}

/** What a request is, for matching. */
export interface RequestFacts {
  route: RouteKind;
  token: string | undefined;
  accountId: string | undefined;
  page: number;
}

/**
 * Thrown from a handler to make the caller's `fetch` reject, as when a connection drops. The app's
 * error handler rethrows it instead of answering 500.
 */
export class NetworkReset extends TypeError {
  constructor() {
    // Inherits name "TypeError": callers see what a failed fetch throws.
    super("Network connection lost.");
  }
}

export class FaultStore {
  // Newest last; searched from the end so the newest rule wins.
  #rules: FaultRule[] = [];

  add(match: FaultMatch, fault: Fault, times?: number): string {
    const id = randomHexId();
    this.#rules.push({ id, match, fault, remaining: times ?? null });
    return id;
  }

  remove(id: string): boolean {
    const before = this.#rules.length;
    this.#rules = this.#rules.filter((r) => r.id !== id);
    return this.#rules.length < before;
  }

  /** Removes rules whose match names exactly these values; an empty filter removes every rule. */
  clear(filter: { accountId?: string; token?: string }): number {
    const before = this.#rules.length;
    this.#rules = this.#rules.filter(
      (r) =>
        !(
          (filter.accountId === undefined || r.match.accountId === filter.accountId) &&
          (filter.token === undefined || r.match.token === filter.token)
        ),
    );
    return before - this.#rules.length;
  }

  /** The fault this request suffers, if any, consuming one firing of its rule. */
  take(facts: RequestFacts): Fault | undefined {
    for (let i = this.#rules.length - 1; i >= 0; i--) {
      const rule = this.#rules[i] as FaultRule;
      const m = rule.match;
      if (m.accountId !== undefined && m.accountId !== facts.accountId) continue;
      if (m.token !== undefined && m.token !== facts.token) continue;
      if (m.path !== undefined && m.path !== facts.route) continue;
      if (m.page !== undefined && m.page !== facts.page) continue;
      if (rule.remaining !== null) {
        rule.remaining--;
        if (rule.remaining <= 0) this.#rules.splice(i, 1);
      }
      return rule.fault;
    }
    return undefined;
  }
}
