// In-memory store of one simulator instance: accounts with their raw members, API tokens, the
// request log and global config. Everything here is per instance; tests sharing the instance
// isolate themselves by using their own random account ids and token values.

import { FaultStore } from "./faults";
import type { RawMember } from "./members";
import { randomAlphanumeric, randomHexId } from "./random";
import { RateLimiter } from "./rate-limit";

export type AccountType = "standard" | "enterprise";
export type TokenKind = "user" | "account";
export type TokenStatus = "active" | "disabled" | "expired";
export type AccountsListMode = "repeat" | "reject";
/** The Cloudflare endpoints the simulator serves; faults and the request log refer to them by these names. */
export type RouteKind = "members" | "account" | "accounts" | "user_verify" | "account_verify";

export interface Account {
  id: string;
  name: string;
  type: AccountType;
  enforceTwoFactor: boolean;
  createdOn: string;
  members: RawMember[];
  /** Bumped on every member change; invalidates {@link Account.sortedViews}. */
  version: number;
  /** Sorted/filtered member lists by query, so paging 50,000 members does not re-sort per page. */
  sortedViews: Map<string, { version: number; members: RawMember[] }>;
}

export interface RateLimitPolicy {
  limit: number;
  windowSeconds: number;
}

export interface Token {
  value: string;
  /** The 32-hex id `tokens/verify` returns; never the secret value. */
  id: string;
  kind: TokenKind;
  /** User token: the accounts it can reach. Account token: exactly one, its owner. */
  accountIds: string[];
  status: TokenStatus;
  expiresOn: string | null;
  notBefore: string | null;
  permissions: { accountSettingsRead: boolean };
  accountsList: AccountsListMode;
  rateLimit: RateLimitPolicy | null;
  revoked: boolean;
}

export interface RequestRecord {
  method: string;
  path: string;
  /** The raw query string without `?`, e.g. `per_page=50&page=2`. */
  query: string;
  /** HTTP status answered; 0 when the connection was dropped (`reset` fault). */
  status: number;
  at: string;
  token?: string;
  accountId?: string;
  route?: RouteKind;
  fault?: string;
}

/** Cloudflare's documented default: 1200 requests per 5 minutes per token (reference §5). */
export const DEFAULT_RATE_LIMIT: RateLimitPolicy = { limit: 1200, windowSeconds: 300 };

/** Bounds the request log of a long-running demo server; tests read far fewer. */
const MAX_REQUEST_LOG = 100_000;

/** Prefixes of the current token formats (reference §3, token formats). */
const TOKEN_PREFIX: Record<TokenKind, string> = { user: "cfut_", account: "cfat_" };
/** Characters after the prefix (the real format adds a checksum; nothing here validates it). */
const TOKEN_BODY_LENGTH = 40;

export class SimulatorState {
  readonly accounts = new Map<string, Account>();
  readonly tokens = new Map<string, Token>();
  readonly faults = new FaultStore();
  readonly limiter = new RateLimiter();
  requests: RequestRecord[] = [];
  /** The only global setting: delay before every Cloudflare-route answer. */
  latencyMs: number;

  constructor(latencyMs = 0) {
    this.latencyMs = latencyMs;
  }

  addAccount(input: {
    id?: string;
    name: string;
    type?: AccountType;
    enforceTwoFactor?: boolean;
    createdOn?: string;
    members?: RawMember[];
  }): Account {
    const account: Account = {
      id: input.id ?? randomHexId(),
      name: input.name,
      type: input.type ?? "standard",
      enforceTwoFactor: input.enforceTwoFactor ?? false,
      createdOn: input.createdOn ?? new Date().toISOString(),
      members: input.members ?? [],
      version: 0,
      sortedViews: new Map(),
    };
    this.accounts.set(account.id, account);
    return account;
  }

  addToken(input: {
    value?: string;
    id?: string;
    kind: TokenKind;
    accountIds: string[];
    status?: TokenStatus;
    expiresOn?: string | null;
    notBefore?: string | null;
    permissions?: { accountSettingsRead?: boolean };
    accountsList?: AccountsListMode;
    rateLimit?: RateLimitPolicy | null;
    revoked?: boolean;
  }): Token {
    const token: Token = {
      value: input.value ?? TOKEN_PREFIX[input.kind] + randomAlphanumeric(TOKEN_BODY_LENGTH),
      id: input.id ?? randomHexId(),
      kind: input.kind,
      accountIds: input.accountIds,
      status: input.status ?? "active",
      expiresOn: input.expiresOn ?? null,
      notBefore: input.notBefore ?? null,
      permissions: { accountSettingsRead: input.permissions?.accountSettingsRead ?? true },
      accountsList: input.accountsList ?? "repeat",
      rateLimit: input.rateLimit ?? null,
      revoked: input.revoked ?? false,
    };
    this.tokens.set(token.value, token);
    return token;
  }

  /** Marks an account's members as changed so cached sorted views are rebuilt. */
  touch(account: Account): void {
    account.version++;
    account.sortedViews.clear();
  }

  record(entry: RequestRecord): void {
    this.requests.push(entry);
    // Drop in chunks so the copy cost is paid rarely.
    if (this.requests.length > MAX_REQUEST_LOG * 1.1) this.requests = this.requests.slice(-MAX_REQUEST_LOG);
  }
}

/** A token's status as the API reports it: an `active` token past its `expiresOn` reads `expired`. */
export function effectiveStatus(token: Token, now = Date.now()): TokenStatus {
  if (token.status === "active" && token.expiresOn !== null && Date.parse(token.expiresOn) <= now)
    return "expired";
  return token.status;
}
