// Cloudflare Access sign-in (docs/console.md#cloudflare-access): a valid Cf-Access-Jwt-Assertion
// (RS256, issuer, audience, expiry, against the team's published keys) signs in, with the role
// from ACCESS_ADMIN_EMAILS; anything else leaves the visitor signed out.
import { describe, expect, it } from "vitest";
import { ConsoleClient } from "../support/console";
import { expectLogged } from "../support/logs";
import { sim } from "../support/simulator";

const TEAM = "connector-test.cloudflareaccess.com";
const AUD = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2";
const ACCESS = {
  ACCESS_TEAM_DOMAIN: TEAM,
  ACCESS_AUD: AUD,
  ACCESS_ADMIN_EMAILS: "Boss@Example.com, other@example.com",
};

const HEADER = "Cf-Access-Jwt-Assertion";

async function visit(env: Record<string, string>, jwt: string) {
  const browser = new ConsoleClient(env);
  const page = await browser.get("/", { [HEADER]: jwt });
  return { browser, page };
}

describe("Cloudflare Access sign-in", () => {
  it("signs in an email listed in ACCESS_ADMIN_EMAILS as admin, with a session cookie for later requests", async () => {
    const jwt = await sim.accessToken({ team: TEAM, aud: AUD, email: "boss@example.com" });
    const { browser, page } = await visit(ACCESS, jwt);
    expect(page.status).toBe(200);
    expect(page.text).toContain("boss@example.com");
    expect(page.text).toContain("Connect a Cloudflare account");
    expect(browser.cookies.has("cc_session")).toBe(true);
    expect((await browser.get("/accounts")).status).toBe(200);
  });

  it("signs in any other Access user read-only", async () => {
    const jwt = await sim.accessToken({ team: TEAM, aud: AUD, email: "auditor@example.com" });
    const { browser, page } = await visit(ACCESS, jwt);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain("Connect a Cloudflare account");
    const post = await browser.post("/integrations", { label: "x" });
    expect(post.status).toBe(403);
  });

  it("ignores a JWT for another audience, an expired one, one signed with another key, and junk", async () => {
    const jwts = [
      await sim.accessToken({ team: TEAM, aud: "another-app", email: "boss@example.com" }),
      await sim.accessToken({ team: TEAM, aud: AUD, email: "boss@example.com", expiresIn: -120 }),
      await sim.accessToken({ team: TEAM, aud: AUD, email: "boss@example.com", foreignKey: true }),
      await sim.accessToken({
        team: "someone-else.cloudflareaccess.com",
        aud: AUD,
        email: "boss@example.com",
      }),
      "not-a-jwt",
    ];
    for (const jwt of jwts) {
      const { browser, page } = await visit(ACCESS, jwt);
      expect(page.status, jwt).toBe(303);
      expect(page.location).toBe("/sign-in");
      expect(browser.cookies.has("cc_session")).toBe(false);
    }
    // The reason survives minification: jose's error code, not its (minified) class name.
    const reasons = expectLogged("warn", "access_jwt_refused").map((line) => String(line.error));
    for (const code of ["ERR_JWT_CLAIM_VALIDATION_FAILED", "ERR_JWT_EXPIRED", "ERR_JWS_INVALID"]) {
      expect(
        reasons.some((r) => r.startsWith(`${code}: `)),
        code,
      ).toBe(true);
    }
  });

  it("ignores the header when Access is not configured", async () => {
    const jwt = await sim.accessToken({ team: TEAM, aud: AUD, email: "boss@example.com" });
    const { page } = await visit({}, jwt);
    expect(page.status).toBe(303);
  });

  it("demotes an Access session to read when its email leaves ACCESS_ADMIN_EMAILS", async () => {
    const jwt = await sim.accessToken({ team: TEAM, aud: AUD, email: "other@example.com" });
    const { browser } = await visit(ACCESS, jwt);
    const demoted = new ConsoleClient({ ...ACCESS, ACCESS_ADMIN_EMAILS: "boss@example.com" });
    for (const [k, v] of browser.cookies) demoted.cookies.set(k, v);
    const page = await demoted.get("/");
    expect(page.status).toBe(200);
    expect(page.text).not.toContain("Connect a Cloudflare account");
  });
});
