/**
 * A member of a Cloudflare account as the connector stores and compares it (the "user account"
 * of the API). Domain types only: no I/O, no Cloudflare wire format, no SQL, so sync/ and store/
 * both build on them without importing each other.
 */

/** A legacy account role as a member carries it (Cloudflare is replacing roles with policies). */
export interface MemberRole {
  id: string;
  name: string;
}

export interface Member {
  /** Cloudflare membership id: the key (pending invites may have no user id). */
  id: string;
  userId: string | null;
  email: string;
  firstName: string | null;
  lastName: string | null;
  status: string;
  roles: MemberRole[];
  /** As Cloudflare returns them, with keys and array order made canonical for comparison. */
  policies: unknown[];
  twoFactorEnabled: boolean | null;
}

/** The fields whose change is an `account.updated` event, in the order events list them. */
export const TRACKED_FIELDS = [
  "email",
  "firstName",
  "lastName",
  "status",
  "roles",
  "policies",
  "twoFactorEnabled",
  "userId",
] as const satisfies readonly (keyof Member)[];

export type TrackedField = (typeof TRACKED_FIELDS)[number];

/** "Jane Doe", "Jane", or null when Cloudflare has no name (pending invitations). */
export function displayName(m: Pick<Member, "firstName" | "lastName">): string | null {
  const name = [m.firstName, m.lastName].filter((p) => p !== null).join(" ");
  return name === "" ? null : name;
}

/**
 * Lower-cased role names and policy permission-group names, newline-delimited with a leading
 * and trailing newline, so "has role X" is one `instr` on one column.
 */
export function accessNames(m: Pick<Member, "roles" | "policies">): string {
  const names = new Set<string>();
  for (const role of m.roles) names.add(role.name.toLowerCase());
  for (const policy of m.policies) {
    const groups = (policy as { permission_groups?: { name?: unknown }[] | null }).permission_groups ?? [];
    for (const group of groups) if (typeof group?.name === "string") names.add(group.name.toLowerCase());
  }
  return names.size === 0 ? "" : `\n${[...names].sort().join("\n")}\n`;
}
