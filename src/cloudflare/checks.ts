/**
 * Connect-time checks against Cloudflare (docs/api.md#integrations): verify the token, resolve the
 * organization to exactly one account, and prove the token can list that account's members.
 * Every failure is a value with an error code and a message telling the admin what to fix.
 */
import { type Failure, failure } from "../lib/errors";
import { err, ok, type Result } from "../lib/result";
import type { ClientFailure, CloudflareClient } from "./client";
import {
  isAccountListRefused,
  isAuthFailure,
  isUnknownAccount,
  REQUIRED_PERMISSIONS,
  restrictedTokenFailure,
  transportFailure,
} from "./errors";
import { MAX_PER_PAGE, MIN_PER_PAGE, pagesFromResultInfo } from "./paging";
import {
  accountListSchema,
  accountSchema,
  type CloudflareAccount,
  memberListSchema,
  type TokenVerification,
  tokenVerifySchema,
} from "./schemas";

/** /accounts paging guard: far above any real account count, far below a runaway loop. */
const MAX_ACCOUNT_PAGES = 200;
/** How many visible account names an "organization not found" message lists. */
const NAMES_IN_MESSAGE = 10;

export type TokenKind = "user" | "account";

/** `cfat_` tokens are account-owned, `cfut_` user-owned; older tokens have no prefix (null). */
export function tokenKindFromPrefix(token: string): TokenKind | null {
  if (token.startsWith("cfat_")) return "account";
  if (token.startsWith("cfut_")) return "user";
  return null;
}

export interface ConnectInput {
  organizationName: string;
  accountId?: string | undefined;
  token: string;
}

export interface ConnectedAccount {
  accountId: string;
  accountName: string;
  tokenKind: TokenKind;
  enforceTwoFactor: boolean | null;
  tokenExpiresAt: string | null;
  /** Members Cloudflare reported for the account when probed (null if it gave no total). */
  memberCount: number | null;
}

const invalidToken = (detail: string) =>
  failure(
    "cloudflare_token_invalid",
    `Cloudflare rejected the API token (${detail}). Create a new read-only token in the Cloudflare dashboard (My Profile → API Tokens) and paste it in full.`,
  );

/** What a verify endpoint said: the token's state, or that it is not valid there. */
export async function verifyToken(
  client: CloudflareClient,
  kind: TokenKind,
  accountId?: string,
): Promise<Result<TokenVerification, ClientFailure>> {
  const path =
    kind === "account"
      ? `/accounts/${encodeURIComponent(accountId ?? "")}/tokens/verify`
      : "/user/tokens/verify";
  const page = await client.get(path, {}, tokenVerifySchema);
  return page.ok ? ok(page.value.result) : page;
}

/** Verifies an account-owned token on its account's endpoint; expired or disabled is refused too. */
async function verifyAccountToken(
  client: CloudflareClient,
  accountId: string,
): Promise<Result<TokenVerification, Failure>> {
  const verified = await verifyToken(client, "account", accountId);
  if (!verified.ok) {
    const f = verified.error;
    if (isUnknownAccount(f)) return err(unknownAccount(accountId));
    return err(
      restrictedTokenFailure(f) ??
        (isAuthFailure(f)
          ? invalidToken("it is not a valid, active API token for this account")
          : transportFailure(f)),
    );
  }
  const bad = inactive(verified.value);
  return bad ? err(bad) : verified;
}

const unknownAccount = (accountId: string) =>
  failure(
    "organization_not_found",
    `No Cloudflare account with id ${accountId} is visible to this token. Check the account id in the dashboard URL.`,
  );

function inactive(v: TokenVerification): Failure | null {
  return v.status === "active" ? null : invalidToken(`the token is ${v.status}`);
}

/** What is known about the token before the account is resolved. */
interface TokenIdentity {
  kind: TokenKind | null;
  verification: TokenVerification | null;
}

/**
 * Verifies the token where its kind allows: user tokens on the user endpoint, account-owned ones
 * on their account's endpoint when the account id is given. Unprefixed tokens are tried as user
 * tokens first; if the user endpoint refuses them they may still be account-owned (kind null).
 */
async function identifyToken(
  client: CloudflareClient,
  input: ConnectInput,
): Promise<Result<TokenIdentity, Failure>> {
  let kind = tokenKindFromPrefix(input.token);
  if (kind !== "account") {
    const verified = await verifyToken(client, "user");
    if (verified.ok) {
      const bad = inactive(verified.value);
      return bad ? err(bad) : ok({ kind: "user", verification: verified.value });
    }
    const restricted = restrictedTokenFailure(verified.error);
    if (restricted) return err(restricted);
    if (!isAuthFailure(verified.error)) return err(transportFailure(verified.error));
    if (kind === "user") return err(invalidToken("it is not a valid, active user API token"));
    kind = null;
  }
  // Account known up front: verify there first, so an expired, disabled or foreign account token
  // is reported as such (GET /accounts/{id} would refuse it like a missing permission).
  if (input.accountId) {
    const verified = await verifyAccountToken(client, input.accountId);
    return verified.ok ? ok({ kind: "account", verification: verified.value }) : verified;
  }
  return ok({ kind, verification: null });
}

/** Proves the token can list the account's members; the total it reports sizes the first sync. */
async function probeMembers(
  client: CloudflareClient,
  account: CloudflareAccount,
): Promise<Result<number | null, Failure>> {
  const probe = await client.get(
    `/accounts/${encodeURIComponent(account.id)}/members`,
    { page: 1, per_page: MIN_PER_PAGE },
    memberListSchema,
  );
  if (probe.ok) return ok(probe.value.resultInfo?.total_count ?? null);
  const restricted = restrictedTokenFailure(probe.error);
  if (restricted) return err(restricted);
  if (!isAuthFailure(probe.error)) return err(transportFailure(probe.error));
  return err(
    failure(
      "cloudflare_permission_missing",
      `The token can see account '${account.name}' but cannot list its members. Edit the token in the Cloudflare dashboard and add ${REQUIRED_PERMISSIONS} for '${account.name}'.`,
    ),
  );
}

/**
 * Runs every connect-time check and returns what the integration stores about its account:
 * token identity, then the account, then (for account-owned tokens not yet verified) the token on
 * that account's endpoint, then the members probe.
 */
export async function checkConnection(
  client: CloudflareClient,
  input: ConnectInput,
): Promise<Result<ConnectedAccount, Failure>> {
  if (/^cfk_/.test(input.token)) {
    return err(
      invalidToken("this is a Global API Key, not an API token; create a scoped read-only API token instead"),
    );
  }
  const identity = await identifyToken(client, input);
  if (!identity.ok) return identity;
  let { kind, verification } = identity.value;

  // Here an unprefixed token has no accountId: /accounts refusing it (401/403) already reads as
  // an invalid token, and its other answers (1001 "pass accountId", no such name) are accurate.
  const account = await resolveAccount(client, input, kind ?? "account");
  if (!account.ok) return account;

  if (kind !== "user" && verification === null) {
    const verified = await verifyAccountToken(client, account.value.id);
    if (!verified.ok) return verified;
    kind = "account";
    verification = verified.value;
  }

  const memberCount = await probeMembers(client, account.value);
  if (!memberCount.ok) return memberCount;
  return ok({
    accountId: account.value.id,
    accountName: account.value.name,
    tokenKind: kind ?? "account",
    enforceTwoFactor: account.value.settings?.enforce_twofactor ?? null,
    tokenExpiresAt: verification?.expires_on ?? null,
    memberCount: memberCount.value,
  });
}

const sameName = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: "accent" }) === 0;

/** The one account the input names: by id when given, else by name among the visible accounts. */
function resolveAccount(
  client: CloudflareClient,
  input: ConnectInput,
  kind: TokenKind,
): Promise<Result<CloudflareAccount, Failure>> {
  return input.accountId
    ? readAccountById(client, input, input.accountId)
    : findAccountByName(client, input, kind);
}

async function readAccountById(
  client: CloudflareClient,
  input: ConnectInput,
  accountId: string,
): Promise<Result<CloudflareAccount, Failure>> {
  const page = await client.get(`/accounts/${encodeURIComponent(accountId)}`, {}, accountSchema);
  if (!page.ok) {
    const f = page.error;
    const restricted = restrictedTokenFailure(f);
    if (restricted) return err(restricted);
    if (isUnknownAccount(f) || (f.kind === "http" && (f.status === 404 || f.status === 400))) {
      return err(unknownAccount(accountId));
    }
    if (isAuthFailure(f)) {
      return err(
        failure(
          "cloudflare_permission_missing",
          `The token cannot read account ${accountId}. Edit the token in the Cloudflare dashboard and add ${REQUIRED_PERMISSIONS} for that account.`,
        ),
      );
    }
    return err(transportFailure(f));
  }
  const account = page.value.result;
  if (!sameName(account.name, input.organizationName)) {
    return err(
      failure(
        "organization_not_found",
        `Account ${accountId} is named '${account.name}', not '${input.organizationName}'. Use the account name exactly as the dashboard shows it.`,
      ),
    );
  }
  return ok(account);
}

async function findAccountByName(
  client: CloudflareClient,
  input: ConnectInput,
  kind: TokenKind,
): Promise<Result<CloudflareAccount, Failure>> {
  const listed = await listVisibleAccounts(client);
  if (!listed.ok) return err(accountListFailure(listed.error, kind));
  const matches = listed.value.filter((a) => sameName(a.name, input.organizationName));
  if (matches.length === 1) return ok(matches[0]!);
  if (matches.length === 0) {
    return err(
      failure(
        "organization_not_found",
        `No Cloudflare account named '${input.organizationName}' is visible to this token. ${describeVisible(listed.value)}`,
      ),
    );
  }
  return err(
    failure(
      "organization_ambiguous",
      `${matches.length} accounts named '${input.organizationName}' are visible to this token (ids ${matches.map((a) => a.id).join(", ")}). Pass accountId to choose one.`,
    ),
  );
}

function accountListFailure(f: ClientFailure, kind: TokenKind): Failure {
  const restricted = restrictedTokenFailure(f);
  if (restricted) return restricted;
  if (kind === "account" && isAccountListRefused(f)) {
    return failure(
      "organization_not_found",
      "This account-owned token cannot list accounts. Pass accountId (the 32-character id in the dashboard URL) with the organization name.",
    );
  }
  if (isAuthFailure(f)) {
    return kind === "account"
      ? invalidToken("it is not a valid, active API token")
      : invalidToken("Cloudflare refused it when listing accounts");
  }
  return transportFailure(f);
}

function describeVisible(accounts: CloudflareAccount[]): string {
  if (accounts.length === 0) return "The token sees no accounts at all; give it access to the account.";
  const names = accounts.map((a) => `'${a.name}'`);
  const more = names.length > NAMES_IN_MESSAGE ? ` and ${names.length - NAMES_IN_MESSAGE} more` : "";
  return `Accounts this token can see: ${names.slice(0, NAMES_IN_MESSAGE).join(", ")}${more}.`;
}

/**
 * Every account visible to the token, de-duplicated by id. Guarded paging: account-owned tokens
 * make /accounts return the same page for every page number (docs/cloudflare.md), so the loop
 * stops at total_pages / ceil(total_count / per_page), on an empty page, or on a page with
 * nothing new.
 */
export async function listVisibleAccounts(
  client: CloudflareClient,
): Promise<Result<CloudflareAccount[], ClientFailure>> {
  const seen = new Map<string, CloudflareAccount>();
  for (let page = 1; page <= MAX_ACCOUNT_PAGES; page++) {
    const response = await client.get("/accounts", { page, per_page: MAX_PER_PAGE }, accountListSchema);
    if (!response.ok) return response;
    const { result, resultInfo } = response.value;
    let fresh = 0;
    for (const account of result) {
      if (!seen.has(account.id)) {
        seen.set(account.id, account);
        fresh++;
      }
    }
    const totalPages = pagesFromResultInfo(resultInfo, MAX_PER_PAGE);
    // Without totals only an empty page (or one with nothing new) ends the walk: Cloudflare may
    // serve fewer than asked, so a short page is no proof of the end.
    if (result.length === 0 || fresh === 0 || (totalPages !== null && page >= totalPages)) break;
  }
  return ok([...seen.values()]);
}
