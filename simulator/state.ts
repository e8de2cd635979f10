// In-memory store of one simulator instance: accounts with their raw members, API tokens, the
// request log and global config. Everything here is per instance; tests sharing the instance
// isolate themselves by using their own random account ids and token values.

import { DEFAULT_CLIENT_IP, type ForbiddenCode } from "./envelope.ts";
import { FaultStore } from "./faults.ts";
import type { RawMember } from "./members.ts";
import { randomAlphanumeric, randomHexId } from "./random.ts";
import { RateLimiter } from "./rate-limit.ts";

export type AccountType = "standard" | "enterprise";
export type TokenKind = "user" | "account";
export type TokenStatus = "active" | "disabled" | "expired";
export type AccountsListMode = "repeat" | "reject";
/**
 * Which totals `result_info` of the members list carries. `full`: page, per_page, count,
 * total_count and total_pages, as recorded from the real endpoint. `no_total_pages`: without
 * total_pages, as Cloudflare's OpenAPI schema (`iam_result_info`) and older SDK fixtures describe it.
 * `no_totals`: page, per_page and count only, so a client must walk to an empty page.
 */
export type ResultInfoMode = "full" | "no_total_pages" | "no_totals";
/** Order of each member's nested lists as served: as stored, or reversed (the API does not promise one). */
export type NestedOrder = "stored" | "reversed";
/** What an empty members page carries in `result`: `[]`, or `null` (which the official SDK tolerates). */
export type EmptyResult = "array" | "null";
/** The Cloudflare endpoints the simulator serves; faults and the request log refer to them by these names. */
export type RouteKind =
  | "members"
  | "member"
  | "account"
  | "accounts"
  | "user_verify"
  | "account_verify"
  | "audit"
  | "tokens"
  | "sso";

/** An Audit Logs v2 entry as the endpoint serves it (simulator/sources.ts builds them). */
export type AuditEntry = Record<string, unknown> & {
  id: string;
  action: Record<string, unknown> & { time: string };
};

/** A dashboard SSO connector as GET /accounts/{id}/sso_connectors serves it. */
export interface SsoConnector {
  id: string;
  email_domain: string;
  enabled: boolean;
  verification: { code: string; status: string };
  created_on: string;
  updated_on: string;
}

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
  /** Largest page the members list serves, whatever `per_page` asks (null: as asked). */
  servePerPage: number | null;
  resultInfo: ResultInfoMode;
  nestedOrder: NestedOrder;
  emptyResult: EmptyResult;
  /** The account's audit log, oldest first: every member change made through the control API, and more. */
  audit: AuditEntry[];
  /** Entries younger than this many seconds are not served yet: audit logs arrive late. */
  auditLagSeconds: number;
  ssoConnectors: SsoConnector[];
}

/** The per-account serving switches, all settable through the control API. */
export interface AccountServing {
  servePerPage?: number | null;
  resultInfo?: ResultInfoMode;
  nestedOrder?: NestedOrder;
  emptyResult?: EmptyResult;
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
  /**
   * What the token may read. Cloudflare covers members and the audit log with Account Settings
   * Read; `auditLogs` lets tests take the audit log away alone.
   */
  permissions: TokenPermissions;
  accountsList: AccountsListMode;
  /** Shown by GET /accounts/{id}/tokens for account-owned tokens. */
  name: string;
  issuedOn: string;
  lastUsedOn: string | null;
  /** Token policies as Cloudflare lists them (`effect`, `permission_groups`, `resources`). */
  policies: unknown[];
  rateLimit: RateLimitPolicy | null;
  revoked: boolean;
  /**
   * The token has a client-IP filter that excludes the caller: every request except the verify
   * endpoints (which Cloudflare documents as exempt from IP filtering) answers 403 / 9109.
   */
  ipRestricted: boolean;
  /** The caller's address as Cloudflare reports it in the 9109 location message. */
  clientIp: string;
  /** The code a missing permission or a foreign account answers with (403 either way). */
  forbiddenCode: ForbiddenCode;
}

/** The token options beyond identity, kind and status, all settable through the control API. */
export interface TokenRestrictions {
  ipRestricted?: boolean;
  clientIp?: string;
  forbiddenCode?: ForbiddenCode;
}

export interface TokenPermissions {
  accountSettingsRead: boolean;
  auditLogs: boolean;
  apiTokensRead: boolean;
  ssoRead: boolean;
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

/** An account as saved to disk: everything but the sorted-view cache. */
export type PersistedAccount = Omit<Account, "version" | "sortedViews">;

/**
 * What the offline demo keeps across restarts (simulator/serve.ts): the accounts with their
 * members and the tokens. Faults, the request log and rate-limit windows start afresh.
 */
export interface PersistedState {
  version: typeof PERSISTED_VERSION;
  accounts: PersistedAccount[];
  tokens: Token[];
}

export const PERSISTED_VERSION = 1;

/** Cloudflare's documented default: 1200 requests per 5 minutes per token ("API rate limits" in the docs). */
export const DEFAULT_RATE_LIMIT: RateLimitPolicy = { limit: 1200, windowSeconds: 300 };

/** Bounds the request log of a long-running demo server; tests read far fewer. */
const MAX_REQUEST_LOG = 100_000;

/** Prefixes of the current token formats (Cloudflare docs, fundamentals/api/get-started/token-formats). */
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

  addAccount(
    input: {
      id?: string;
      name: string;
      type?: AccountType;
      enforceTwoFactor?: boolean;
      createdOn?: string;
      members?: RawMember[];
    } & AccountServing,
  ): Account {
    const account: Account = {
      id: input.id ?? randomHexId(),
      name: input.name,
      type: input.type ?? "standard",
      enforceTwoFactor: input.enforceTwoFactor ?? false,
      createdOn: input.createdOn ?? new Date().toISOString(),
      members: input.members ?? [],
      version: 0,
      sortedViews: new Map(),
      servePerPage: input.servePerPage ?? null,
      resultInfo: input.resultInfo ?? "full",
      nestedOrder: input.nestedOrder ?? "stored",
      emptyResult: input.emptyResult ?? "array",
      audit: [],
      auditLagSeconds: 0,
      ssoConnectors: [],
    };
    this.accounts.set(account.id, account);
    return account;
  }

  addToken(
    input: {
      value?: string;
      id?: string;
      kind: TokenKind;
      accountIds: string[];
      status?: TokenStatus;
      expiresOn?: string | null;
      notBefore?: string | null;
      permissions?: Partial<TokenPermissions>;
      accountsList?: AccountsListMode;
      name?: string;
      lastUsedOn?: string | null;
      policies?: unknown[];
      rateLimit?: RateLimitPolicy | null;
      revoked?: boolean;
    } & TokenRestrictions,
  ): Token {
    const token: Token = {
      value: input.value ?? TOKEN_PREFIX[input.kind] + randomAlphanumeric(TOKEN_BODY_LENGTH),
      id: input.id ?? randomHexId(),
      kind: input.kind,
      accountIds: input.accountIds,
      status: input.status ?? "active",
      expiresOn: input.expiresOn ?? null,
      notBefore: input.notBefore ?? null,
      permissions: {
        accountSettingsRead: input.permissions?.accountSettingsRead ?? true,
        auditLogs: input.permissions?.auditLogs ?? true,
        apiTokensRead: input.permissions?.apiTokensRead ?? true,
        ssoRead: input.permissions?.ssoRead ?? true,
      },
      accountsList: input.accountsList ?? "repeat",
      name: input.name ?? `${input.kind} token`,
      issuedOn: new Date().toISOString(),
      lastUsedOn: input.lastUsedOn ?? null,
      policies: input.policies ?? [],
      rateLimit: input.rateLimit ?? null,
      revoked: input.revoked ?? false,
      ipRestricted: input.ipRestricted ?? false,
      clientIp: input.clientIp ?? DEFAULT_CLIENT_IP,
      forbiddenCode: input.forbiddenCode ?? 10000,
    };
    this.tokens.set(token.value, token);
    return token;
  }

  /** Marks an account's members as changed so cached sorted views are rebuilt. */
  touch(account: Account): void {
    account.version++;
    account.sortedViews.clear();
  }

  /** The accounts and tokens as plain JSON data, for saving. */
  snapshot(): PersistedState {
    const accounts = [...this.accounts.values()].map(
      (a): PersistedAccount => ({
        id: a.id,
        name: a.name,
        type: a.type,
        enforceTwoFactor: a.enforceTwoFactor,
        createdOn: a.createdOn,
        members: a.members,
        servePerPage: a.servePerPage,
        resultInfo: a.resultInfo,
        nestedOrder: a.nestedOrder,
        emptyResult: a.emptyResult,
        audit: a.audit,
        auditLagSeconds: a.auditLagSeconds,
        ssoConnectors: a.ssoConnectors,
      }),
    );
    return { version: PERSISTED_VERSION, accounts, tokens: [...this.tokens.values()] };
  }

  /** Replaces the accounts and tokens with saved ones. */
  restore(saved: PersistedState): void {
    this.accounts.clear();
    this.tokens.clear();
    for (const a of saved.accounts) {
      // Files saved before the optional sources existed have none of their fields.
      this.accounts.set(a.id, {
        ...a,
        audit: a.audit ?? [],
        auditLagSeconds: a.auditLagSeconds ?? 0,
        ssoConnectors: a.ssoConnectors ?? [],
        version: 0,
        sortedViews: new Map(),
      });
    }
    for (const t of saved.tokens) this.tokens.set(t.value, t);
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
