/**
 * Rows stored before the member format changed (migrations/0003_member_access.sql): served in the
 * current format at once, rewritten by the next sync, and never reported as changes.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { policy } from "../conformance/fixtures";
import { walkPages } from "../support/api";
import { setupAccount } from "../support/simulator";
import { connectAndSync, storedAccounts, storedEvents, syncNow } from "../support/sync";

const DNS_WRITE: [string, string] = ["4755a26eedb94da69e1066d98aa820be", "DNS Write"];

describe("member rows in the older format", () => {
  it("are rewritten by the next sync without events, and role= stops matching a denied group", async () => {
    const policies = [
      policy("deny", [DNS_WRITE], "account"),
      policy("allow", [["c8fe", "Zone Read"]], "account"),
    ];
    const member = {
      id: "01d0000000000000000000000000a001",
      status: "accepted",
      api_access_enabled: true,
      user: { id: "u1", email: "legacy@example.com", first_name: "Leg", last_name: "Acy" },
      policies,
    };
    const account = await setupAccount({ members: [member] });
    const { integration } = await connectAndSync(account);
    const eventsBefore = await storedEvents(integration.id);

    // What the previous format stored: Cloudflare's policies as received (catalogue text, ids),
    // every permission-group name in the role filter (deny included), no API-access column.
    await env.DB.prepare(
      `UPDATE user_accounts SET shape = 1, policies = ?, access_names = ?, api_access_enabled = NULL
        WHERE integration_id = ?`,
    )
      .bind(JSON.stringify(policies), "\ndns write\nzone read\n", integration.id)
      .run();
    const list = async (query: string) =>
      (await walkPages(`/v1/integrations/${integration.id}/accounts?${query}`, 100)).rows;
    // Served in the current format before any sync: access and policies read the new way.
    const [before] = await list("");
    expect(before.access).toEqual([
      { name: "DNS Write", effect: "deny", scope: "account", resources: 0 },
      { name: "Zone Read", effect: "allow", scope: "account", resources: 0 },
    ]);
    expect(JSON.stringify(before.policies)).not.toContain("description");

    const run = await syncNow(integration.id);
    expect(run.counts).toMatchObject({ seen: 1, added: 0, updated: 0, removed: 0, unchanged: 1 });
    expect(await storedEvents(integration.id)).toEqual(eventsBefore);
    const [row] = await storedAccounts(integration.id);
    expect(row).toMatchObject({ shape: 2, access_names: "\nzone read\n", api_access_enabled: 1 });
    expect(row!.policies).not.toContain("description");
    expect(await list(`role=${encodeURIComponent("DNS Write")}`)).toEqual([]);
    expect(await list("role=zone%20read")).toHaveLength(1);

    // And the sync after that writes nothing for it again.
    const again = await syncNow(integration.id);
    expect(again.counts).toMatchObject({ unchanged: 1, updated: 0 });
  });
});
