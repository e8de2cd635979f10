/**
 * Secret hygiene (docs/security.md): a full scenario — connect, sync, read, errors echoed by Cloudflare,
 * rotation, a revoked token, a token change, delete — run with distinctive secret values, then
 * every response, every log line, every D1 row and every raw KV value is searched for them.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { callWorker, seenBodies } from "../support/api";
import { capturePrintedLines, dumpD1, dumpKv } from "../support/leak-sources";
import { setupAccount, sim } from "../support/simulator";
import { capturingQueue, runQueueMessage } from "../support/sync";

const ADMIN = "CANARY-admin-token-5f0c2e9a41d7b3c8";
const READ = "CANARY-read-token-8d41b7c3";
const KEY_OLD = "E0nY8cGv1n7m4e2G0cZb0m9k4W2QYhXh3h0p6WcK7Zs=";
const KEY_NEW = "x5d0l3J9b2s6W0w8V1q4N7m2K5h8G1f4D7c0A3z6Y9s=";
const CF_TOKENS = {
  first: "cfut_CANARYfirstTokenAAAAAAAAAAAAAAAAAAAAAAA1",
  second: "cfut_CANARYsecondTokenBBBBBBBBBBBBBBBBBBBBBB2",
  wrong: "cfut_CANARYwrongTokenCCCCCCCCCCCCCCCCCCCCCCC3",
};
/** A secret as text might carry it: any case, URL-encoded, base64 (alone or inside a longer value). */
const forms = (secret: string) => [
  secret,
  secret.toLowerCase(),
  secret.toUpperCase(),
  encodeURIComponent(secret),
  btoa(secret).slice(0, -4),
  btoa(`x:${secret}`).slice(4, -4),
  btoa(`:${secret}`).slice(4, -4),
];
const SECRETS = [ADMIN, READ, KEY_OLD, KEY_NEW, ...Object.values(CF_TOKENS)].flatMap(forms);

const logs = capturePrintedLines();

function expectNoSecret(where: string, haystack: string) {
  for (const secret of SECRETS) {
    expect(haystack.includes(secret), `${where} contains ${secret.slice(0, 14)}…`).toBe(false);
  }
  // "Bearer <token>" in help text and "Bearer [redacted]" are fine; a credential after it is not.
  expect(/Bearer\s+[A-Za-z0-9._~+/-]{8,}/.test(haystack), `${where} contains a bearer credential`).toBe(
    false,
  );
}

describe("secret hygiene", () => {
  it("never lets a token or key reach a response, a log line, D1 or KV in plain text", async () => {
    const account = await setupAccount({ generateMembers: 60 });
    await sim.createToken({ value: CF_TOKENS.first, kind: "user", accountIds: [account.accountId] });
    await sim.createToken({ value: CF_TOKENS.second, kind: "user", accountIds: [account.accountId] });
    const captured = capturingQueue();
    const keys = (primary: "old" | "new", both = true) => ({
      ENCRYPTION_KEYS:
        primary === "old"
          ? `canaryold:${KEY_OLD}`
          : both
            ? `canarynew:${KEY_NEW},canaryold:${KEY_OLD}`
            : `canarynew:${KEY_NEW}`,
    });
    const base = { API_TOKEN: ADMIN, API_READ_TOKENS: READ, SYNC_QUEUE: captured.queue };
    const call = (
      keyset: ReturnType<typeof keys>,
      method: string,
      path: string,
      body?: unknown,
      token = ADMIN,
    ) => callWorker({ ...base, ...keyset }, method, path, { body, token });
    const syncPending = async (keyset: ReturnType<typeof keys>) => {
      while (captured.messages.length > 0)
        await runQueueMessage({ ...base, ...keyset }, captured.messages.shift()!);
    };

    // Connect with a wrong token, then the right one; sync; read everything a consumer reads.
    const wrong = await call(keys("old"), "POST", "/v1/integrations", {
      label: "Canary",
      organizationName: account.name,
      apiToken: CF_TOKENS.wrong,
    });
    expect(wrong.status).toBe(422);
    const created = await call(keys("old"), "POST", "/v1/integrations", {
      label: "Canary",
      organizationName: account.name,
      apiToken: CF_TOKENS.first,
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await syncPending(keys("old"));
    expect((await call(keys("old"), "GET", `/v1/integrations/${id}`)).body.status).toBe("ok");
    await call(keys("old"), "GET", `/v1/integrations/${id}/accounts?limit=500`, undefined, READ);
    await call(keys("old"), "GET", `/v1/integrations/${id}/accounts?format=csv`, undefined, READ);
    await call(keys("old"), "GET", `/v1/integrations/${id}/events?limit=500`, undefined, READ);
    await call(keys("old"), "GET", `/v1/integrations/${id}/syncs`, undefined, READ);
    await call(keys("old"), "GET", "/openapi.json");
    await call(keys("old"), "GET", "/health");

    // Cloudflare echoes the token in an error message, as is, re-cased, URL-encoded and in base64:
    // every form must be redacted before it is stored.
    await sim.fault(
      { accountId: account.accountId, path: "members" },
      {
        kind: "status",
        status: 400,
        code: 6003,
        message: [
          `Invalid header: Bearer ${CF_TOKENS.first} (${CF_TOKENS.first})`,
          `token ${CF_TOKENS.first.toLowerCase()} / ${CF_TOKENS.first.slice(5).toUpperCase()}`,
          `url ${encodeURIComponent(CF_TOKENS.first)} basic ${btoa(`user:${CF_TOKENS.first}`)}`,
          `raw ${btoa(CF_TOKENS.first)}`,
        ].join("; "),
      },
      1,
    );
    const echoed = await call(keys("old"), "POST", `/v1/integrations/${id}/sync`);
    expect(echoed.status).toBe(202);
    await syncPending(keys("old"));
    const echoedRun = await call(keys("old"), "GET", `/v1/syncs/${echoed.body.id}`);
    expect(echoedRun.body.status).toBe("failed");
    expect(echoedRun.body.error.message).toContain("[redacted]");

    // Rotate to a new key; the old one stays readable until rotation is done.
    const rotated = await call(keys("new"), "POST", "/v1/admin/rotate-credentials");
    expect(rotated.body).toMatchObject({ rotated: 1, failed: 0 });
    expect(await env.CREDENTIALS.get(`credential:${id}`)).toContain('"kid":"canarynew"');

    // The token is revoked in Cloudflare; then the admin sets a new one.
    await sim.patchToken(CF_TOKENS.first, { revoked: true });
    await call(keys("new", false), "POST", `/v1/integrations/${id}/sync`);
    await syncPending(keys("new", false));
    const broken = await call(keys("new", false), "GET", `/v1/integrations/${id}`);
    expect(broken.body).toMatchObject({
      status: "error",
      lastSync: { error: { code: "cloudflare_token_invalid" } },
    });
    const patched = await call(keys("new", false), "PATCH", `/v1/integrations/${id}`, {
      apiToken: CF_TOKENS.second,
    });
    expect(patched.status).toBe(200);
    await call(keys("new", false), "POST", `/v1/integrations/${id}/sync`);
    await syncPending(keys("new", false));
    expect((await call(keys("new", false), "GET", `/v1/integrations/${id}`)).body.status).toBe("ok");

    // A read token cannot change anything; an unknown token learns nothing.
    expect((await call(keys("new", false), "DELETE", `/v1/integrations/${id}`, undefined, READ)).status).toBe(
      403,
    );
    expect((await call(keys("new", false), "GET", "/v1/integrations", undefined, `${ADMIN}x`)).status).toBe(
      401,
    );

    // Everything at rest while the integration exists.
    expectNoSecret("D1", await dumpD1());
    const kv = await dumpKv();
    expect(kv).toContain(`credential:${id}`);
    expectNoSecret("KV", kv);

    expect((await call(keys("new", false), "DELETE", `/v1/integrations/${id}`)).status).toBe(204);
    expect(await dumpKv()).not.toContain(`credential:${id}`);

    expectNoSecret("responses", seenBodies.join("\n"));
    expect(logs.length).toBeGreaterThan(5);
    expect(logs.some((l) => l.includes('"event":"sync_run"'))).toBe(true);
    expectNoSecret("logs", logs.join("\n"));
    expectNoSecret("D1 after delete", await dumpD1());
  });
});
