// The admin console in a real headless Chromium (docs/console.md#tests), against the demo: sign
// in, connect a demo organization, watch its first sync finish, filter accounts, open a timeline,
// download the CSV, sign out; a read session and a forged form are refused; axe-core finds no
// serious or critical violation on any page. UPDATE_SCREENSHOTS=1 rewrites docs/console/*.png.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  type AxeSummary,
  DEMO_REVOKED_TOKEN,
  DEMO_USER_TOKEN,
  type Demo,
  READ_TOKEN,
  ROOT,
  runAxe,
  startDemo,
} from "./harness";

const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === "1";
/** The demo roster's leaver who still has access (scripts/demo-roster.mjs). */
const DEMO_LEAVER = "zoe.angstrom@acme-corp.example";
/** Acme Corp in the demo simulator, and one of its members (README walkthrough, step 5). */
const ACME_ID = "3f2a9c1e7b5d4f60a8e2c4b6d8f01a23";
const ACME_MEMBER = "a6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1";
const SCREENSHOT_DIR = join(ROOT, "docs", "console");

let demo: Demo;
let context: BrowserContext;
let page: Page;
const axeResults: AxeSummary[] = [];

beforeAll(async () => {
  demo = await startDemo();
  context = await demo.browser.newContext({
    baseURL: demo.base,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
  });
  page = await context.newPage();
});

afterAll(async () => {
  if (axeResults.length > 0) {
    console.log(
      [
        "axe-core (serious + critical / all violations) per page:",
        ...axeResults.map(
          (r) =>
            `  ${r.page}: ${r.violations.filter((v) => v.impact === "serious" || v.impact === "critical").length} / ${r.violations.length}${r.violations.length ? ` (${r.violations.map((v) => `${v.id}:${v.impact}`).join(", ")})` : ""}`,
        ),
      ].join("\n"),
    );
  }
  await demo?.stop();
});

/** axe-core on the current page: no serious or critical violation; optionally a screenshot. */
async function checkPage(name: string, screenshot?: string) {
  const summary = await runAxe(page, name);
  axeResults.push(summary);
  const serious = summary.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious, `${name}: ${JSON.stringify(serious, null, 2)}`).toEqual([]);
  if (SCREENSHOTS && screenshot) {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${screenshot}.png`) });
  }
}

async function signIn(p: Page, token: string) {
  await p.goto("/");
  await p.getByLabel("API token").fill(token);
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.waitForURL((url) => url.pathname === "/");
}

/** Reloads the overview until the integration's badge says `ok`. */
async function waitForFirstSync(label: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    await page.goto("/");
    const heading = page.getByRole("heading", { level: 2, name: new RegExp(label) });
    if ((await heading.textContent())?.includes("ok")) return;
    if (Date.now() > deadline)
      throw new Error(`first sync of ${label} did not finish: ${await heading.textContent()}`);
    await page.waitForTimeout(500);
  }
}

describe("the admin console in Chromium", () => {
  it("sends a visitor to sign in, and signs in with the admin token", async () => {
    await page.goto("/");
    expect(new URL(page.url()).pathname).toBe("/sign-in");
    await checkPage("sign-in", "sign-in");
    await signIn(page, ADMIN_TOKEN);
    expect(await page.getByText("No Cloudflare account is connected yet.").isVisible()).toBe(true);
    await checkPage("integrations (empty)");
  });

  it("shows the API's own error in place when a connect fails, keeping what was typed", async () => {
    await page.getByLabel("Label").fill("Production");
    await page.getByLabel("Organization name").fill("Acme Corp");
    await page.getByLabel("Read-only API token").fill(DEMO_REVOKED_TOKEN);
    await page.getByRole("button", { name: "Connect" }).click();
    const alert = page.getByRole("alert");
    expect(await alert.textContent()).toMatch(/token/i);
    expect(await page.getByLabel("Organization name").inputValue()).toBe("Acme Corp");
    await checkPage("integrations (connect error)");
  });

  it("connects Acme Corp and sees its first sync finish", async () => {
    await page.getByLabel("Label").fill("Production");
    await page.getByLabel("Organization name").fill("Acme Corp");
    await page.getByLabel("Read-only API token").fill(DEMO_USER_TOKEN);
    await page.getByRole("button", { name: "Connect" }).click();
    expect(await page.getByRole("status").textContent()).toContain("Connected");
    await waitForFirstSync("Production");
    await page.getByLabel("Label").fill("Globex");
    await page.getByLabel("Organization name").fill("Globex Industries");
    await page.getByLabel("Read-only API token").fill(DEMO_USER_TOKEN);
    await page.getByRole("button", { name: "Connect" }).click();
    await waitForFirstSync("Globex");
    await checkPage("integrations", "integrations");
  });

  it("filters accounts with the form and pages through them", async () => {
    await page.getByRole("link", { name: "Accounts", exact: true }).first().click();
    await checkPage("accounts", "accounts");
    await page.getByLabel("Status").selectOption("pending");
    await page.getByRole("button", { name: "Filter" }).click();
    expect(new URL(page.url()).searchParams.get("status")).toBe("pending");
    const statuses = await page.locator("tbody tr td:nth-child(4)").allTextContents();
    expect(statuses.length).toBeGreaterThan(0);
    for (const s of statuses) expect(s).toMatch(/^pending/);
    await checkPage("accounts (pending)");
  });

  it("downloads the CSV of the current filter", async () => {
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download CSV of this filter" }).click(),
    ]);
    const text = readFileSync((await download.path())!, "utf8");
    const lines = text.trimEnd().split("\r\n");
    expect(lines[0]).toMatch(/^integration_id,id,user_id,email/);
    const rows = await page.locator("tbody tr").count();
    expect(lines.length - 1).toBe(rows);
  });

  it("syncs a change made in Cloudflare and shows it on the account's timeline, with who made it", async () => {
    // An admin turns on 2FA for a member in "the dashboard" (the simulator's control API).
    const member = `${demo.simBase}/__sim/accounts/${ACME_ID}/members/${ACME_MEMBER}`;
    const changed = await fetch(`${member}?actor=it-admin@acme-corp.example`, {
      method: "PATCH",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user: { two_factor_authentication_enabled: true } }),
    });
    expect(changed.status).toBeLessThan(300);
    const members = (await (await fetch(`${demo.simBase}/__sim/accounts/${ACME_ID}/members`)).json()) as {
      members: { id: string; user: { email: string } }[];
    };
    const email = members.members.find((m) => m.id === ACME_MEMBER)!.user.email;
    await page.goto("/");
    await page.getByRole("button", { name: "Sync now" }).first().click();
    expect(await page.getByRole("status").textContent()).toContain("Sync queued");
    await waitForFirstSync("Production");
    await page.goto(`/accounts?q=${encodeURIComponent(email)}`);
    await page.getByRole("link", { name: email }).click();
    expect(await page.getByRole("heading", { name: "Change timeline" }).isVisible()).toBe(true);
    const timeline = await page.locator(".timeline").textContent();
    expect(timeline).toContain("Added");
    expect(timeline).toContain("Changed");
    expect(timeline).toContain("it-admin@acme-corp.example");
    await checkPage("account", "account");
  });

  it("shows findings, people with the offboarding view, and sync history", async () => {
    await page.goto("/findings");
    await checkPage("findings", "findings");
    await page.goto("/people");
    await checkPage("people", "people");
    await page.getByLabel("Email or name contains").fill("zoe");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("link", { name: DEMO_LEAVER }).click();
    // The offboarding view: a leaver on the roster who is still a member somewhere.
    expect(await page.locator("p.fix").textContent()).toContain("leaver");
    await checkPage("person", "person");
    await page.goto("/");
    await page.getByRole("link", { name: "Sync history" }).first().click();
    expect(await page.getByText("succeeded").first().isVisible()).toBe(true);
    await checkPage("sync history", "sync-history");
    await page.goto("/");
    await page.getByRole("link", { name: "Delete…" }).first().click();
    await checkPage("delete confirmation");
  });

  it("refuses a form whose CSRF token was tampered with", async () => {
    await page.goto("/");
    await page.evaluate(() => {
      document.querySelectorAll<HTMLInputElement>('input[name="_csrf"]').forEach((input) => {
        input.value = "forged";
      });
    });
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST"),
      page.getByRole("button", { name: "Sync now" }).first().click(),
    ]);
    expect(response.status()).toBe(403);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Form refused");
  });

  it("signs out", async () => {
    await page.goto("/");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((url) => url.pathname === "/sign-in");
    await page.goto("/accounts");
    expect(new URL(page.url()).pathname).toBe("/sign-in");
  });

  it("gives a read session no write forms and refuses its posts", async () => {
    const reader = await demo.browser.newContext({ baseURL: demo.base });
    const p = await reader.newPage();
    await signIn(p, READ_TOKEN);
    expect(await p.locator('form[method="post"]').count()).toBe(1); // sign-out only
    expect(await p.getByRole("button", { name: "Sync now" }).count()).toBe(0);
    const csrf = await p.locator('input[name="_csrf"]').first().inputValue();
    const href = await p.getByRole("link", { name: "Sync history" }).first().getAttribute("href");
    const id = href!.split("/")[2]!;
    const refused = await reader.request.post(`/integrations/${id}/sync`, {
      form: { _csrf: csrf },
      maxRedirects: 0,
    });
    expect(refused.status()).toBe(403);
    await reader.close();
  });
});
