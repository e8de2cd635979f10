// The bearer-token matrix of docs/api.md#authentication across every /v1 route the OpenAPI document lists, so a
// new route is covered as soon as it is registered; plus the open routes that must reveal nothing.
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN, api, READER } from "../support/api";
import { expectError } from "../support/errors";
import { DOCUMENTED_ROUTES } from "../support/routes";
import { secretValues } from "../support/secrets";

interface Route {
  method: string;
  path: string;
  /** The path with every {param} replaced by an id that does not exist. */
  url: string;
}

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";

let routes: Route[] = [];

beforeAll(async () => {
  const doc = await api("GET", "/openapi.json", { token: null });
  expect(doc.status).toBe(200);
  routes = [];
  for (const [path, item] of Object.entries(doc.body.paths as Record<string, Record<string, unknown>>)) {
    if (!path.startsWith("/v1/")) continue;
    for (const method of Object.keys(item)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      routes.push({ method: method.toUpperCase(), path, url: path.replace(/\{[^}]+\}/g, UNKNOWN_ID) });
    }
  }
});

const label = (r: Route) => `${r.method} ${r.path}`;
/** Write routes get an (empty) JSON body, as a client would send. */
const bodyFor = (r: Route) => (WRITE_METHODS.has(r.method) ? {} : undefined);

describe("bearer authentication on every /v1 route", () => {
  it("the OpenAPI document lists every /v1 route, so the matrix below covers them all", () => {
    const listed = routes.map(label);
    for (const known of DOCUMENTED_ROUTES.filter((r) => r.includes(" /v1/"))) expect(listed).toContain(known);
  });

  it("answers 401 unauthorized without an Authorization header", async () => {
    for (const route of routes) {
      const response = await api(route.method, route.url, { token: null, body: bodyFor(route) });
      const error = expectError(response, 401, "unauthorized");
      expect(error.message, label(route)).toMatch(/Bearer/);
      expect(response.headers.get("WWW-Authenticate"), label(route)).toMatch(/^Bearer/);
    }
  });

  it("answers 401 unauthorized for a token it does not know", async () => {
    for (const route of routes) {
      const response = await api(route.method, route.url, {
        token: "not-a-real-token-0123456789",
        body: bodyFor(route),
      });
      expectError(response, 401, "unauthorized");
    }
  });

  it("answers 403 forbidden when a read token calls any write route", async () => {
    const writes = routes.filter((r) => WRITE_METHODS.has(r.method));
    expect(writes.length).toBeGreaterThanOrEqual(4);
    for (const route of writes) {
      const response = await api(route.method, route.url, { token: READER, body: {} });
      const error = expectError(response, 403, "forbidden");
      expect(error.message, label(route)).toMatch(/read-only/);
    }
  });

  it("lets a read token through on every GET route", async () => {
    const reads = routes.filter((r) => r.method === "GET");
    expect(reads.length).toBeGreaterThanOrEqual(4);
    for (const route of reads) {
      const response = await api("GET", route.url, { token: READER });
      expect([401, 403], `${label(route)} → ${response.status} ${response.text}`).not.toContain(
        response.status,
      );
      expect(response.status, label(route)).toBeLessThan(500);
    }
    // Both configured read tokens work.
    const second = await api("GET", "/v1/integrations", { token: "test-read-token-bbbb" });
    expect(second.status).toBe(200);
  });

  it("lets the admin token through on every route (no 401 or 403)", async () => {
    for (const route of routes) {
      const response = await api(route.method, route.url, { body: bodyFor(route) });
      expect([401, 403], `${label(route)} → ${response.status} ${response.text}`).not.toContain(
        response.status,
      );
    }
  });
});

describe("the Authorization header format", () => {
  it("accepts the scheme in any case, e.g. `bearer`", async () => {
    for (const scheme of ["bearer", "BEARER", "Bearer"]) {
      const response = await api("GET", "/v1/integrations", {
        token: null,
        headers: { Authorization: `${scheme} ${ADMIN}` },
      });
      expect(response.status, scheme).toBe(200);
    }
  });

  it("refuses an empty bearer value", async () => {
    for (const header of ["Bearer", "Bearer ", "Bearer    ", ""]) {
      const response = await api("GET", "/v1/integrations", {
        token: null,
        headers: { Authorization: header },
      });
      expectError(response, 401, "unauthorized");
    }
  });

  it("refuses other schemes carrying the right token", async () => {
    for (const header of [`Basic ${btoa(`admin:${ADMIN}`)}`, `Token ${ADMIN}`, ADMIN, `Bearer: ${ADMIN}`]) {
      const response = await api("GET", "/v1/integrations", {
        token: null,
        headers: { Authorization: header },
      });
      expectError(response, 401, "unauthorized");
    }
  });

  it("refuses a token that differs from the admin or read token only in its last character", async () => {
    for (const real of [ADMIN, READER]) {
      const last = real.at(-1)!;
      const near = real.slice(0, -1) + (last === "x" ? "y" : "x");
      expectError(await api("GET", "/v1/integrations", { token: near }), 401, "unauthorized");
      // A prefix or an extension of the real token is not the real token either.
      expectError(await api("GET", "/v1/integrations", { token: real.slice(0, -1) }), 401, "unauthorized");
      expectError(await api("GET", "/v1/integrations", { token: `${real}x` }), 401, "unauthorized");
    }
  });

  it("refuses a 10 KB token with 401, not an error", async () => {
    const huge = `${ADMIN}${"a".repeat(10 * 1024)}`;
    expectError(await api("GET", "/v1/integrations", { token: huge }), 401, "unauthorized");
    expectError(await api("POST", "/v1/integrations", { token: huge, body: {} }), 401, "unauthorized");
  });

  it("refuses the admin token followed by a second value", async () => {
    const response = await api("GET", "/v1/integrations", {
      token: null,
      headers: { Authorization: `Bearer ${ADMIN} ${ADMIN}` },
    });
    expectError(response, 401, "unauthorized");
  });
});

describe("open routes", () => {
  it("/health, /openapi.json and /docs answer without a token", async () => {
    const health = await api("GET", "/health", { token: null });
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: "ok" });
    const doc = await api("GET", "/openapi.json", { token: null });
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\.1/);
    const docs = await api("GET", "/docs", { token: null });
    expect(docs.status).toBe(200);
    expect(docs.headers.get("Content-Type")).toMatch(/text\/html/);
    expect(docs.text).toContain("/openapi.json");
  });

  it("reveal no secret, with or without a token", async () => {
    const secrets = secretValues();
    for (const path of ["/health", "/openapi.json", "/docs"]) {
      for (const token of [null, ADMIN, READER]) {
        const response = await api("GET", path, { token });
        expect(response.status).toBe(200);
        for (const secret of secrets) expect(response.text, `${path} leaks a secret`).not.toContain(secret);
      }
    }
  });

  it("the OpenAPI document declares bearer security for the API", async () => {
    const doc = await api("GET", "/openapi.json", { token: null });
    expect(doc.body.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.body.security).toEqual([{ bearer: [] }]);
  });
});
