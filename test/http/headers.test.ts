// Response headers (docs/security.md#response-headers) on every documented route and every console
// page, successes and errors alike: nosniff and no framing everywhere, no-store under /v1 and on
// every console page, /docs's own CSP, and the console's script-free CSP everywhere else.
import { beforeAll, describe, expect, it } from "vitest";
import { type ApiResponse, api } from "../support/api";
import { ConsoleClient } from "../support/console";
import { CONSOLE_ROUTES, DOCUMENTED_ROUTES } from "../support/routes";
import { setupAccount } from "../support/simulator";
import { connectAndSync } from "../support/sync";

const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";
let integrationId: string;
let syncId: string;

beforeAll(async () => {
  const { integration } = await connectAndSync(await setupAccount({ generateMembers: 3 }));
  integrationId = integration.id;
  syncId = integration.lastSync!.id;
});

/** What one request to a documented route should carry, by path. */
function expectHeaders(route: string, response: ApiResponse) {
  const where = `${route} → ${response.status}`;
  const path = route.split(" ")[1]!;
  expect(response.headers.get("X-Content-Type-Options"), where).toBe("nosniff");
  if (path.startsWith("/v1/")) expect(response.headers.get("Cache-Control"), where).toBe("no-store");
  expect(response.headers.get("X-Frame-Options"), where).toBe("DENY");
  expect(response.headers.get("Content-Security-Policy"), where).toContain("frame-ancestors 'none'");
}

/** A console response: the API's headers, a CSP allowing no script, and never cached (but the stylesheet). */
function expectConsoleHeaders(route: string, response: { status: number; headers: Headers }) {
  const where = `${route} → ${response.status}`;
  expect(response.headers.get("X-Content-Type-Options"), where).toBe("nosniff");
  expect(response.headers.get("X-Frame-Options"), where).toBe("DENY");
  const policy = response.headers.get("Content-Security-Policy") ?? "";
  expect(policy, where).toContain("default-src 'none'");
  expect(policy, where).toContain("frame-ancestors 'none'");
  expect(policy, where).not.toMatch(/script-src|unsafe-inline|unsafe-eval/);
  if (route !== "GET /console.css") expect(response.headers.get("Cache-Control"), where).toBe("no-store");
}

/** Requests to a route: unauthenticated, read token, admin with unknown ids, admin with real ids. */
async function responsesFor(route: string): Promise<ApiResponse[]> {
  const [method, path] = route.split(" ") as [string, string];
  const body = ["POST", "PATCH"].includes(method) ? {} : undefined;
  const real = path.replace("{id}", integrationId).replace("{syncId}", syncId);
  const unknown = path.replace(/\{[^}]+\}/g, UNKNOWN_ID);
  const responses = [
    await api(method, path, { token: null, body }),
    await api(method, unknown, { body }),
    await api(method, unknown, { token: "not-a-real-token-0123456789", body }),
  ];
  // Successes for reads (writes with real ids would change the data the other tests use).
  if (method === "GET") responses.push(await api(method, real));
  return responses;
}

describe("response headers", () => {
  it("are on every documented route, errors included", async () => {
    const statuses = new Set<number>();
    for (const route of DOCUMENTED_ROUTES) {
      for (const response of await responsesFor(route)) {
        statuses.add(response.status);
        expectHeaders(route, response);
      }
    }
    // Successes, bad requests, auth failures and unknown ids were all checked.
    for (const status of [200, 400, 401, 404]) expect(statuses).toContain(status);
  });

  it("are on CSV exports, a read token's 403, an unknown route and a 413", async () => {
    const csv = await api("GET", `/v1/integrations/${integrationId}/accounts?format=csv`);
    expect(csv.headers.get("Content-Type")).toMatch(/^text\/csv/);
    expectHeaders("GET /v1/integrations/{id}/accounts", csv);
    const all = await api("GET", "/v1/accounts", { headers: { Accept: "text/csv" } });
    expectHeaders("GET /v1/accounts", all);
    const forbidden = await api("POST", "/v1/integrations", { token: "test-read-token-aaaa", body: {} });
    expect(forbidden.status).toBe(403);
    expectHeaders("POST /v1/integrations", forbidden);
    const tooLarge = await api("POST", "/v1/integrations", { body: { label: "x".repeat(70_000) } });
    expect(tooLarge.status).toBe(413);
    expectHeaders("POST /v1/integrations", tooLarge);
    for (const path of ["/nope", "/v1/nope"]) {
      const missing = await api("GET", path);
      expect(missing.status).toBe(404);
      expectHeaders(`GET ${path}`, missing);
    }
  });

  it("are on every console page, signed out, signed in, and refused", async () => {
    const admin = new ConsoleClient();
    await admin.signIn();
    const statuses = new Set<number>();
    for (const route of CONSOLE_ROUTES) {
      const [method, path] = route.split(" ") as [string, string];
      const real = path
        .replace("{id}", integrationId)
        .replace("{accountId}", UNKNOWN_ID)
        .replace("{email}", "nobody%40example.com");
      const signedOut = await new ConsoleClient().request(method, real, method === "POST" ? {} : undefined);
      const forged =
        method === "POST" ? await admin.post(real.replace(integrationId, UNKNOWN_ID), { _csrf: "x" }) : null;
      // Reads only: a signed-in post would change what the other tests use.
      const signedIn = method === "GET" ? await admin.get(real) : null;
      for (const response of [signedOut, forged, signedIn]) {
        if (!response) continue;
        statuses.add(response.status);
        expectConsoleHeaders(route, response);
      }
    }
    for (const status of [200, 303, 401, 403, 404]) expect(statuses).toContain(status);
  });

  it("let /docs run only its own inline script and style, fetch only from this origin", async () => {
    const docs = await api("GET", "/docs", { token: null });
    const policy = docs.headers.get("Content-Security-Policy")!;
    const directives = Object.fromEntries(
      policy.split(/;\s*/).map((d) => [d.split(" ")[0], d.split(" ").slice(1).join(" ")]),
    );
    expect(directives).toMatchObject({
      "default-src": "'none'",
      "connect-src": "'self'",
      "frame-ancestors": "'none'",
      "base-uri": "'none'",
    });
    const hash = async (text: string) =>
      `'sha256-${btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))))}'`;
    const script = /<script>([\s\S]*)<\/script>/.exec(docs.text)![1]!;
    const style = /<style>([\s\S]*)<\/style>/.exec(docs.text)![1]!;
    expect(directives["script-src"]).toBe(await hash(script));
    expect(directives["style-src"]).toBe(await hash(style));
    // Nothing else in the page would need the policy loosened.
    expect(docs.text).not.toMatch(/ on[a-z]+=|style="|<script src|<link /);
  });
});
