/**
 * Bindings, vars and secrets, parsed once per isolate (docs/api.md#configuration). A missing or malformed secret is
 * a configuration error that names the setting; it is never worked around by storing anything
 * unencrypted or by letting requests through unauthenticated.
 */
import { z } from "zod";
import { err, ok, type Result } from "./lib/result";
import { type Keyring, loadKeyring } from "./vault/keyring";

/** Everything the Worker reads from its environment; secrets are optional at the type level. */
export interface AppEnv extends Env {
  API_TOKEN?: string;
  API_READ_TOKENS?: string;
  ENCRYPTION_KEYS?: string;
  /** Per-request timeout towards Cloudflare; tests shorten it. */
  CLOUDFLARE_TIMEOUT_MS?: string;
  STALE_INVITATION_DAYS?: string;
  MAX_SUPER_ADMINS?: string;
  /** Cloudflare Access in front of the console (docs/console.md#cloudflare-access). */
  ACCESS_TEAM_DOMAIN?: string;
  ACCESS_AUD?: string;
  ACCESS_ADMIN_EMAILS?: string;
  /** Per-attempt timeout towards webhook receivers; tests shorten it. */
  WEBHOOK_TIMEOUT_MS?: string;
  /** Staged syncs (docs/sync.md#staged-sync): tests shrink them to a few pages. */
  STAGED_SYNC_MIN_PAGES?: string;
  STAGED_SYNC_INVOCATION_MS?: string;
  STAGED_SYNC_PAGES_PER_INVOCATION?: string;
  STAGED_SYNC_DIFF_CHUNK?: string;
  STAGED_SYNC_CONFIRM_MAX?: string;
}

/**
 * The admin token may do everything, so it must be out of reach of guessing: at least 32
 * characters (`openssl rand -hex 32` gives 64 random hex digits). Shorter is refused as configuration.
 */
const MIN_ADMIN_TOKEN_LENGTH = 32;
/** Read tokens shorter than this are guessable; refuse them as configuration. */
const MIN_READ_TOKEN_LENGTH = 16;
/** How to make an admin token, for the not_configured message. */
const MAKE_ADMIN_TOKEN = "make one with: openssl rand -hex 32";
const DEFAULT_API_BASE_URL = "https://api.cloudflare.com/client/v4";
const DEFAULT_RETENTION_DAYS = 400;
/** Cloudflare answers in well under a second; 15 s leaves room for slow pages, not for hangs. */
const DEFAULT_CLOUDFLARE_TIMEOUT_MS = 15_000;
/** A webhook receiver should answer at once and do its work afterwards (docs/webhooks.md#retries). */
const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
/** Findings thresholds (docs/findings.md). */
const DEFAULT_STALE_INVITATION_DAYS = 14;
const DEFAULT_MAX_SUPER_ADMINS = 3;
/**
 * Accounts above this many member pages sync staged (docs/sync.md#staged-sync): 200 pages = 10,000
 * members, whose in-memory first sync holds ~24 MiB (measured, docs/scale.md), under the 32 MiB an
 * invocation may use; and within the pacer's burst, so a listing held in memory never waits.
 */
const DEFAULT_STAGED_SYNC_MIN_PAGES = 200;
/** Staged members diffed at once: the stored rows' page (STORED_PAGE_ROWS), about 4 MiB of members. */
const DEFAULT_STAGED_SYNC_DIFF_CHUNK = 2_000;
/** A staged attempt stops listing after this long: queue consumers get 15 minutes of wall time. */
const DEFAULT_STAGED_SYNC_INVOCATION_MS = 12 * 60_000;
/** Unlisted members a staged sync asks about one by one: ten pages' worth of requests. */
const DEFAULT_STAGED_SYNC_CONFIRM_MAX = 500;

export interface Config {
  adminToken: string;
  readTokens: string[];
  keyring: Keyring;
  cloudflareApiBaseUrl: string;
  cloudflareTimeoutMs: number;
  retentionDays: number;
  findings: { staleInvitationDays: number; maxSuperAdmins: number };
  webhookTimeoutMs: number;
  /** Set when both ACCESS_TEAM_DOMAIN and ACCESS_AUD are: the console accepts Access sign-ins. */
  access: AccessConfig | null;
  stagedSync: StagedSyncConfig;
}

/** When a sync is staged, and how long one of its attempts lists (docs/sync.md#staged-sync). */
export interface StagedSyncConfig {
  /** Accounts with more member pages than this are staged. */
  minPages: number;
  /** Wall time an attempt lists before it hands the run to the next delivery. */
  invocationMs: number;
  /** Requests (pages, confirmations) one attempt makes at most (0: no bound but time and budget); for tests. */
  pagesPerInvocation: number;
  /** Stored members the pages did not list that are confirmed one by one (docs/sync.md#churn-during-a-staged-listing). */
  confirmMax: number;
  /** Staged members diffed at once (and stored rows read per query). */
  diffChunk: number;
}

export interface AccessConfig {
  /** `<team>.cloudflareaccess.com`: the JWT issuer and where its signing keys are published. */
  teamDomain: string;
  /** The Access application's audience tag. */
  audience: string;
  /** Lower-cased; every other signed-in email reads only. */
  adminEmails: string[];
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

function parseAccess(env: AppEnv): Result<AccessConfig | null, string> {
  const team = (env.ACCESS_TEAM_DOMAIN ?? "")
    .trim()
    .toLowerCase()
    .replace(/^https:\/\//, "")
    .replace(/\/+$/, "");
  const audience = (env.ACCESS_AUD ?? "").trim();
  if (team === "" && audience === "") return ok(null);
  if (team === "" || audience === "") return err("ACCESS_TEAM_DOMAIN and ACCESS_AUD must be set together");
  if (!HOSTNAME.test(team))
    return err("ACCESS_TEAM_DOMAIN must be a host name such as myteam.cloudflareaccess.com");
  const adminEmails = (env.ACCESS_ADMIN_EMAILS ?? "")
    .split(",")
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== "");
  return ok({ teamDomain: team, audience, adminEmails });
}

const optionalInt = (name: string, fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `${name} must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });

const varsSchema = z.object({
  CLOUDFLARE_API_BASE_URL: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const value = (v ?? "").trim() || DEFAULT_API_BASE_URL;
      if (!URL.canParse(value) || !/^https?:/.test(value)) {
        ctx.addIssue({ code: "custom", message: "CLOUDFLARE_API_BASE_URL must be an http(s) URL" });
        return z.NEVER;
      }
      return value.replace(/\/+$/, "");
    }),
  RETENTION_DAYS: optionalInt("RETENTION_DAYS", DEFAULT_RETENTION_DAYS, 1, 36_500),
  CLOUDFLARE_TIMEOUT_MS: optionalInt("CLOUDFLARE_TIMEOUT_MS", DEFAULT_CLOUDFLARE_TIMEOUT_MS, 100, 120_000),
  STALE_INVITATION_DAYS: optionalInt("STALE_INVITATION_DAYS", DEFAULT_STALE_INVITATION_DAYS, 0, 3650),
  MAX_SUPER_ADMINS: optionalInt("MAX_SUPER_ADMINS", DEFAULT_MAX_SUPER_ADMINS, 0, 10_000),
  WEBHOOK_TIMEOUT_MS: optionalInt("WEBHOOK_TIMEOUT_MS", DEFAULT_WEBHOOK_TIMEOUT_MS, 100, 30_000),
  STAGED_SYNC_MIN_PAGES: optionalInt("STAGED_SYNC_MIN_PAGES", DEFAULT_STAGED_SYNC_MIN_PAGES, 1, 1_000_000),
  STAGED_SYNC_INVOCATION_MS: optionalInt(
    "STAGED_SYNC_INVOCATION_MS",
    DEFAULT_STAGED_SYNC_INVOCATION_MS,
    1_000,
    14 * 60_000,
  ),
  STAGED_SYNC_PAGES_PER_INVOCATION: optionalInt("STAGED_SYNC_PAGES_PER_INVOCATION", 0, 0, 1_000_000),
  STAGED_SYNC_DIFF_CHUNK: optionalInt("STAGED_SYNC_DIFF_CHUNK", DEFAULT_STAGED_SYNC_DIFF_CHUNK, 1, 10_000),
  STAGED_SYNC_CONFIRM_MAX: optionalInt(
    "STAGED_SYNC_CONFIRM_MAX",
    DEFAULT_STAGED_SYNC_CONFIRM_MAX,
    0,
    100_000,
  ),
});

function parseAdminToken(raw: string | undefined): Result<string, string> {
  const value = raw?.trim() ?? "";
  if (value === "") return err(`API_TOKEN is not set (${MAKE_ADMIN_TOKEN})`);
  if (value.length < MIN_ADMIN_TOKEN_LENGTH || /\s|,/.test(value)) {
    return err(
      `API_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters with no spaces or commas (${MAKE_ADMIN_TOKEN})`,
    );
  }
  return ok(value);
}

function parseReadTokens(raw: string | undefined): Result<string[], string> {
  const tokens = (raw ?? "")
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
  for (const token of tokens) {
    if (token.length < MIN_READ_TOKEN_LENGTH || /\s/.test(token)) {
      return err(`API_READ_TOKENS entries must be at least ${MIN_READ_TOKEN_LENGTH} characters`);
    }
  }
  return ok(tokens);
}

/** Parsed once per env object: workerd hands an isolate's requests the same env. */
const parsed = new WeakMap<AppEnv, Promise<Result<Config, string>>>();

/** Parses the environment; the error is a message naming every bad setting, safe to show. */
export function loadConfig(env: AppEnv): Promise<Result<Config, string>> {
  let config = parsed.get(env);
  if (!config) {
    config = parseConfig(env);
    parsed.set(env, config);
  }
  return config;
}

async function parseConfig(env: AppEnv): Promise<Result<Config, string>> {
  const problems: string[] = [];
  const admin = parseAdminToken(env.API_TOKEN);
  if (!admin.ok) problems.push(admin.error);
  const readTokens = parseReadTokens(env.API_READ_TOKENS);
  if (!readTokens.ok) problems.push(readTokens.error);
  const keyring = await loadKeyring(env.ENCRYPTION_KEYS);
  if (!keyring.ok) problems.push(keyring.error);
  const vars = varsSchema.safeParse(env);
  if (!vars.success) problems.push(...vars.error.issues.map((i) => i.message));
  const access = parseAccess(env);
  if (!access.ok) problems.push(access.error);
  if (problems.length > 0 || !admin.ok || !readTokens.ok || !keyring.ok || !vars.success || !access.ok) {
    return err(problems.join("; "));
  }
  return ok({
    adminToken: admin.value,
    readTokens: readTokens.value,
    keyring: keyring.value,
    cloudflareApiBaseUrl: vars.data.CLOUDFLARE_API_BASE_URL,
    cloudflareTimeoutMs: vars.data.CLOUDFLARE_TIMEOUT_MS,
    retentionDays: vars.data.RETENTION_DAYS,
    findings: {
      staleInvitationDays: vars.data.STALE_INVITATION_DAYS,
      maxSuperAdmins: vars.data.MAX_SUPER_ADMINS,
    },
    access: access.value,
    webhookTimeoutMs: vars.data.WEBHOOK_TIMEOUT_MS,
    stagedSync: {
      minPages: vars.data.STAGED_SYNC_MIN_PAGES,
      invocationMs: vars.data.STAGED_SYNC_INVOCATION_MS,
      pagesPerInvocation: vars.data.STAGED_SYNC_PAGES_PER_INVOCATION,
      diffChunk: vars.data.STAGED_SYNC_DIFF_CHUNK,
      confirmMax: vars.data.STAGED_SYNC_CONFIRM_MAX,
    },
  });
}
