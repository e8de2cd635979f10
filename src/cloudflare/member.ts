/**
 * How the connector reads one Cloudflare member: the wire object (validated by schemas.ts) turned
 * into a domain Member. Pure: the same Cloudflare data always yields the same Member, so an
 * unchanged account diffs to nothing.
 */
import type { Member } from "../domain/member";
import type { CloudflareMember } from "./schemas";

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
