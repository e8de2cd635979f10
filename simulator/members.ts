// Deterministic generator of realistic raw Cloudflare account members, shaped like the recorded real
// answer (cloudflare/cf-terraforming testdata/cloudflare/v5/cloudflare_account_member.yaml, first
// version: keys id, user, status, api_access_enabled, policies, roles; the email only under `user`)
// and Cloudflare's OpenAPI schema (`iam_member_with_policies`, every field optional), with the
// irregularities a connector must survive: pending invites with null names and no user id, members
// without `roles` or without `policies`, a missing 2FA flag, and `api_access_enabled` null or boolean.

import { hash128, hex8, pick, type Rng, seededHexId, sfc32, unit } from "./random.ts";

/** A raw member exactly as the API would return it: every field optional, so kept untyped. */
export type RawMember = Record<string, unknown>;

export interface GenerateMembersOptions {
  /** Email domain label: `user.email` is `first.last.00042@<domain>.example`. Default `acct-<first 8 chars of accountId>`. */
  domain?: string;
  /** Number the first generated member `startIndex + 1`, so a later batch appends without clashing. */
  startIndex?: number;
  /** Share of pending invites, 0..1. Default 0.05. */
  pendingRatio?: number;
}

const FIRST_NAMES = [
  "Ada",
  "Alan",
  "Amara",
  "Aiko",
  "Beatriz",
  "Bjørn",
  "Carlos",
  "Chen",
  "Chloé",
  "Dmitri",
  "Elena",
  "Emeka",
  "Fatima",
  "Finn",
  "Grace",
  "Hana",
  "Hiroshi",
  "Ingrid",
  "Isaac",
  "Jamal",
  "Jonas",
  "Kavya",
  "Kwame",
  "Lars",
  "Leila",
  "Lucía",
  "Mateo",
  "Maya",
  "Mei",
  "Nadia",
  "Noah",
  "Olga",
  "Omar",
  "Priya",
  "Rafael",
  "Renée",
  "Sakura",
  "Samuel",
  "Sofia",
  "Tariq",
  "Thandiwe",
  "Tomás",
  "Uma",
  "Valentina",
  "Wei",
  "Xavier",
  "Yara",
  "Yusuf",
  "Zainab",
  "Zoë",
] as const;

const LAST_NAMES = [
  "Abara",
  "Andersen",
  "Bauer",
  "Bianchi",
  "Chatterjee",
  "Costa",
  "Dubois",
  "Dvořák",
  "Eriksson",
  "Fernández",
  "Fischer",
  "García",
  "Haddad",
  "Hansen",
  "Ibrahim",
  "Ivanova",
  "Jensen",
  "Kim",
  "Kowalski",
  "Lee",
  "Lindqvist",
  "López",
  "Martin",
  "Mensah",
  "Müller",
  "Nakamura",
  "Nguyen",
  "Novak",
  "O'Brien",
  "Okafor",
  "Olsen",
  "Patel",
  "Petrov",
  "Quinn",
  "Rossi",
  "Sánchez",
  "Schmidt",
  "Silva",
  "Singh",
  "Smith",
  "Suzuki",
  "Tanaka",
  "Van der Berg",
  "Wagner",
  "Walker",
  "Wang",
  "Williams",
  "Yamamoto",
  "Zhang",
  "Zielińska",
] as const;

/** Names as they appear in email local parts: ASCII lowercase letters only. */
const emailPart = (name: string): string =>
  name
    .normalize("NFD")
    .replace(/[^A-Za-z]/g, "")
    .toLowerCase();
const FIRST_EMAIL = FIRST_NAMES.map(emailPart);
const LAST_EMAIL = LAST_NAMES.map(emailPart);

/**
 * A legacy role's grant per area. Real answers spell it `{read, edit}` (the recorded member list
 * above; cloudflare-go v0.116.0 `AccountRolePermission`), not the `{read, write}` of the schema.
 */
type Grants = { read: boolean; edit: boolean };
const PERMISSION_KEYS = [
  "analytics",
  "billing",
  "cache_purge",
  "dns",
  "dns_records",
  "lb",
  "logs",
  "organization",
  "ssl",
  "waf",
  "zone_settings",
  "zones",
] as const;

function permissions(
  read: readonly string[] | "all",
  edit: readonly string[] | "all",
): Record<string, Grants> {
  const out: Record<string, Grants> = {};
  for (const key of PERMISSION_KEYS) {
    out[key] = {
      read: read === "all" || read.includes(key),
      edit: edit === "all" || edit.includes(key),
    };
  }
  return out;
}

/**
 * Legacy account roles (deprecated in favour of permission groups in Cloudflare's 2026 changelog,
 * but still returned). The ids, names and descriptions of Super Administrator, Administrator and
 * Billing are the ones in the recorded member list above; the others are illustrative.
 */
const ROLES = [
  {
    id: "33666b9c79b9a5273fc7344ff42f953d",
    name: "Super Administrator - All Privileges",
    description:
      "Can edit any Cloudflare setting, make purchases, update billing, and manage memberships. Super Administrators can revoke the access of other Super Administrators.",
    permissions: permissions("all", "all"),
  },
  {
    id: "05784afa30c1afe1440e79d9351c7430",
    name: "Administrator",
    description: "Can access the full account, except for membership management and billing.",
    permissions: permissions("all", [
      "analytics",
      "cache_purge",
      "dns",
      "dns_records",
      "lb",
      "logs",
      "ssl",
      "waf",
      "zone_settings",
      "zones",
    ]),
  },
  {
    id: "e58cefd75d7adae0b761796c28815e5c",
    name: "Administrator Read Only",
    description: "Can access the full account in read-only mode.",
    permissions: permissions("all", []),
  },
  {
    id: "9d24387c6e8544e2bc4024a03991339f",
    name: "Analytics",
    description: "Can read Analytics.",
    permissions: permissions(["analytics", "zones"], []),
  },
  {
    id: "298ce8e7a2ba08b9d18ce0a32bb458ee",
    name: "Billing",
    description: "Can edit the account’s billing profile and subscriptions.",
    permissions: permissions(["billing", "organization"], ["billing"]),
  },
  {
    id: "fb39d3e0ddba4d3bb3c9cc3c4bb3e5a8",
    name: "DNS",
    description: "Can edit DNS records.",
    permissions: permissions(["dns", "dns_records", "zones"], ["dns", "dns_records"]),
  },
  {
    id: "c4a2d2f5fd2f4c0c9d8bde2f63b1a8e7",
    name: "Firewall",
    description: "Can edit WAF, IP Firewall, and Zone Lockdown settings.",
    permissions: permissions(["waf", "zones", "analytics"], ["waf"]),
  },
  {
    id: "1a2b3c4d5e6f40718293a4b5c6d7e8f9",
    name: "Audit Logs Viewer",
    description: "Can view Audit Logs.",
    permissions: permissions(["logs", "organization"], []),
  },
] as const;

/**
 * Permission groups with their catalogue `meta` (`description`, `editable`, `label`, `scopes`, all
 * strings). The first six, ids included, are the ones in the recorded member list
 * (cloudflare/cf-terraforming testdata/cloudflare/v5/cloudflare_account_member.yaml); the last three
 * are illustrative. `meta` describes the group, not the member's access: it is catalogue text.
 */
const PERMISSION_GROUPS = [
  {
    id: "8e23b19e4e0d44c29d239c5688ba8cbb",
    name: "Super Administrator - All Privileges",
    label: "all_privileges",
    description:
      "Can edit any Cloudflare setting, make purchases, update billing, and manage memberships. Super Administrators can revoke the access of other Super Administrators.",
  },
  {
    id: "201e1f6a044241d9b27fe344e1baee06",
    name: "Administrator",
    label: "admin",
    description: "Can access the full account, except for membership management and billing.",
  },
  {
    id: "1d0192fb3eec4ae8a9c6d9a402c275ce",
    name: "Log Share",
    label: "logs_admin",
    description: "Can edit Log Share configuration.",
  },
  {
    id: "09183a2ba736489fa15ad192575dd134",
    name: "Cloudflare Access",
    label: "access_admin",
    description: "Can edit Cloudflare Access.",
  },
  {
    id: "35c29e7b93bc4caa8a47857aedea7fd6",
    name: "Billing",
    label: "billing_admin",
    description: "Can edit the account’s billing profile and subscriptions.",
  },
  {
    id: "e0d1f652c7d84d35a4e356734cad1c2b",
    name: "Cloudflare R2 Admin",
    label: "r2_admin",
    description: "Can edit R2 buckets, objects, and associated configurations.",
  },
  {
    id: "a1fbbbd6c4e84e27aa3c1e2fd2e8a1c5",
    name: "Administrator Read Only",
    label: "admin_read_only",
    description: "Can access the full account in read-only mode.",
  },
  {
    id: "fb39d3e0ddba4d3bb3c9cc3c4bb3e5a8",
    name: "DNS",
    label: "dns_admin",
    description: "Can edit DNS records.",
  },
  {
    id: "8d5ce0f3b5b84f6b9a57b4b4e7e2f1a0",
    name: "Analytics",
    label: "analytics",
    description: "Can read Analytics.",
  },
].map(({ id, name, label, description }) => ({
  id,
  name,
  meta: { description, editable: "false", label, scopes: "com.cloudflare.api.account" },
}));

interface MemberCatalog {
  accountKey: string;
  resourceGroups: RawMember[];
}

/**
 * One account-wide resource group (as recorded: scope key the account, objects `[{key: "*"}]`,
 * `meta.editable` "false") and three zone-scoped ones (scope objects naming a zone, as in the
 * schema's example), shared by the account's members.
 */
function catalogFor(accountId: string, rng: Rng): MemberCatalog {
  const accountKey = `com.cloudflare.api.account.${accountId}`;
  const resourceGroups: RawMember[] = [
    {
      id: seededHexId(rng),
      name: accountKey,
      meta: { editable: "false" },
      scope: { key: accountKey, objects: [{ key: "*" }] },
    },
  ];
  for (let z = 0; z < 3; z++) {
    const zone = seededHexId(rng);
    resourceGroups.push({
      id: seededHexId(rng),
      name: `${accountKey}.zone.${zone}`,
      meta: { editable: "true" },
      scope: { key: accountKey, objects: [{ key: `com.cloudflare.api.account.zone.${zone}` }] },
    });
  }
  return { accountKey, resourceGroups };
}

/** One role, or two distinct ones for a quarter of members. */
function rolesFor(rng: Rng): RawMember[] {
  const first = rng() % ROLES.length;
  const roles: RawMember[] = [ROLES[first] as RawMember];
  if (rng() % 4 === 0)
    roles.push(ROLES[(first + 1 + (rng() % (ROLES.length - 1))) % ROLES.length] as RawMember);
  return roles;
}

function policiesFor(rng: Rng, catalog: MemberCatalog): RawMember[] {
  const count = 1 + (rng() % 2);
  const out: RawMember[] = [];
  for (let p = 0; p < count; p++) {
    out.push({
      id: seededHexId(rng),
      // A few explicit denies, as admins carve exceptions out of a broad allow.
      access: p > 0 && unit(rng) < 0.2 ? "deny" : "allow",
      permission_groups: [pick(rng, PERMISSION_GROUPS)],
      resource_groups: [p === 0 ? catalog.resourceGroups[0] : pick(rng, catalog.resourceGroups)],
    });
  }
  return out;
}

/**
 * Generates `count` raw members for an account, deterministically: the same accountId and index
 * always give the same member, so a test can regenerate the expected list instead of storing it.
 *
 * Membership ids and user ids are unique within the account by construction (their last 8 hex digits
 * are a bijection of the index), emails by the zero-padded index in the local part.
 *
 * @example
 *   const members = generateMembers("023e105f4ecef8ad9ca31a8372d0c353", 120, { domain: "acme-corp" });
 */
export function generateMembers(
  accountId: string,
  count: number,
  opts: GenerateMembersOptions = {},
): RawMember[] {
  const [h0, h1, h2, h3] = hash128(accountId);
  const catalog = catalogFor(accountId, sfc32(h0, h1, h2, h3));
  const domain = opts.domain ?? `acct-${accountId.slice(0, 8).toLowerCase()}`;
  const pendingRatio = opts.pendingRatio ?? 0.05;
  const start = opts.startIndex ?? 0;
  const members: RawMember[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const n = start + i + 1;
    // One generator per member: a member depends only on (accountId, n), not on how many came before.
    const rng = sfc32(h0 ^ Math.imul(n, 0x9e3779b1), h1, (h2 + n) | 0, h3);
    const first = rng() % FIRST_NAMES.length;
    const last = rng() % LAST_NAMES.length;
    const email = `${FIRST_EMAIL[first]}.${LAST_EMAIL[last]}.${String(n).padStart(5, "0")}@${domain}.example`;
    const pending = unit(rng) < pendingRatio;
    const user: RawMember = pending
      ? { first_name: null, last_name: null, email }
      : {
          id: hex8(rng()) + hex8(rng()) + hex8(rng()) + hex8((Math.imul(n, 0x2545f491) + h1) >>> 0),
          first_name: FIRST_NAMES[first],
          last_name: LAST_NAMES[last],
          email,
        };
    const twoFactor = unit(rng);
    if (twoFactor >= 0.02) user.two_factor_authentication_enabled = !pending && twoFactor < 0.67;
    const shape = unit(rng);
    const id = hex8(rng()) + hex8(rng()) + hex8(rng()) + hex8((Math.imul(n, 0x6c8e9cf5) + h0) >>> 0);
    // ~10% policy-only members (no `roles` key), ~8% role-only (no `policies` key), the rest both:
    // both keys are optional in the schema, and roles are the deprecated half.
    const roles = shape < 0.1 ? undefined : rolesFor(rng);
    const policies = shape >= 0.1 && shape < 0.18 ? undefined : policiesFor(rng, catalog);
    // Enterprise per-member API access: null in every recorded member; true or false for a few here.
    const apiAccess = unit(rng);
    // Key order and the email's place (only under `user`) as in the recorded answer.
    const member: RawMember = {
      id,
      user,
      status: pending ? "pending" : "accepted",
      api_access_enabled: apiAccess < 0.9 ? null : apiAccess < 0.95,
    };
    if (policies !== undefined) member.policies = policies;
    if (roles !== undefined) member.roles = roles;
    members[i] = member;
  }
  return members;
}

/** The role catalog, for hand-written fixtures. */
export const MEMBER_ROLES = ROLES;
