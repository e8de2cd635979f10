import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api } from "../support/api";
import { expectError } from "../support/errors";
import { setupAccount } from "../support/simulator";
import { connect, waitForRun } from "../support/sync";

describe("connecting a Cloudflare account", () => {
  it("connects with a user token, stores it sealed, and the first sync lists every member", async () => {
    const account = await setupAccount({ generateMembers: 120, enforceTwoFactor: true });
    const integration = await connect(account);
    expect(integration).toMatchObject({
      label: "Production",
      organizationName: account.name,
      accountId: account.accountId,
      enabled: true,
      status: "pending",
      enforceTwoFactor: true,
      tokenExpiresAt: null,
      accountCount: 0,
      lastSuccessfulSyncAt: null,
    });
    expect(integration.lastSync).toMatchObject({ trigger: "create", status: "queued" });
    const run = await waitForRun(integration.lastSync!.id);
    expect(run).toMatchObject({ status: "succeeded", counts: { seen: 120, added: 120 }, error: null });
    const after = await api("GET", `/v1/integrations/${integration.id}`);
    expect(after.body).toMatchObject({ status: "ok", accountCount: 120 });
    const raw = await env.CREDENTIALS.get(`credential:${integration.id}`);
    expect(raw).not.toContain(account.token);
    expect(JSON.parse(raw!)).toMatchObject({ v: 1, kid: "k2" });
  });

  it("refuses a revoked token with cloudflare_token_invalid", async () => {
    const account = await setupAccount();
    const response = await api("POST", "/v1/integrations", {
      body: {
        label: "x",
        organizationName: account.name,
        apiToken: "cfut_0000000000000000000000000000000000000000",
      },
    });
    expectError(response, 422, "cloudflare_token_invalid");
  });
});
