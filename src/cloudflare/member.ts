/**
 * How the connector reads one Cloudflare member (docs/cloudflare.md#members): the wire object
 * (validated by schemas.ts) turned into a domain Member. Pure: the same access, however Cloudflare
 * orders or words it, always yields the same Member, so an unchanged account diffs to nothing.
 */
import { type Member, normalizePolicies, normalizeRoles } from "../domain/member";
import type { CloudflareMember } from "./schemas";

const blankToNull = (s: string | null | undefined) =>
  s === undefined || s === null || s.trim() === "" ? null : s;

/** Normalises one validated Cloudflare member. A member without status is `unknown`, never assumed accepted. */
export function normalizeMember(m: CloudflareMember): Member {
  return {
    id: m.id,
    userId: blankToNull(m.user?.id),
    email: blankToNull(m.user?.email) ?? blankToNull(m.email),
    firstName: blankToNull(m.user?.first_name),
    lastName: blankToNull(m.user?.last_name),
    status: blankToNull(m.status) ?? "unknown",
    roles: normalizeRoles(m.roles),
    policies: normalizePolicies(m.policies),
    twoFactorEnabled: m.user?.two_factor_authentication_enabled ?? null,
    apiAccessEnabled: m.api_access_enabled ?? null,
  };
}
