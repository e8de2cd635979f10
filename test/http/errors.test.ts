// Every error code of docs/api.md#errors with its HTTP status and the exact shape
// `{ error: { code, message, details } }`, including configuration errors (503) and the body limit (413).
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, callWorker, READER } from "../support/api";
import { TEST_SECRETS } from "../support/constants";
import { expectError } from "../support/errors";
import { expectLogged } from "../support/logs";
import { KEY_K1, KEY_K2, secretValues } from "../support/secrets";
import { setupAccount, sim } from "../support/simulator";
import { connect, waitForRun } from "../support/sync";

const UNKNOWN_ID = "6f1d2c3b-0000-4000-8000-00000000dead";
const VALID_BODY = {
  label: "Production",
  organizationName: "Acme",
  apiToken: "cfut_0123456789abcdefghijklmnopqrstuvwxyzABCD",
};

describe("404 not_found", () => {
  it("answers an unknown route with not_found, inside and outside /v1", async () => {
    expectError(await api("GET", "/nope", { token: null }), 404, "not_found");
    expectError(await api("GET", "/v1/nope"), 404, "not_found");
    expectError(await api("POST", "/v1/integrations/x/y/z", { body: {} }), 404, "not_found");
  });

  it("answers an unknown integration id with not_found on every integration route", async () => {
    const base = `/v1/integrations/${UNKNOWN_ID}`;
    expectError(await api("GET", base), 404, "not_found");
    expectError(await api("PATCH", base, { body: { label: "x" } }), 404, "not_found");
    expectError(await api("DELETE", base), 404, "not_found");
    expectError(await api("POST", `${base}/sync`), 404, "not_found");
    expectError(await api("GET", `${base}/syncs`), 404, "not_found");
    expectError(await api("GET", `${base}/events`), 404, "not_found");
    expectError(await api("GET", `/v1/syncs/${UNKNOWN_ID}`), 404, "not_found");
  });
});

describe("400 invalid_json", () => {
  it("refuses a malformed JSON body", async () => {
    for (const raw of ["{", '{"label": "x",}', "not json", '{"label": "x"} trailing']) {
      const response = await api("POST", "/v1/integrations", {
        rawBody: raw,
        headers: { "Content-Type": "application/json" },
      });
      const error = expectError(response, 400, "invalid_json");
      expect(error.details).toEqual([]);
    }
  });

  it("refuses a malformed body on PATCH too", async () => {
    const response = await api("PATCH", `/v1/integrations/${UNKNOWN_ID}`, {
      rawBody: "{label:",
      headers: { "Content-Type": "application/json" },
    });
    expectError(response, 400, "invalid_json");
  });

  it("refuses a body that is not sent as JSON", async () => {
    const response = await api("POST", "/v1/integrations", {
      rawBody: JSON.stringify(VALID_BODY),
      headers: { "Content-Type": "text/plain" },
    });
    const error = expectError(response, 400, "invalid_json");
    expect(error.message).toMatch(/application\/json/);
  });
});

describe("400 validation_failed", () => {
  it("lists one detail per missing field of POST /v1/integrations", async () => {
    const error = expectError(await api("POST", "/v1/integrations", { body: {} }), 400, "validation_failed");
    expect(error.details.map((d) => d.path).sort()).toEqual(["apiToken", "label", "organizationName"]);
    for (const field of ["label", "organizationName", "apiToken"]) expect(error.message).toContain(field);
  });

  it("answers a missing body with validation_failed, not a crash", async () => {
    const response = await api("POST", "/v1/integrations", {
      headers: { "Content-Type": "application/json" },
    });
    expect(response.status).toBe(400);
    expect(["validation_failed", "invalid_json"]).toContain(response.body.error.code);
    expectError(response, 400, response.body.error.code);
  });

  it("names each field that is wrong, and only those", async () => {
    const response = await api("POST", "/v1/integrations", {
      body: { ...VALID_BODY, label: "   ", apiToken: "short" },
    });
    const error = expectError(response, 400, "validation_failed");
    expect(error.details.map((d) => d.path).sort()).toEqual(["apiToken", "label"]);
    expect(error.details.find((d) => d.path === "label")!.message).toMatch(/empty/);
  });

  it("refuses an unknown key and names it", async () => {
    const response = await api("POST", "/v1/integrations", { body: { ...VALID_BODY, apiKey: "x" } });
    const error = expectError(response, 400, "validation_failed");
    expect(error.details).toEqual([{ path: "apiKey", message: "is not a known field" }]);
    expect(error.message).toContain("apiKey");
  });

  it("lists an array sent for a string field once, with its type problem", async () => {
    const response = await api("POST", "/v1/integrations", { body: { ...VALID_BODY, apiToken: ["x"] } });
    const error = expectError(response, 400, "validation_failed");
    expect(error.details).toHaveLength(1);
    expect(error.details[0]).toMatchObject({ path: "apiToken" });
    expect(error.details[0]!.message).toMatch(/string/);
  });

  it("refuses an accountId that is not the 32-hex id from the dashboard", async () => {
    for (const accountId of [
      "123",
      "023E105F4ECEF8AD9CA31A8372D0C353",
      "023e105f4ecef8ad9ca31a8372d0c35z",
      42,
    ]) {
      const response = await api("POST", "/v1/integrations", { body: { ...VALID_BODY, accountId } });
      const error = expectError(response, 400, "validation_failed");
      expect(error.details.map((d) => d.path)).toEqual(["accountId"]);
    }
  });

  it("refuses wrong types and a non-object body", async () => {
    const wrongTypes = await api("POST", "/v1/integrations", {
      body: { label: 1, organizationName: null, apiToken: true },
    });
    const error = expectError(wrongTypes, 400, "validation_failed");
    expect(error.details.map((d) => d.path).sort()).toEqual(["apiToken", "label", "organizationName"]);
    for (const body of [[], "text", 42, null]) {
      expectError(await api("POST", "/v1/integrations", { body }), 400, "validation_failed");
    }
  });

  it("refuses an empty PATCH and a PATCH with a non-boolean enabled", async () => {
    const account = await setupAccount();
    const integration = await connect(account, "Patchable");
    const empty = expectError(
      await api("PATCH", `/v1/integrations/${integration.id}`, { body: {} }),
      400,
      "validation_failed",
    );
    expect(empty.message).toMatch(/at least one/);
    const enabled = expectError(
      await api("PATCH", `/v1/integrations/${integration.id}`, { body: { enabled: "yes" } }),
      400,
      "validation_failed",
    );
    expect(enabled.details.map((d) => d.path)).toEqual(["enabled"]);
    await waitForRun(integration.lastSync!.id);
  });

  it("refuses a bad query parameter, naming it", async () => {
    const account = await setupAccount();
    const integration = await connect(account, "Query");
    const response = await api("GET", `/v1/integrations/${integration.id}/syncs?limit=0`);
    const error = expectError(response, 400, "validation_failed");
    expect(error.details.map((d) => d.path)).toEqual(["limit"]);
    await waitForRun(integration.lastSync!.id);
  });
});

describe("401 / 403", () => {
  it("answers unauthorized and forbidden in the error shape", async () => {
    expectError(await api("GET", "/v1/integrations", { token: null }), 401, "unauthorized");
    expectError(await api("POST", "/v1/integrations", { token: READER, body: VALID_BODY }), 403, "forbidden");
  });
});

describe("409 conflict", () => {
  it("refuses a second sync while one is queued or running", async () => {
    const account = await setupAccount({ generateMembers: 3 });
    // The members probe at connect time and the first sync each take 1.5 s.
    await sim.fault({ token: account.token, path: "members" }, { kind: "timeout", ms: 1500 }, 2);
    const integration = await connect(account, "Busy");
    const second = await api("POST", `/v1/integrations/${integration.id}/sync`);
    const error = expectError(second, 409, "conflict");
    expect(error.message).toMatch(/already queued or running/);
    const run = await waitForRun(integration.lastSync!.id);
    expect(run.status).toBe("succeeded");
  });
});

describe("413 payload_too_large", () => {
  const big = () => JSON.stringify({ ...VALID_BODY, label: "x".repeat(70 * 1024) });

  it("refuses a 70 KB body", async () => {
    const response = await api("POST", "/v1/integrations", {
      rawBody: big(),
      headers: { "Content-Type": "application/json" },
    });
    const error = expectError(response, 413, "payload_too_large");
    expect(error.message).toMatch(/64 KiB/);
  });

  it("refuses a 70 KB body streamed without a Content-Length", async () => {
    const bytes = new TextEncoder().encode(big());
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 8 * 1024) controller.enqueue(bytes.slice(i, i + 8 * 1024));
        controller.close();
      },
    });
    const response = await api("POST", "/v1/integrations", {
      rawBody: stream,
      headers: { "Content-Type": "application/json" },
    });
    expectError(response, 413, "payload_too_large");
  });

  it("refuses a 70 KB body whose Content-Length claims it is small", async () => {
    const bytes = new TextEncoder().encode(big());
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    });
    const response = await api("PATCH", `/v1/integrations/${UNKNOWN_ID}`, {
      rawBody: stream,
      headers: { "Content-Type": "application/json", "Content-Length": "20" },
    });
    expectError(response, 413, "payload_too_large");
  });

  it("accepts a body just under 64 KiB as far as size goes", async () => {
    const body = JSON.stringify({ ...VALID_BODY, label: "x".repeat(60 * 1024) });
    const response = await api("POST", "/v1/integrations", {
      rawBody: body,
      headers: { "Content-Type": "application/json" },
    });
    // Too long for a label, but refused by validation, not by the size limit.
    const error = expectError(response, 400, "validation_failed");
    expect(error.details.map((d) => d.path)).toEqual(["label"]);
  });
});

describe("500 internal", () => {
  it("answers an unexpected failure with internal and no stack trace, SQL or secret", async () => {
    const secretSql = "SELECT * FROM integrations WHERE secret = 'cfut_leakme0123456789'";
    const brokenDb = {
      prepare() {
        throw new Error(`D1_ERROR: ${secretSql}`);
      },
      batch() {
        throw new Error(`D1_ERROR: ${secretSql}`);
      },
    };
    const response = await callWorker({ DB: brokenDb }, "GET", "/v1/integrations");
    const error = expectError(response, 500, "internal");
    expect(error.details).toEqual([]);
    expect(response.text).not.toContain("SELECT");
    expect(response.text).not.toContain("cfut_leakme");
    expect(response.text).not.toMatch(/at .*\.ts:\d+/);
    expect(response.text).not.toContain("D1_ERROR");
    // The log line says what happened, with the secret-looking value redacted.
    const [line] = expectLogged("error", "unhandled_error", { path: "/v1/integrations" });
    expect(line!.error).toContain("D1_ERROR");
    expect(line!.error).not.toContain("cfut_leakme");
  });
});

describe("503 not_configured", () => {
  it("answers every /v1 request when ENCRYPTION_KEYS is missing, naming it", async () => {
    for (const [method, path] of [
      ["GET", "/v1/integrations"],
      ["POST", "/v1/integrations"],
      ["POST", "/v1/admin/rotate-credentials"],
    ] as const) {
      const response = await callWorker({ ENCRYPTION_KEYS: undefined }, method, path, {
        body: method === "POST" ? VALID_BODY : undefined,
      });
      const error = expectError(response, 503, "not_configured");
      expect(error.message).toContain("ENCRYPTION_KEYS");
      expect(error.message).not.toContain("API_TOKEN");
    }
  });

  it("names API_TOKEN when it is missing, too short, or blank", async () => {
    for (const value of [undefined, "", "   ", "short"]) {
      const response = await callWorker({ API_TOKEN: value }, "GET", "/v1/integrations", {
        token: "anything-at-all-0000",
      });
      const error = expectError(response, 503, "not_configured");
      expect(error.message).toContain("API_TOKEN");
      expect(error.message).not.toContain("ENCRYPTION_KEYS");
    }
  });

  it("refuses an admin token shorter than 32 characters, saying how to make one, without echoing it", async () => {
    for (const value of ["sixteen-chars-00", "a-31-character-admin-token-0000"]) {
      const response = await callWorker({ API_TOKEN: value }, "GET", "/v1/integrations", { token: value });
      const error = expectError(response, 503, "not_configured");
      expect(error.message).toContain("API_TOKEN must be at least 32 characters");
      expect(error.message).toContain("openssl rand -hex 32");
      expect(response.text).not.toContain(value);
    }
    const thirtyTwo = "a-32-character-admin-token-00000";
    expect(thirtyTwo).toHaveLength(32);
    const accepted = await callWorker({ API_TOKEN: thirtyTwo }, "GET", "/v1/integrations", {
      token: thirtyTwo,
    });
    expect(accepted.status).toBe(200);
  });

  it("names both settings when both are missing", async () => {
    const response = await callWorker(
      { API_TOKEN: undefined, ENCRYPTION_KEYS: undefined },
      "GET",
      "/v1/integrations",
    );
    const error = expectError(response, 503, "not_configured");
    expect(error.message).toContain("API_TOKEN");
    expect(error.message).toContain("ENCRYPTION_KEYS");
  });

  it("names ENCRYPTION_KEYS and the problem when a key is malformed, without echoing key material", async () => {
    const sixteenBytes = btoa(String.fromCharCode(...new Uint8Array(16).fill(7)));
    const k1Material = KEY_K1.slice(3);
    const cases: [string, RegExp][] = [
      [`k3:${sixteenBytes}`, /16 bytes.*32|32.*16/],
      [`${KEY_K1},${KEY_K1}`, /twice/],
      [`${KEY_K2},k1:${k1Material.slice(0, -2)}!!`, /base64/],
      ["k1", /id:base64key/],
      [`bad id!:${k1Material}`, /key id/],
      [",", /./],
    ];
    for (const [value, problem] of cases) {
      const response = await callWorker({ ENCRYPTION_KEYS: value }, "GET", "/v1/integrations");
      const error = expectError(response, 503, "not_configured");
      expect(error.message, value).toContain("ENCRYPTION_KEYS");
      expect(error.message, value).toMatch(problem);
      expect(error.message, value).not.toContain(k1Material);
      expect(error.message, value).not.toContain(sixteenBytes);
    }
  });

  it("is answered before authentication, and never leaks a secret", async () => {
    const response = await callWorker({ ENCRYPTION_KEYS: "k1:short" }, "GET", "/v1/integrations", {
      token: null,
    });
    expectError(response, 503, "not_configured");
    for (const secret of secretValues()) expect(response.text).not.toContain(secret);
  });

  it("leaves /health open while not configured", async () => {
    const response = await callWorker(
      { ENCRYPTION_KEYS: undefined, API_TOKEN: undefined },
      "GET",
      "/health",
      {
        token: null,
      },
    );
    expect(response.status).toBe(200);
  });

  it("stores nothing when a connect is refused for missing configuration", async () => {
    const before = await env.DB.prepare("SELECT COUNT(*) AS n FROM integrations").first<{ n: number }>();
    const account = await setupAccount();
    const response = await callWorker({ ENCRYPTION_KEYS: undefined }, "POST", "/v1/integrations", {
      body: { label: "Unstored", organizationName: account.name, apiToken: account.token },
    });
    expectError(response, 503, "not_configured");
    const after = await env.DB.prepare("SELECT COUNT(*) AS n FROM integrations").first<{ n: number }>();
    expect(after!.n).toBe(before!.n);
    expect((await sim.requests({ token: account.token })).length).toBe(0);
  });

  it("works again with the configured settings (sanity check of the modified environment)", async () => {
    const response = await callWorker(
      { ENCRYPTION_KEYS: TEST_SECRETS.ENCRYPTION_KEYS },
      "GET",
      "/v1/integrations",
    );
    expect(response.status).toBe(200);
  });
});
