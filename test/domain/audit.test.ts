// Which audit entries are membership changes (docs/sources.md#audit-log).
import { describe, expect, it } from "vitest";
import { membershipChange } from "../../src/domain/audit";

const ACCOUNT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const MEMBER = "a6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1";
const entry = (over: Record<string, any>) => ({
  id: "e1",
  action: { time: "2026-11-30T10:00:00Z", type: "delete", result: "success" },
  actor: { email: "admin@example.com", type: "user", context: "dash", ip_address: "198.51.100.7" },
  raw: { method: "DELETE", uri: `/accounts/${ACCOUNT}/members/${MEMBER}` },
  ...over,
});

describe("membershipChange", () => {
  it("reads a removal from the path, with its actor, and the time in the stored ISO form", () => {
    expect(membershipChange(entry({}), ACCOUNT)).toEqual({
      auditLogId: "e1",
      memberId: MEMBER,
      kind: "removed",
      time: "2026-11-30T10:00:00.000Z",
      actor: {
        email: "admin@example.com",
        type: "user",
        context: "dash",
        tokenName: null,
        ip: "198.51.100.7",
      },
    });
  });

  it("takes an addition's membership id from the resource, and the kind from the method without a type", () => {
    const added = entry({
      action: { time: "2026-11-30T11:00:00+01:00" },
      raw: { method: "POST", uri: `/client/v4/accounts/${ACCOUNT}/members?x=1` },
      resource: { id: MEMBER.toUpperCase() },
    });
    expect(membershipChange(added, ACCOUNT)).toMatchObject({
      kind: "added",
      memberId: MEMBER,
      time: "2026-11-30T10:00:00.000Z",
    });
  });

  it("skips other accounts, other resources, failed requests and entries without a usable time", () => {
    expect(
      membershipChange(
        entry({ raw: { method: "DELETE", uri: `/accounts/ffff/members/${MEMBER}` } }),
        ACCOUNT,
      ),
    ).toBeNull();
    expect(
      membershipChange(entry({ raw: { method: "POST", uri: "/zones/z/dns_records" } }), ACCOUNT),
    ).toBeNull();
    expect(
      membershipChange(
        entry({ action: { time: "2026-11-30T10:00:00Z", type: "delete", result: "failure" } }),
        ACCOUNT,
      ),
    ).toBeNull();
    expect(membershipChange(entry({ action: { time: "yesterday", type: "delete" } }), ACCOUNT)).toBeNull();
    expect(
      membershipChange(entry({ action: { time: "2026-11-30T10:00:00Z", type: "view" } }), ACCOUNT),
    ).toBeNull();
  });
});
