/**
 * A member of a Cloudflare account as the connector stores and compares it (the "user account"
 * of the API), and the access it holds (docs/cloudflare.md#access). Domain types and rules only:
 * no I/O, no Cloudflare wire format, no SQL, so sync/ and store/ both build on them without
 * importing each other.
 */

/** Version of the stored member format; rows written in an older format are rewritten by the next sync. */
export const MEMBER_SHAPE = 2;

/** A legacy account role as a member carries it (Cloudflare is replacing roles with policies). */
export interface MemberRole {
  id: string;
  name: string;
}

/**
 * A policy reduced to what decides access: allow or deny, which permission groups, and where
 * (resource-group scopes). Catalogue text, policy ids and resource-group ids are dropped and
 * every list is sorted, so equal access has one spelling whatever order Cloudflare lists it in.
 */
export interface MemberPolicy {
  access: "allow" | "deny";
  permission_groups: { id: string; name: string | null }[];
  resource_groups: { scope: { key: string; objects: { key: string }[] } }[];
}

export interface Member {
  /** Cloudflare membership id: the key (pending invites may have no user id). */
  id: string;
  userId: string | null;
  /** null when Cloudflare gives the member no email at all. */
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  /** As Cloudflare says (accepted, pending, rejected…); `unknown` when it says nothing. */
  status: string;
  roles: MemberRole[];
  policies: MemberPolicy[];
  twoFactorEnabled: boolean | null;
  /** Enterprise per-member API access; null when Cloudflare does not say. */
  apiAccessEnabled: boolean | null;
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
  "apiAccessEnabled",
  "userId",
] as const satisfies readonly (keyof Member)[];

export type TrackedField = (typeof TRACKED_FIELDS)[number];

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byJson = (a: unknown, b: unknown) => byText(JSON.stringify(a), JSON.stringify(b));

const text = (v: unknown): string | null => (typeof v === "string" ? v : null);

/**
 * Policies as they decide access (domain MemberPolicy): effect, permission groups by id and name,
 * resource-group scopes; sorted at every level. Accepts Cloudflare's policies (the field names are
 * Cloudflare's) and the connector's own stored ones (the reduction is idempotent), so rows stored in an older format compare equal.
 * Anything but an explicit `deny` is an allow: Cloudflare has only these two.
 */
export function normalizePolicies(raw: readonly unknown[] | null | undefined): MemberPolicy[] {
  return (raw ?? [])
    .map((p) => {
      const policy = (p ?? {}) as Record<string, unknown>;
      const groups = Array.isArray(policy.permission_groups) ? policy.permission_groups : [];
      const resources = Array.isArray(policy.resource_groups) ? policy.resource_groups : [];
      return {
        access: policy.access === "deny" ? "deny" : "allow",
        permission_groups: groups
          .map((g) => ({ id: text(g?.id) ?? "", name: text(g?.name) }))
          .sort((a, b) => byText(a.id, b.id) || byText(a.name ?? "", b.name ?? "")),
        resource_groups: resources
          .map((r) => {
            const scope = (r?.scope ?? {}) as Record<string, unknown>;
            const objects = Array.isArray(scope.objects) ? scope.objects : [];
            return {
              scope: {
                key: text(scope.key) ?? "",
                objects: objects
                  .map((o) => ({ key: text(o?.key) ?? "" }))
                  .sort((a, b) => byText(a.key, b.key)),
              },
            };
          })
          .sort(byJson),
      } satisfies MemberPolicy;
    })
    .sort(byJson);
}

/** Roles by id and name, sorted (the description and permissions are catalogue text). */
export function normalizeRoles(
  raw: readonly { id: string; name: string }[] | null | undefined,
): MemberRole[] {
  return (raw ?? [])
    .map((r) => ({ id: r.id, name: r.name }))
    .sort((a, b) => byText(a.name, b.name) || byText(a.id, b.id));
}

/** One grant a member holds: a role, or one permission group of one policy. */
export interface AccessGrant {
  name: string;
  effect: "allow" | "deny";
  /** `account`: the whole account; `resources`: only some zones or resources. */
  scope: "account" | "resources";
  /** How many resources the grant is limited to; 0 when account-wide. */
  resources: number;
}

const ACCOUNT_SCOPE = /^com\.cloudflare\.api\.account\.[0-9a-f]+$/i;

/**
 * Where a policy's grants apply: the whole account, or a number of resources. A resource group
 * covers every object in its scope when it lists no objects or "*": the account when the scope is
 * the account, else the one resource the scope names (a zone, say).
 */
export function policyReach(policy: MemberPolicy): Pick<AccessGrant, "scope" | "resources"> {
  const keys = new Set<string>();
  for (const group of policy.resource_groups) {
    const { key, objects } = group.scope;
    const everything = objects.length === 0 || objects.some((o) => o.key === "*");
    if (everything && (key === "" || ACCOUNT_SCOPE.test(key))) return { scope: "account", resources: 0 };
    if (everything) keys.add(key);
    else for (const object of objects) keys.add(object.key);
  }
  return keys.size === 0 ? { scope: "account", resources: 0 } : { scope: "resources", resources: keys.size };
}

const compareGrants = (a: AccessGrant, b: AccessGrant) =>
  a.name < b.name
    ? -1
    : a.name > b.name
      ? 1
      : `${a.effect}${a.scope}${a.resources}` < `${b.effect}${b.scope}${b.resources}`
        ? -1
        : 1;

/** Every grant of a member: one per role, one per policy permission group; sorted, no duplicates. */
export function accessOf(m: Pick<Member, "roles" | "policies">): AccessGrant[] {
  const grants = new Map<string, AccessGrant>();
  const add = (grant: AccessGrant) => {
    grants.set(`${grant.name}\n${grant.effect}\n${grant.scope}\n${grant.resources}`, grant);
  };
  for (const role of m.roles) add({ name: role.name, effect: "allow", scope: "account", resources: 0 });
  for (const policy of m.policies) {
    const reach = policyReach(policy);
    for (const group of policy.permission_groups)
      add({ name: group.name ?? group.id, effect: policy.access, ...reach });
  }
  return [...grants.values()].sort(compareGrants);
}

/** "Jane Doe", "Jane", or null when Cloudflare has no name (pending invitations). */
export function displayName(m: Pick<Member, "firstName" | "lastName">): string | null {
  const name = [m.firstName, m.lastName].filter((p) => p !== null).join(" ");
  return name === "" ? null : name;
}

/**
 * Lower-cased names of the roles and permission groups a member is allowed, newline-delimited
 * with a leading and trailing newline, so "has role X" is one `instr` on one column. A name the
 * member is explicitly denied anywhere never matches.
 */
export function accessNames(m: Pick<Member, "roles" | "policies">): string {
  const grants = accessOf(m);
  const denied = new Set(grants.filter((g) => g.effect === "deny").map((g) => g.name.toLowerCase()));
  const allowed = new Set(
    grants
      .filter((g) => g.effect === "allow" && !denied.has(g.name.toLowerCase()))
      .map((g) => g.name.toLowerCase()),
  );
  return allowed.size === 0 ? "" : `\n${[...allowed].sort().join("\n")}\n`;
}
