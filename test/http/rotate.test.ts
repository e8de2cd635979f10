// Key rotation end to end (docs/api.md#credential-rotation): credentials sealed while ENCRYPTION_KEYS held only k1 are
// re-encrypted once k2 is prepended; afterwards k2 alone decrypts them and k1 alone does not.
// The Worker is called directly with the environment each step needs; syncs that must run under
// a particular keyring are run through the queue handler with that keyring.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, callWorker, READER } from "../support/api";
import { TEST_SECRETS } from "../support/constants";
import { expectError } from "../support/errors";
import { KEY_K1, KEY_K2 } from "../support/secrets";
import { setupAccount } from "../support/simulator";
import { capturingQueue, runQueueMessage, waitForRun } from "../support/sync";

const ONLY_K1 = { ENCRYPTION_KEYS: KEY_K1 };
const ONLY_K2 = { ENCRYPTION_KEYS: KEY_K2 };
const BOTH = { ENCRYPTION_KEYS: TEST_SECRETS.ENCRYPTION_KEYS }; // "k2:…,k1:…"

async function sealedKid(integrationId: string): Promise<string> {
  const raw = await env.CREDENTIALS.get(`credential:${integrationId}`);
  expect(raw).not.toBeNull();
  return JSON.parse(raw!).kid;
}

/** Starts a sync under the given keyring and runs its queue message under that same keyring. */
async function syncUnder(overrides: Record<string, unknown>, integrationId: string) {
  const { queue, messages } = capturingQueue();
  const started = await callWorker(
    { ...overrides, SYNC_QUEUE: queue },
    "POST",
    `/v1/integrations/${integrationId}/sync`,
  );
  expect(started.status, started.text).toBe(202);
  expect(messages).toHaveLength(1);
  await runQueueMessage(overrides, messages[0]!);
  const run = await api("GET", `/v1/syncs/${started.body.id}`);
  expect(["succeeded", "failed"]).toContain(run.body.status);
  return run.body;
}

describe("POST /v1/admin/rotate-credentials", () => {
  it("is refused for a read token with 403, and without a token with 401", async () => {
    expectError(await api("POST", "/v1/admin/rotate-credentials", { token: READER }), 403, "forbidden");
    expectError(await api("POST", "/v1/admin/rotate-credentials", { token: null }), 401, "unauthorized");
  });

  const ids: string[] = [];

  it("re-encrypts every credential sealed under k1 once k2 is the first key", async () => {
    for (let i = 0; i < 3; i++) {
      const account = await setupAccount({ generateMembers: 2 + i });
      const created = await callWorker(ONLY_K1, "POST", "/v1/integrations", {
        body: { label: `Rotated ${i}`, organizationName: account.name, apiToken: account.token },
      });
      expect(created.status, created.text).toBe(201);
      ids.push(created.body.id);
      await waitForRun(created.body.lastSync.id);
      expect(await sealedKid(created.body.id)).toBe("k1");
    }
    const sealedBefore = await Promise.all(ids.map((id) => env.CREDENTIALS.get(`credential:${id}`)));

    const rotated = await callWorker(BOTH, "POST", "/v1/admin/rotate-credentials");
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.body).toMatchObject({
      rotated: 3,
      alreadyCurrent: 0,
      failed: 0,
      remaining: 0,
      failures: [],
    });
    for (const [index, id] of ids.entries()) {
      expect(await sealedKid(id)).toBe("k2");
      const raw = await env.CREDENTIALS.get(`credential:${id}`);
      expect(raw).not.toBe(sealedBefore[index]);
    }
  });

  it("finds nothing left to do when called again", async () => {
    const again = await callWorker(BOTH, "POST", "/v1/admin/rotate-credentials");
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ rotated: 0, alreadyCurrent: ids.length, failed: 0, remaining: 0 });
  });

  it("lets a sync decrypt with k2 alone once k1 is removed", async () => {
    const run = await syncUnder(ONLY_K2, ids[0]!);
    expect(run).toMatchObject({ status: "succeeded", error: null, counts: { seen: 2 } });
  });

  it("fails a sync with only the old key k1, with an error naming the missing key", async () => {
    const run = await syncUnder(ONLY_K1, ids[1]!);
    expect(run.status).toBe("failed");
    expect(run.error.message).toContain("k2");
    expect(run.error.message).toContain("ENCRYPTION_KEYS");
    const integration = await api("GET", `/v1/integrations/${ids[1]}`);
    expect(integration.body.status).toBe("error");
    // The credential is untouched and still works with the right keyring.
    const recovered = await syncUnder(BOTH, ids[1]!);
    expect(recovered.status).toBe("succeeded");
  });

  it("new connections are sealed with the first key", async () => {
    const account = await setupAccount();
    const created = await callWorker(ONLY_K2, "POST", "/v1/integrations", {
      body: { label: "Fresh", organizationName: account.name, apiToken: account.token },
    });
    expect(created.status, created.text).toBe(201);
    ids.push(created.body.id);
    expect(await sealedKid(created.body.id)).toBe("k2");
    await waitForRun(created.body.lastSync.id);
  });

  it("reports a credential it cannot rotate instead of stopping, and rotates the rest", async () => {
    // Another key becomes primary; one credential has vanished from KV.
    const k3 = `k3:${btoa(String.fromCharCode(...new Uint8Array(32).fill(3)))}`;
    const WITH_K3 = { ENCRYPTION_KEYS: `${k3},${TEST_SECRETS.ENCRYPTION_KEYS}` };
    const lost = ids[2]!;
    await env.CREDENTIALS.delete(`credential:${lost}`);
    const response = await callWorker(WITH_K3, "POST", "/v1/admin/rotate-credentials");
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ rotated: ids.length - 1, alreadyCurrent: 0, failed: 1 });
    expect(response.body.failures).toEqual([{ integrationId: lost, message: expect.any(String) }]);
    for (const id of ids) if (id !== lost) expect(await sealedKid(id)).toBe("k3");
  });
});
