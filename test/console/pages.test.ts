// Console pages (docs/console.md#pages): what an admin sees, every value escaped, the connect form
// showing the API's own errors in place, and the same lists as the API.
import { beforeAll, describe, expect, it } from "vitest";
import { api, READER } from "../support/api";
import { ConsoleClient } from "../support/console";
import { rawMember, setupAccount, sim, uniqueName } from "../support/simulator";
import { connectAndSync, waitForRun } from "../support/sync";

const HOSTILE_FIRST = `<script>alert("x")</script>`;
const HOSTILE_LAST = `"><img src=x onerror=alert(1)> O'Brien`;

let integrationId: string;
let accountName: string;
const admin = new ConsoleClient();

beforeAll(async () => {
  const members = [
    rawMember(1, { status: "pending" }),
    rawMember(2),
    rawMember(3, {
      user: {
        id: "u3",
        email: "evil@example.com",
        first_name: HOSTILE_FIRST,
        last_name: HOSTILE_LAST,
        two_factor_authentication_enabled: false,
      },
    }),
  ];
  const account = await setupAccount({ members, name: uniqueName(`Acme "<b>`) });
  accountName = account.name;
  const { integration } = await connectAndSync(account, `Label <i>'quoted"`);
  integrationId = integration.id;
  await admin.signIn();
});

/** No raw markup from data: the hostile strings appear only escaped. */
function expectEscaped(html: string) {
  expect(html).not.toContain("<script>");
  expect(html).not.toContain("<img src=x");
  expect(html).not.toContain("<b>");
  expect(html).not.toContain("<i>");
}

describe("console pages", () => {
  it("the overview shows the integration, ok, with its counts and write controls, escaped", async () => {
    const page = await admin.get("/");
    expect(page.status).toBe(200);
    expect(page.text).toContain("&lt;i&gt;");
    expect(page.text).toContain("Sync now");
    expect(page.text).toContain(`action="/integrations/${integrationId}/sync"`);
    expectEscaped(page.text);
    expect(page.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
    expect(page.headers.get("Content-Security-Policy")).not.toContain("unsafe-inline");
    expect(page.headers.get("X-Frame-Options")).toBe("DENY");
  });

  it("the accounts page lists the same accounts as the API, with badges, escaped", async () => {
    const page = await admin.get(`/accounts?integrationId=${integrationId}`);
    expect(page.status).toBe(200);
    expectEscaped(page.text);
    expect(page.text).toContain("&lt;script&gt;");
    expect(page.text).toContain("no 2FA");
    expect(page.text).toMatch(/pending \d+ d/);
    const json = await api("GET", `/v1/integrations/${integrationId}/accounts`);
    for (const a of json.body.data) expect(page.text).toContain(a.email);
  });

  it("filters like the API and shows its validation message in place", async () => {
    const pending = await admin.get(`/accounts?integrationId=${integrationId}&status=pending`);
    expect(pending.text).toContain("person1@example.com");
    expect(pending.text).not.toContain("person2@example.com");
    const bad = await admin.get("/accounts?status=bogus");
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("status: must be accepted, pending, rejected or unknown");
  });

  it("pages with Next and Previous over the API's cursors", async () => {
    const first = await admin.get(`/accounts?integrationId=${integrationId}&limit=1`);
    const next = /href="([^"]+)" rel="next"/.exec(first.text)![1]!.replaceAll("&amp;", "&");
    const second = await admin.get(next);
    expect(second.text).toContain("person1@example.com");
    expect(second.text).not.toContain("evil@example.com");
    const prev = /href="([^"]+)" rel="prev"/.exec(second.text)![1]!.replaceAll("&amp;", "&");
    expect((await admin.get(prev)).text).toContain("evil@example.com");
  });

  it("downloads the CSV of the current filter", async () => {
    const csv = await admin.get(`/accounts.csv?integrationId=${integrationId}&status=pending`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("Content-Type")).toMatch(/^text\/csv/);
    expect(csv.text.trimEnd().split("\r\n")).toHaveLength(2);
    expect(csv.headers.get("Cache-Control")).toBe("no-store");
  });

  it("one account shows its details and its timeline with the sync's added event", async () => {
    const accounts = await api("GET", `/v1/integrations/${integrationId}/accounts?q=evil`);
    const id = accounts.body.data[0].id;
    const page = await admin.get(`/integrations/${integrationId}/accounts/${id}`);
    expect(page.status).toBe(200);
    expectEscaped(page.text);
    expect(page.text).toContain("Added");
    expect((await admin.get(`/integrations/${integrationId}/accounts/nope`)).status).toBe(404);
  });

  it("findings and sync history render, escaped", async () => {
    const findings = await admin.get(`/findings?integrationId=${integrationId}`);
    expect(findings.status).toBe(200);
    expect(findings.text).toContain("evil@example.com");
    expectEscaped(findings.text);
    const syncs = await admin.get(`/integrations/${integrationId}/syncs`);
    expect(syncs.status).toBe(200);
    expect(syncs.text).toContain("succeeded");
  });

  it("the connect form shows the API's own error messages in place, keeping what was typed", async () => {
    const missing = await admin.post("/integrations", {
      label: "",
      organizationName: "Nope Inc",
      apiToken: "short",
    });
    expect(missing.status).toBe(400);
    expect(missing.text).toContain("must not be empty");
    expect(missing.text).toContain("must be a Cloudflare API token");
    expect(missing.text).toContain('value="Nope Inc"');
    const token = await sim.createToken({ kind: "user", accountIds: [] });
    const notFound = await admin.post("/integrations", {
      label: "X",
      organizationName: "Nope Inc",
      apiToken: token,
    });
    expect(notFound.status).toBe(422);
    expect(notFound.text).toContain("Nope Inc");
    expect(notFound.text).not.toContain(token);
  });

  it("connects, syncs now, disables and deletes through the forms", async () => {
    const account = await setupAccount({ generateMembers: 2 });
    const connected = await admin.post("/integrations", {
      label: "Console",
      organizationName: account.name,
      apiToken: account.token,
    });
    expect(connected.status).toBe(303);
    const list = await api("GET", "/v1/integrations");
    const created = list.body.data.find((i: any) => i.organizationName === account.name);
    await waitForRun(created.lastSync.id);
    expect((await admin.post(`/integrations/${created.id}/sync`)).status).toBe(303);
    const again = await api("GET", `/v1/integrations/${created.id}`);
    await waitForRun(again.body.lastSync.id);
    expect((await admin.post(`/integrations/${created.id}/enabled`, { enabled: "false" })).status).toBe(303);
    expect((await api("GET", `/v1/integrations/${created.id}`)).body.enabled).toBe(false);
    const confirm = await admin.get(`/integrations/${created.id}/delete`);
    expect(confirm.text).toContain("cannot be undone");
    expect((await admin.post(`/integrations/${created.id}/delete`)).status).toBe(303);
    expect((await api("GET", `/v1/integrations/${created.id}`)).status).toBe(404);
  });

  it("a read session sees the data but no forms, and cannot open the delete confirmation", async () => {
    const reader = new ConsoleClient();
    await reader.signIn(READER);
    const page = await reader.get("/");
    expect(page.text).toContain(
      accountName.replaceAll('"', "&quot;").replaceAll("<", "&lt;").replaceAll(">", "&gt;"),
    );
    expect(page.text).not.toMatch(/method="post" action="\/integrations/);
    expect((await reader.get(`/integrations/${integrationId}/delete`)).status).toBe(403);
    expect((await reader.post(`/integrations/${integrationId}/sync`)).status).toBe(403);
  });
});

describe("people", () => {
  it("finds a person by email and shows where they still have access, escaped", async () => {
    const search = await admin.get("/people?q=evil");
    expect(search.status).toBe(200);
    expect(search.text).toContain("/people/evil%40example.com");
    expectEscaped(search.text);
    const person = await admin.get("/people/evil%40example.com");
    expect(person.status).toBe(200);
    expect(person.text).toContain("Still a member of");
    expect(person.text).toContain(`/integrations/${integrationId}/accounts/`);
    expectEscaped(person.text);
    expect((await admin.get("/people/nobody%40example.com")).status).toBe(404);
  });
});

describe("while a sync runs", () => {
  it("the overview reloads itself with a meta refresh, and stops once it finished", async () => {
    const account = await setupAccount({ generateMembers: 1 });
    const browser = new ConsoleClient();
    await browser.signIn();
    await browser.post("/integrations", {
      label: "Refresh",
      organizationName: account.name,
      apiToken: account.token,
    });
    const created = (await api("GET", "/v1/integrations")).body.data.find(
      (i: any) => i.organizationName === account.name,
    );
    // Right after connecting, the first sync is queued (or already running).
    const during = await browser.get("/");
    if (/syncing/.test(during.text)) expect(during.text).toContain('http-equiv="refresh"');
    await waitForRun(created.lastSync.id);
    const after = await browser.get("/");
    expect(after.text).not.toMatch(/<span class="badge b-info">syncing/);
    expect(after.text).not.toContain('http-equiv="refresh"');
  });
});

describe("an integration whose sync fails", () => {
  it("shows error with Cloudflare's message and what to do", async () => {
    const account = await setupAccount({ generateMembers: 1 });
    const { integration } = await connectAndSync(account, "Breaks");
    await sim.patchToken(account.token, { revoked: true });
    const started = await api("POST", `/v1/integrations/${integration.id}/sync`);
    await waitForRun(started.body.id);
    const page = await admin.get("/");
    const card = page.text.slice(page.text.indexOf(`id="i-${integration.id}"`));
    expect(card).toMatch(/<span class="badge b-bad">error<\/span>/);
    expect(card).toContain("paste it under New API token");
  });
});

describe("GET /v1/integrations/{id}/events?userAccountId=", () => {
  it("narrows the feed to one membership, the timeline the account page shows", async () => {
    const accounts = await api("GET", `/v1/integrations/${integrationId}/accounts?q=evil`);
    const id = accounts.body.data[0].id;
    const all = await api("GET", `/v1/integrations/${integrationId}/events`);
    const one = await api("GET", `/v1/integrations/${integrationId}/events?userAccountId=${id}`);
    expect(one.status).toBe(200);
    expect(all.body.data.length).toBeGreaterThan(one.body.data.length);
    expect(one.body.data.length).toBeGreaterThan(0);
    for (const e of one.body.data) expect(e.userAccountId).toBe(id);
    // A cursor of the whole feed is refused for one membership's walk (the filter is in its scope).
    const paged = await api("GET", `/v1/integrations/${integrationId}/events?limit=1`);
    const mixed = await api(
      "GET",
      `/v1/integrations/${integrationId}/events?userAccountId=${id}&cursor=${paged.body.nextCursor}`,
    );
    expect(mixed.status).toBe(400);
  });
});
