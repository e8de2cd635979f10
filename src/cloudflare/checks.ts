/**
 * Connect-time checks against Cloudflare (SPEC §3 "Integrations"): verify the token, resolve the
 * organization to exactly one account, and prove the token can list that account's members.
 * Every failure is a value with an error code and a message telling the admin what to fix.
 */
import { type Failure, failure } from "../lib/errors";
import { err, ok, type Result } from "../lib/result";
import type { ClientFailure, CloudflareClient } from "./client";
import {
  accountListSchema,
  accountSchema,
  type CloudflareAccount,
  memberListSchema,
  type TokenVerification,
  tokenVerifySchema,
} from "./schemas";

/** Cloudflare's largest page for /accounts and /accounts/{id}/members. */
export const MAX_PER_PAGE = 50;
/** Cloudflare's smallest page: the members probe needs only one. */
const MIN_PER_PAGE = 5;
/** /accounts paging guard: far above any real account count, far below a runaway loop. */
const MAX_ACCOUNT_PAGES = 200;
/** How many visible account names an "organization not found" message lists. */
const NAMES_IN_MESSAGE = 10;

export const REQUIRED_PERMISSIONS = "Account Settings: Read";

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

/** Maps a transport-level failure (not an auth answer) to the error an admin sees. */
export function transportFailure(f: ClientFailure): Failure {
  switch (f.kind) {
    case "rate_limited":
      return failure(
        "cloudflare_rate_limited",
        `Cloudflare is rate limiting this token; try again in ${f.retryAfterSeconds} s (the limit is 1,200 requests per 5 minutes, shared with everything else that uses the token).`,
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

const isAuthFailure = (f: ClientFailure) =>
  f.kind === "http" &&
  (f.status === 401 || f.status === 403 || f.errors.some((e) => e.code === 1000 || e.code === 6003));

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

async function verifyAccountToken(
  client: CloudflareClient,
  accountId: string,
): Promise<Result<TokenVerification, Failure>> {
  const verified = await verifyToken(client, "account", accountId);
  if (verified.ok) return verified;
  if (isAuthFailure(verified.error)) {
    return err(invalidToken("it is not a valid, active API token for this account"));
  }
  return err(transportFailure(verified.error));
}

function checkVerification(v: TokenVerification): Failure | null {
  if (v.status === "active") return null;
  return invalidToken(`the token is ${v.status}`);
}

/**
 * Runs every connect-time check and returns what the integration stores about its account.
 * Unprefixed tokens are tried as user tokens first; if the user endpoint refuses them they are
 * treated as account-owned once the account is known.
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
  let kind = tokenKindFromPrefix(input.token);
  let verification: TokenVerification | null = null;

  if (kind !== "account") {
    const verified = await verifyToken(client, "user");
    if (verified.ok) {
      kind = "user";
      verification = verified.value;
    } else if (!isAuthFailure(verified.error)) {
      return err(transportFailure(verified.error));
    } else if (kind === "user") {
      return err(invalidToken("it is not a valid, active user API token"));
    }
    // else: unprefixed token refused by the user endpoint; may still be account-owned.
  }
  // Account known up front: verify there first, so an expired, disabled or foreign account token
  // is reported as such (GET /accounts/{id} would refuse it like a missing permission).
  if (kind !== "user" && input.accountId) {
    const verified = await verifyAccountToken(client, input.accountId);
    if (!verified.ok) return verified;
    kind = "account";
    verification = verified.value;
  }
  if (verification) {
    const bad = checkVerification(verification);
    if (bad) return err(bad);
  }

  // Here an unprefixed token has no accountId: /accounts refusing it (401/403) already reads as
  // an invalid token, and its other answers (1001 "pass accountId", no such name) are accurate.
  const account = await resolveAccount(client, input, kind ?? "account");
  if (!account.ok) return account;

  if (kind !== "user" && verification === null) {
    const verified = await verifyAccountToken(client, account.value.id);
    if (!verified.ok) return verified;
    kind = "account";
    verification = verified.value;
    const bad = checkVerification(verification);
    if (bad) return err(bad);
  }

  const probe = await client.get(
    `/accounts/${encodeURIComponent(account.value.id)}/members`,
    { page: 1, per_page: MIN_PER_PAGE },
    memberListSchema,
  );
  if (!probe.ok) {
    if (isAuthFailure(probe.error)) {
      return err(
        failure(
          "cloudflare_permission_missing",
          `The token can see account '${account.value.name}' but cannot list its members. Edit the token in the Cloudflare dashboard and add ${REQUIRED_PERMISSIONS} for '${account.value.name}'.`,
        ),
      );
    }
    return err(transportFailure(probe.error));
  }

  return ok({
    accountId: account.value.id,
    accountName: account.value.name,
    tokenKind: kind ?? "account",
    enforceTwoFactor: account.value.settings?.enforce_twofactor ?? null,
    tokenExpiresAt: verification?.expires_on ?? null,
    memberCount: probe.value.resultInfo?.total_count ?? null,
  });
}

const sameName = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: "accent" }) === 0;

async function resolveAccount(
  client: CloudflareClient,
  input: ConnectInput,
  kind: TokenKind,
): Promise<Result<CloudflareAccount, Failure>> {
  if (input.accountId) {
    const page = await client.get(`/accounts/${encodeURIComponent(input.accountId)}`, {}, accountSchema);
    if (!page.ok) {
      const f = page.error;
      if (f.kind === "http" && (f.status === 404 || f.status === 400)) {
        return err(
          failure(
            "organization_not_found",
            `No Cloudflare account with id ${input.accountId} is visible to this token. Check the account id in the dashboard URL.`,
          ),
        );
      }
      if (isAuthFailure(f)) {
        return err(
          failure(
            "cloudflare_permission_missing",
            `The token cannot read account ${input.accountId}. Edit the token in the Cloudflare dashboard and add ${REQUIRED_PERMISSIONS} for that account.`,
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
          `Account ${input.accountId} is named '${account.name}', not '${input.organizationName}'. Use the account name exactly as the dashboard shows it.`,
        ),
      );
    }
    return ok(account);
  }

  const listed = await listAccounts(client);
  if (!listed.ok) {
    const f = listed.error;
    if (f.kind === "http" && f.errors.some((e) => e.code === 1001) && kind === "account") {
      return err(
        failure(
          "organization_not_found",
          "This account-owned token cannot list accounts. Pass accountId (the 32-character id in the dashboard URL) with the organization name.",
        ),
      );
    }
    if (isAuthFailure(f)) {
      return err(
        kind === "account"
          ? invalidToken("it is not a valid, active API token")
          : invalidToken("Cloudflare refused it when listing accounts"),
      );
    }
    return err(transportFailure(f));
  }
  const matches = listed.value.filter((a) => sameName(a.name, input.organizationName));
  if (matches.length === 1) return ok(matches[0]!);
  if (matches.length === 0) {
    const names = listed.value.map((a) => `'${a.name}'`);
    const visible =
      names.length === 0
        ? "The token sees no accounts at all; give it access to the account."
        : `Accounts this token can see: ${names.slice(0, NAMES_IN_MESSAGE).join(", ")}${names.length > NAMES_IN_MESSAGE ? ` and ${names.length - NAMES_IN_MESSAGE} more` : ""}.`;
    return err(
      failure(
        "organization_not_found",
        `No Cloudflare account named '${input.organizationName}' is visible to this token. ${visible}`,
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

/**
 * Every account visible to the token, de-duplicated by id. Guarded paging: account-owned tokens
 * make /accounts return the same page for every page number (reference §2), so the loop stops
 * at total_pages / ceil(total_count / per_page), on an empty page, or on a page with nothing new.
 */
export async function listAccounts(
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
    if (result.length === 0 || fresh === 0 || (totalPages !== null && page >= totalPages)) break;
    if (totalPages === null && result.length < MAX_PER_PAGE) break;
  }
  return ok([...seen.values()]);
}

/** total_pages when Cloudflare sends it, else ceil(total_count / per_page), else unknown. */
export function pagesFromResultInfo(
  info: {
    total_pages?: number | undefined;
    total_count?: number | undefined;
    per_page?: number | undefined;
  } | null,
  perPage: number,
): number | null {
  if (!info) return null;
  if (typeof info.total_pages === "number" && info.total_pages >= 0) return info.total_pages;
  if (typeof info.total_count === "number" && info.total_count >= 0) {
    return Math.ceil(info.total_count / (info.per_page || perPage));
  }
  return null;
}
