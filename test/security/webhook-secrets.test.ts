// Webhook signing secrets (docs/security.md, docs/webhooks.md#secrets): shown in the creation response
// and nowhere else — no later response, log line, D1 row or KV value holds one in clear — and
// re-sealed by key rotation so deliveries keep being signed with the same secret.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, callWorker, seenBodies } from "../support/api";
import { TEST_SECRETS } from "../support/constants";
import { capturePrintedLines, dumpD1, dumpKv } from "../support/leak-sources";
import { KEY_K1, KEY_K2 } from "../support/secrets";
import { setupAccount, sim } from "../support/simulator";
import { connectAndSync, syncNow } from "../support/sync";
import { createWebhook, expectVerified, receiver, receiverUrl } from "../support/webhooks";

const logs = capturePrintedLines();

/** The secret as text might carry it: whole, its base64 key alone, parts of it, the key as hex. */
function forms(secret: string): string[] {
  const key = secret.slice("whsec_".length);
  const bytes = Uint8Array.from(atob(key), (ch) => ch.charCodeAt(0));
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return [secret, key, key.slice(0, 20), key.slice(20, 40), hex.slice(0, 24), encodeURIComponent(key)];
}

describe("webhook secrets", () => {
  it("appear in the creation response only: never in a later response, a log line, D1 or KV", async () => {
    // Plant seen failing: the secret stored unsealed in D1 (logging it is caught by redaction, test/lib/redact.test.ts).
    const account = await setupAccount({ generateMembers: 2 });
    const { integration } = await connectAndSync(account);
    const created = await createWebhook({ url: receiverUrl("secret-hygiene"), events: ["account.*"] });
    const creation = seenBodies.length - 1;
    expect(seenBodies[creation]).toContain(created.secret);
    await api("POST", `/v1/webhooks/${created.id}/test`);
    await sim.addMembers(account.accountId, [
      { id: "5ec0".padEnd(32, "0"), status: "pending", user: { email: "s@example.com" } },
    ]);
    await syncNow(integration.id);
    await api("GET", "/v1/webhooks");
    await api("GET", `/v1/webhooks/${created.id}`);
    await api("PATCH", `/v1/webhooks/${created.id}`, { body: { url: receiverUrl("secret-hygiene-2") } });
    await api("GET", `/v1/webhooks/${created.id}/deliveries`);
    await api("POST", "/v1/admin/rotate-credentials");
    await api("GET", "/openapi.json");
    const haystacks = {
      responses: seenBodies.filter((_, i) => i !== creation).join("\n"),
      logs: logs.join("\n"),
      d1: await dumpD1(),
      kv: await dumpKv(),
    };
    for (const [where, text] of Object.entries(haystacks)) {
      for (const form of forms(created.secret)) {
        expect(text.includes(form), `${where} contains ${form.slice(0, 8)}…`).toBe(false);
      }
    }
    // The receiver did get signed deliveries (so the secret was in use throughout).
    expect((await receiver.accepted("secret-hygiene")).length).toBeGreaterThan(0);
  });

  it("are re-sealed by key rotation, and deliveries keep verifying with the secret given at creation", async () => {
    // Plant seen failing: rotation skipping webhook secrets (the delivery under k2 alone failed).
    const ONLY_K1 = { ENCRYPTION_KEYS: KEY_K1 };
    const ONLY_K2 = { ENCRYPTION_KEYS: KEY_K2 };
    const BOTH = { ENCRYPTION_KEYS: TEST_SECRETS.ENCRYPTION_KEYS };
    const created = await callWorker(ONLY_K1, "POST", "/v1/webhooks", {
      body: { url: receiverUrl("rotated"), events: ["sync.failed"] },
    });
    expect(created.status, created.text).toBe(201);
    const kid = async () => {
      const row = await env.DB.prepare(
        "SELECT secret_sealed, secret_key_id FROM webhook_endpoints WHERE id = ?",
      )
        .bind(created.body.id)
        .first<{ secret_sealed: string; secret_key_id: string }>();
      expect(JSON.parse(row!.secret_sealed).kid).toBe(row!.secret_key_id);
      return row!.secret_key_id;
    };
    expect(await kid()).toBe("k1");
    const rotated = await callWorker(BOTH, "POST", "/v1/admin/rotate-credentials");
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.body.webhookSecrets).toMatchObject({ failed: 0, remaining: 0 });
    expect(rotated.body.webhookSecrets.rotated).toBeGreaterThanOrEqual(1);
    expect(await kid()).toBe("k2");
    const again = await callWorker(BOTH, "POST", "/v1/admin/rotate-credentials");
    expect(again.body.webhookSecrets.rotated).toBe(0);

    const sent = await callWorker(ONLY_K2, "POST", `/v1/webhooks/${created.body.id}/test`);
    expect(sent.status, sent.text).toBe(200);
    const [delivery] = await receiver.accepted("rotated");
    await expectVerified(created.body.secret, delivery!);
  });
});
