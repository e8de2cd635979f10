// /v1/webhooks (docs/webhooks.md): subscribing, the secret shown once, URL and event rules, the
// test event signed per Standard Webhooks, and the delivery record.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, READER } from "../support/api";
import { expectError } from "../support/errors";
import { createWebhook, deliveriesOf, expectVerified, receiver, receiverUrl } from "../support/webhooks";

describe("POST /v1/webhooks", () => {
  it("creates an endpoint and shows a whsec_ secret once, never again", async () => {
    const created = await createWebhook({
      url: receiverUrl("create-once"),
      events: ["account.*", "sync.failed"],
      description: "Access review tool",
    });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(atob(created.secret.slice(6))).toHaveLength(32);
    expect(created).toMatchObject({
      url: receiverUrl("create-once"),
      events: ["account.*", "sync.failed"],
      description: "Access review tool",
      enabled: true,
      disabledAt: null,
      failingSince: null,
    });
    const read = await api("GET", `/v1/webhooks/${created.id}`);
    expect(read.status).toBe(200);
    expect(read.body.secret).toBeUndefined();
    expect(read.text).not.toContain(created.secret.slice(6, 30));
    const list = await api("GET", "/v1/webhooks", { token: READER });
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(created.secret.slice(6, 30));
    expect(list.body.data.map((w: any) => w.id)).toContain(created.id);
    const patched = await api("PATCH", `/v1/webhooks/${created.id}`, { body: { description: "Renamed" } });
    expect(patched.text).not.toContain(created.secret.slice(6, 30));
    // Stored sealed: the D1 row holds neither the secret nor its key bytes.
    const row = await env.DB.prepare("SELECT * FROM webhook_endpoints WHERE id = ?").bind(created.id).first();
    expect(JSON.stringify(row)).not.toContain(created.secret.slice(6, 30));
    expect(JSON.parse(String(row!.secret_sealed))).toMatchObject({ v: 1, kid: "k2" });
  });

  it("accepts https anywhere and plain http only to localhost or 127.0.0.1", async () => {
    for (const url of [
      "https://hooks.example.com/x",
      "http://localhost:8789/hooks",
      "http://127.0.0.1:9000/",
    ]) {
      const response = await api("POST", "/v1/webhooks", { body: { url, events: ["sync.failed"] } });
      expect(response.status, `${url}: ${response.text}`).toBe(201);
    }
  });

  it.each([
    ["http://hooks.example.com/x", "url: must use https (plain http only to localhost or 127.0.0.1)"],
    ["http://192.168.1.10/x", "url: must use https (plain http only to localhost or 127.0.0.1)"],
    ["ftp://hooks.example.com/x", "url: must use https (plain http only to localhost or 127.0.0.1)"],
    ["https://user:pass@hooks.example.com/x", "url: must not contain a user name or password"],
    ["https://token@hooks.example.com/x", "url: must not contain a user name or password"],
    ["hooks.example.com/x", "url: must be an absolute URL such as https://example.com/hooks"],
  ])("refuses the URL %s naming the field", async (url, message) => {
    const response = await api("POST", "/v1/webhooks", { body: { url, events: ["sync.failed"] } });
    expectError(response, 400, "validation_failed");
    expect(response.body.error.message).toBe(message);
    expect(response.body.error.details[0].path).toBe("url");
  });

  it.each([
    [[], "events"],
    [["account.added"], "events.0"],
    [["finding.*"], "events.0"],
    [["sync.failed", "sync.failed"], "events"],
    ["account.*", "events"],
  ])("refuses events %j naming %s", async (events, path) => {
    const response = await api("POST", "/v1/webhooks", { body: { url: receiverUrl("x"), events } });
    expectError(response, 400, "validation_failed");
    expect(response.body.error.details.map((d: any) => d.path)).toContain(path);
  });

  it("is admin-only for every write, readable with a read token", async () => {
    const created = await createWebhook({ url: receiverUrl("auth"), events: ["sync.failed"] });
    const body = { url: receiverUrl("auth"), events: ["sync.failed"] };
    expectError(await api("POST", "/v1/webhooks", { body, token: READER }), 403, "forbidden");
    expectError(
      await api("PATCH", `/v1/webhooks/${created.id}`, { body: { enabled: false }, token: READER }),
      403,
      "forbidden",
    );
    expectError(await api("DELETE", `/v1/webhooks/${created.id}`, { token: READER }), 403, "forbidden");
    expectError(await api("POST", `/v1/webhooks/${created.id}/test`, { token: READER }), 403, "forbidden");
    expect((await api("GET", `/v1/webhooks/${created.id}/deliveries`, { token: READER })).status).toBe(200);
    expectError(await api("GET", "/v1/webhooks", { token: null }), 401, "unauthorized");
  });
});

describe("PATCH and DELETE /v1/webhooks/{id}", () => {
  it("changes url, events and enabled, and 404s an unknown id", async () => {
    const created = await createWebhook({ url: receiverUrl("patch"), events: ["sync.failed"] });
    const patched = await api("PATCH", `/v1/webhooks/${created.id}`, {
      body: { url: receiverUrl("patch-2"), events: ["finding.opened", "finding.resolved"], enabled: false },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({
      url: receiverUrl("patch-2"),
      events: ["finding.opened", "finding.resolved"],
      enabled: false,
      disabledReason: "disabled by PATCH",
    });
    const back = await api("PATCH", `/v1/webhooks/${created.id}`, { body: { enabled: true } });
    expect(back.body).toMatchObject({ enabled: true, disabledAt: null, disabledReason: null });
    expectError(await api("PATCH", `/v1/webhooks/${created.id}`, { body: {} }), 400, "validation_failed");
    expectError(
      await api("PATCH", `/v1/webhooks/${created.id}`, { body: { url: "http://example.com" } }),
      400,
      "validation_failed",
    );
    expectError(await api("GET", "/v1/webhooks/no-such-id"), 404, "not_found");
    expect((await api("DELETE", `/v1/webhooks/${created.id}`)).status).toBe(204);
    expectError(await api("GET", `/v1/webhooks/${created.id}`), 404, "not_found");
    expectError(await api("DELETE", `/v1/webhooks/${created.id}`), 404, "not_found");
  });
});

describe("POST /v1/webhooks/{id}/test", () => {
  it("sends a webhook.test event that a Standard Webhooks verifier accepts, and records it", async () => {
    const created = await createWebhook({ url: receiverUrl("test-event"), events: ["account.*"] });
    const sent = await api("POST", `/v1/webhooks/${created.id}/test`);
    expect(sent.status, sent.text).toBe(200);
    expect(sent.body).toMatchObject({
      eventType: "webhook.test",
      attempt: 1,
      statusCode: 204,
      outcome: "delivered",
    });
    const [delivery] = await receiver.received("test-event");
    const parsed = await expectVerified(created.secret, delivery!);
    expect(parsed).toMatchObject({ type: "webhook.test", data: { webhookId: created.id } });
    expect(delivery!.headers["webhook-id"]).toBe(sent.body.eventId);
    expect(delivery!.headers["content-type"]).toBe("application/json");
    const deliveries = await deliveriesOf(created.id);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toEqual(sent.body);
  });

  it("reports what a failing receiver answered, and does not follow a redirect", async () => {
    const created = await createWebhook({ url: receiverUrl("test-redirect"), events: ["account.*"] });
    await receiver.script("test-redirect", [
      { status: 302, location: receiverUrl("test-redirect-target") },
      { status: 500 },
    ]);
    const redirected = await api("POST", `/v1/webhooks/${created.id}/test`);
    expect(redirected.body).toMatchObject({
      statusCode: 302,
      outcome: "failed",
      error: "HTTP 302: redirects are not followed",
    });
    expect(await receiver.received("test-redirect-target")).toHaveLength(0);
    const failed = await api("POST", `/v1/webhooks/${created.id}/test`);
    expect(failed.body).toMatchObject({ statusCode: 500, outcome: "failed", error: "HTTP 500" });
    const deliveries = await deliveriesOf(created.id);
    expect(deliveries.map((d) => d.statusCode)).toEqual([500, 302]);
  });
});

describe("GET /v1/webhooks/{id}/deliveries", () => {
  it("pages newest first with a cursor bound to the endpoint", async () => {
    const created = await createWebhook({ url: receiverUrl("paging"), events: ["account.*"] });
    const other = await createWebhook({ url: receiverUrl("paging-other"), events: ["account.*"] });
    for (let i = 0; i < 5; i++) await api("POST", `/v1/webhooks/${created.id}/test`);
    const first = await api("GET", `/v1/webhooks/${created.id}/deliveries?limit=2`);
    expect(first.body.data).toHaveLength(2);
    const second = await api(
      "GET",
      `/v1/webhooks/${created.id}/deliveries?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`,
    );
    expect(Number(second.body.data[0].id)).toBeLessThan(Number(first.body.data[1].id));
    const all = await deliveriesOf(created.id);
    expect(all.map((d) => Number(d.id))).toEqual([...all.map((d) => Number(d.id))].sort((a, b) => b - a));
    expectError(
      await api(
        "GET",
        `/v1/webhooks/${other.id}/deliveries?cursor=${encodeURIComponent(first.body.nextCursor)}`,
      ),
      400,
      "validation_failed",
    );
  });
});
