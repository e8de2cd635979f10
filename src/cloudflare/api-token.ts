/**
 * How the connector reads an account API token (docs/cloudflare.md#api-tokens): the wire object
 * turned into a domain ApiToken, its policies reduced to the same grants a member's have.
 * A token policy names where it applies as a `resources` map instead of resource groups:
 *   {"com.cloudflare.api.account.<id>": "*"}                      the whole account
 *   {"com.cloudflare.api.account.zone.<zone id>": "*"}            one zone
 *   {"com.cloudflare.api.account.<id>": {"com.cloudflare.api.account.zone.*": "*"}}  every zone
 */
import type { ApiToken } from "../domain/api-token";
import { normalizePolicies } from "../domain/member";
import type { CloudflareApiToken } from "./schemas";

/** A `resources` map as resource-group scopes: "*" (or a wildcard key) is the whole scope. */
function scopesOf(resources: Record<string, unknown> | null | undefined) {
  return Object.entries(resources ?? {}).map(([key, value]) => {
    if (value !== null && typeof value === "object") {
      const nested = Object.keys(value as Record<string, unknown>);
      const everything = nested.some((k) => k === "*" || k.endsWith(".*"));
      return { scope: { key, objects: everything ? [{ key: "*" }] : nested.map((k) => ({ key: k })) } };
    }
    // "key": "*" is everything under the key: an account key is the account, a zone key one zone.
    return { scope: { key, objects: [{ key: "*" }] } };
  });
}

type IpCondition = { in?: string[] | null; not_in?: string[] | null };

export function normalizeApiToken(t: CloudflareApiToken): ApiToken {
  const ip = (t.condition?.request_ip ?? t.condition?.["request.ip"]) as IpCondition | null | undefined;
  return {
    id: t.id,
    name: t.name ?? t.id,
    status: t.status ?? "unknown",
    issuedOn: t.issued_on ?? null,
    modifiedOn: t.modified_on ?? null,
    expiresOn: t.expires_on ?? null,
    lastUsedOn: t.last_used_on ?? null,
    ipRestricted: (ip?.in?.length ?? 0) > 0 || (ip?.not_in?.length ?? 0) > 0,
    policies: normalizePolicies(
      (t.policies ?? []).map((p) => ({
        access: p.effect,
        permission_groups: p.permission_groups ?? [],
        resource_groups: scopesOf(p.resources),
      })),
    ),
  };
}
