/**
 * A Cloudflare member normalised into what the connector stores and compares. Pure: the same
 * Cloudflare data always yields the same Member, so an unchanged account diffs to nothing.
 */
import type { CloudflareMember } from "../cloudflare/schemas";

export interface Role {
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
  roles: Role[];
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

/** Recursively sorts object keys so equal data has one JSON spelling. */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

const byJson = (a: unknown, b: unknown) => {
  const ja = JSON.stringify(a);
  const jb = JSON.stringify(b);
  return ja < jb ? -1 : ja > jb ? 1 : 0;
};

const blankToNull = (s: string | null | undefined) =>
  s === undefined || s === null || s.trim() === "" ? null : s;

/** Normalises one validated Cloudflare member; null when it has no usable email. */
export function normalizeMember(m: CloudflareMember): Member | null {
  const email = blankToNull(m.user?.email) ?? blankToNull(m.email);
  if (email === null) return null;
  const roles = (m.roles ?? [])
    .map((r) => ({ id: r.id, name: r.name }))
    .sort((a, b) => (a.name === b.name ? (a.id < b.id ? -1 : 1) : a.name < b.name ? -1 : 1));
  const policies = (m.policies ?? []).map(canonical).sort(byJson);
  return {
    id: m.id,
    userId: blankToNull(m.user?.id),
    email,
    firstName: blankToNull(m.user?.first_name),
    lastName: blankToNull(m.user?.last_name),
    status: m.status ?? "accepted",
    roles,
    policies,
    twoFactorEnabled: m.user?.two_factor_authentication_enabled ?? null,
  };
}

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
