/**
 * A person (docs/people.md): every membership with the same email, across integrations, compared
 * case-insensitively, with what the roster says about them. The rollup fields answer the access
 * review's questions at a glance: how many integrations they can still reach, the weakest 2FA
 * among their current memberships, and whether any of them is an administrator.
 */
import type { AccessGrant } from "./member";
import type { RosterStatus } from "./roster";

/** One membership of the person, with where it is. */
export interface PersonAccount {
  integrationId: string;
  label: string;
  organizationName: string;
  /** The Cloudflare account id. */
  accountId: string;
  /** The membership's id (the user account's `id` in /v1/accounts). */
  userAccountId: string;
  status: string;
  access: AccessGrant[];
  twoFactorEnabled: boolean | null;
  firstSeenAt: string;
  removedAt: string | null;
}

export interface Person {
  email: string;
  name: string | null;
  /** null while no roster is uploaded; `unknown` when the roster does not list them. */
  rosterStatus: RosterStatus | "unknown" | null;
  /** Integrations where they are a current member (pending invitations included). */
  integrations: number;
  accounts: PersonAccount[];
  weakestTwoFactor: boolean | null;
  admin: boolean;
  /** When a sync first saw any of their memberships; null for a roster person never seen. */
  firstSeenAt: string | null;
}

/** Role names that administer the whole account (Cloudflare's built-in roles). */
const ADMIN_ROLES = new Set(["super administrator - all privileges", "administrator"]);

/** Allowed account-wide an administrator role, and not denied it anywhere. */
export function isAdminAccess(access: readonly AccessGrant[]): boolean {
  const denied = new Set(access.filter((g) => g.effect === "deny").map((g) => g.name.toLowerCase()));
  return access.some((g) => {
    const name = g.name.toLowerCase();
    return g.effect === "allow" && g.scope === "account" && ADMIN_ROLES.has(name) && !denied.has(name);
  });
}

/**
 * The weakest two-factor state of the current memberships: false if any is without 2FA, else null
 * if any is unknown, else true; null when there is none.
 */
export function weakestTwoFactor(current: readonly PersonAccount[]): boolean | null {
  if (current.length === 0) return null;
  if (current.some((a) => a.twoFactorEnabled === false)) return false;
  if (current.some((a) => a.twoFactorEnabled === null)) return null;
  return true;
}

/** The rollup of one person's memberships (any order) and roster entry. */
export function personOf(p: {
  email: string;
  accounts: PersonAccount[];
  /** Names Cloudflare gave, current memberships first. */
  memberNames: (string | null)[];
  roster: { exists: boolean; name: string | null; status: RosterStatus | null };
}): Person {
  const current = p.accounts.filter((a) => a.removedAt === null);
  const firstSeen = p.accounts.map((a) => a.firstSeenAt).sort()[0];
  return {
    email: p.email,
    name: p.roster.name ?? p.memberNames.find((n) => n !== null) ?? null,
    rosterStatus: p.roster.exists ? (p.roster.status ?? "unknown") : null,
    integrations: new Set(current.map((a) => a.integrationId)).size,
    accounts: p.accounts,
    weakestTwoFactor: weakestTwoFactor(current),
    admin: current.some((a) => isAdminAccess(a.access)),
    firstSeenAt: firstSeen ?? null,
  };
}
