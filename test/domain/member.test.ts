// Access rules (docs/cloudflare.md#access): grants per role and permission group, allow/deny,
// and how far a policy reaches.
import { describe, expect, it } from "vitest";
import {
  accessNames,
  accessOf,
  type MemberPolicy,
  normalizePolicies,
  policyReach,
} from "../../src/domain/member";

const ACCOUNT = "com.cloudflare.api.account.0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const ZONE = (id: string) => `com.cloudflare.api.account.zone.${id}`;
const policy = (
  access: "allow" | "deny",
  names: string[],
  groups: MemberPolicy["resource_groups"],
): MemberPolicy => ({
  access,
  permission_groups: names.map((name) => ({ id: name.toLowerCase(), name })),
  resource_groups: groups,
});

describe("policyReach", () => {
  it("is the account for an account scope with *, no objects, or no resource groups", () => {
    for (const groups of [
      [{ scope: { key: ACCOUNT, objects: [{ key: "*" }] } }],
      [{ scope: { key: ACCOUNT, objects: [] } }],
      [],
    ]) {
      expect(policyReach(policy("allow", ["X"], groups))).toEqual({ scope: "account", resources: 0 });
    }
  });

  it("counts the zones a policy lists, and a zone scope with * as that one zone", () => {
    const listed = [{ scope: { key: ACCOUNT, objects: [{ key: ZONE("a") }, { key: ZONE("b") }] } }];
    expect(policyReach(policy("allow", ["X"], listed))).toEqual({ scope: "resources", resources: 2 });
    const zoneWide = [{ scope: { key: ZONE("a"), objects: [{ key: "*" }] } }];
    expect(policyReach(policy("allow", ["X"], zoneWide))).toEqual({ scope: "resources", resources: 1 });
  });
});

describe("accessOf and the role filter", () => {
  it("lists roles and permission groups once each, deny kept apart, and never matches a denied name", () => {
    const member = {
      roles: [{ id: "r1", name: "Administrator" }],
      policies: [policy("allow", ["Administrator", "DNS Write"], []), policy("deny", ["DNS Write"], [])],
    };
    expect(accessOf(member).map((g) => `${g.name}:${g.effect}`)).toEqual([
      "Administrator:allow",
      "DNS Write:allow",
      "DNS Write:deny",
    ]);
    expect(accessNames(member)).toBe("\nadministrator\n");
  });

  it("reduces Cloudflare's policies to one spelling whatever the order and catalogue text", () => {
    const a = [
      {
        id: "p1",
        access: "allow",
        permission_groups: [
          { id: "g2", name: "B", meta: { description: "one" } },
          { id: "g1", name: "A", meta: { description: "two" } },
        ],
        resource_groups: [{ id: "0", scope: { key: ACCOUNT, objects: [{ key: "*" }] } }],
      },
    ];
    const b = [
      {
        ...a[0],
        id: "p2",
        permission_groups: [...a[0]!.permission_groups].reverse().map((g) => ({ ...g, meta: {} })),
      },
    ];
    expect(JSON.stringify(normalizePolicies(a))).toBe(JSON.stringify(normalizePolicies(b)));
    expect(normalizePolicies(normalizePolicies(a))).toEqual(normalizePolicies(a));
  });
});
