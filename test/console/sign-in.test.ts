// Console sign-in, sessions and CSRF (docs/console.md#sessions).
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { issueSession, readSession, SESSION_TTL_MS } from "../../src/console/session";
import { ADMIN, READER } from "../support/api";
import { ConsoleClient } from "../support/console";
import { TEST_SECRETS } from "../support/constants";

describe("console sign-in", () => {
  it("sends a signed-out visitor to the sign-in form", async () => {
    const browser = new ConsoleClient();
    const home = await browser.get("/");
    expect(home.status).toBe(303);
    expect(home.location).toBe("/sign-in");
    const form = await browser.get("/sign-in");
    expect(form.status).toBe(200);
    expect(form.text).toContain('name="token"');
  });

  it("signs in with the admin token into an HttpOnly, SameSite=Strict, Secure session cookie", async () => {
    const browser = new ConsoleClient();
    await browser.get("/sign-in");
    const answer = await browser.post("/sign-in", { token: ADMIN });
    expect(answer.status).toBe(303);
    const cookie = answer.headers.getSetCookie().find((c) => c.startsWith("cc_session="))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/Max-Age=28800/);
    expect(cookie).not.toContain(ADMIN);
    const home = await browser.get("/");
    expect(home.status).toBe(200);
    expect(home.text).toContain("Integrations");
    expect(home.headers.get("Cache-Control")).toBe("no-store");
  });

  it("refuses a wrong token and a missing sign-in CSRF token", async () => {
    const browser = new ConsoleClient();
    await browser.get("/sign-in");
    const wrong = await browser.post("/sign-in", { token: "not-the-token-0123456789abcdef0123" });
    expect(wrong.status).toBe(401);
    expect(browser.cookies.has("cc_session")).toBe(false);
    const forged = await browser.post("/sign-in", { token: ADMIN, _csrf: "123.abc" });
    expect(forged.status).toBe(403);
    expect(browser.cookies.has("cc_session")).toBe(false);
  });

  it("signs out", async () => {
    const browser = new ConsoleClient();
    await browser.signIn();
    const out = await browser.post("/sign-out");
    expect(out.status).toBe(303);
    expect(browser.cookies.has("cc_session")).toBe(false);
    expect((await browser.get("/")).status).toBe(303);
  });

  it("gives a read session no write controls and refuses its posts with 403", async () => {
    const browser = new ConsoleClient();
    await browser.signIn(READER);
    const home = await browser.get("/");
    expect(home.status).toBe(200);
    expect(home.text).not.toContain('action="/integrations"');
    expect(home.text).not.toContain("Sync now");
    const post = await browser.post("/integrations", {
      label: "x",
      organizationName: "y",
      apiToken: "z".repeat(40),
    });
    expect(post.status).toBe(403);
    expect(post.text).toContain("can only read");
  });

  it("refuses an admin post without the session's CSRF token", async () => {
    const browser = new ConsoleClient();
    await browser.signIn();
    const post = await browser.post("/integrations", { _csrf: "forged", label: "x" });
    expect(post.status).toBe(403);
    expect(post.text).toContain("security token does not match");
  });
});

describe("session cookies", () => {
  it("expire after SESSION_TTL_MS, and stop verifying when the token they were made with is no longer configured", async () => {
    const config = await loadConfig(env as any);
    if (!config.ok) throw new Error(config.error);
    const now = Date.now();
    const cookie = await issueSession(config.value, { role: "admin", token: ADMIN }, now);
    expect((await readSession(config.value, cookie, now + SESSION_TTL_MS - 1))?.role).toBe("admin");
    expect(await readSession(config.value, cookie, now + SESSION_TTL_MS)).toBeNull();
    const rotated = { ...config.value, adminToken: "another-admin-token-0123456789abcdef" };
    expect(await readSession(rotated, cookie, now)).toBeNull();
    const read = await issueSession(config.value, { role: "read", token: READER }, now);
    expect((await readSession(config.value, read, now))?.role).toBe("read");
    // A read token's cookie edited to say admin no longer verifies.
    const [v, body, mac] = read.split(".");
    const edited = JSON.parse(atob(body!.replace(/-/g, "+").replace(/_/g, "/")));
    edited.r = "admin";
    const forged = `${v}.${btoa(JSON.stringify(edited)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}.${mac}`;
    expect(await readSession(config.value, forged, now)).toBeNull();
  });

  it("keep verifying after a new key is prepended to ENCRYPTION_KEYS, and not once their key is removed", async () => {
    const before = await loadConfig(env as any);
    if (!before.ok) throw new Error(before.error);
    const cookie = await issueSession(before.value, { role: "admin", token: ADMIN });
    const [k2, k1] = TEST_SECRETS.ENCRYPTION_KEYS.split(",");
    const prepended = await loadConfig({
      ...env,
      ENCRYPTION_KEYS: `k3:${btoa("k".repeat(32))},${k2},${k1}`,
    } as any);
    const removed = await loadConfig({ ...env, ENCRYPTION_KEYS: `k3:${btoa("k".repeat(32))},${k1}` } as any);
    if (!prepended.ok || !removed.ok) throw new Error("config");
    expect((await readSession(prepended.value, cookie))?.role).toBe("admin");
    expect(await readSession(removed.value, cookie)).toBeNull();
  });
});

describe("on localhost", () => {
  it("the session cookie is not Secure (the demo runs over plain http), and keeps its other attributes", async () => {
    const browser = new ConsoleClient(null, "http://127.0.0.1:8787");
    await browser.get("/sign-in");
    const answer = await browser.post("/sign-in", { token: ADMIN });
    const cookie = answer.headers.getSetCookie().find((c) => c.startsWith("cc_session="))!;
    expect(cookie).not.toMatch(/Secure/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
  });
});
