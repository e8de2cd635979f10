/**
 * The roster upload (docs/people.md#the-roster): CSV or JSON, validated whole (line numbers,
 * duplicates naming both lines), a bad upload changes nothing, the one route above 64 KiB, atomic
 * replacement, read back in pages or as CSV, removed with DELETE.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { activateRoster, purgeOldRosters, stageRoster } from "../../src/store/roster";
import { api, type RequestOptions, walkPages } from "../support/api";
import { expectError } from "../support/errors";

const csv = (text: string): RequestOptions => ({ rawBody: text, headers: { "Content-Type": "text/csv" } });
const put = (options: RequestOptions) => api("PUT", "/v1/roster", options);
const rosterNow = async () => {
  const page = await walkPages("/v1/roster", 1_000);
  return page.rows.map((p) => `${p.email}|${p.name}|${p.status}`);
};

afterEach(async () => {
  await api("DELETE", "/v1/roster");
});

describe("PUT /v1/roster", () => {
  it("replaces the roster from CSV, normalising emails and statuses, and reads it back", async () => {
    const uploaded = await put(
      csv(
        '\uFEFFEmail,Name,Status\r\n  Jane@Example.COM ,Jane Doe,Active\r\nsam@example.com,"Roe, Sam",LEAVER\r\n\r\nkim@example.com,,\r\n',
      ),
    );
    expect(uploaded.status, uploaded.text).toBe(200);
    expect(uploaded.body).toMatchObject({ roster: { people: 3, leavers: 1 }, findings: "queued" });
    expect(await rosterNow()).toEqual([
      "jane@example.com|Jane Doe|active",
      "kim@example.com|null|active",
      "sam@example.com|Roe, Sam|leaver",
    ]);
    const read = await api("GET", "/v1/roster?status=leaver");
    expect(read.body).toMatchObject({
      roster: { people: 3, leavers: 1 },
      data: [{ email: "sam@example.com" }],
    });
    const download = await api("GET", "/v1/roster?format=csv");
    expect(download.text).toBe(
      'email,name,status\r\njane@example.com,Jane Doe,active\r\nkim@example.com,,active\r\nsam@example.com,"Roe, Sam",leaver\r\n',
    );
  });

  it("accepts JSON, and a roster far above the 64 KiB limit of other routes", async () => {
    const people = Array.from({ length: 3_000 }, (_, i) => ({
      email: `person${String(i).padStart(5, "0")}@big.example`,
      name: `Person number ${i} with a fairly long name`,
      status: i % 100 === 0 ? "leaver" : "active",
    }));
    const body = { people };
    expect(JSON.stringify(body).length).toBeGreaterThan(64 * 1024 * 2);
    const uploaded = await put({ body });
    expect(uploaded.status, uploaded.text).toBe(200);
    expect(uploaded.body.roster).toMatchObject({ people: 3_000, leavers: 30 });
    expect((await walkPages("/v1/roster", 1_000)).rows).toHaveLength(3_000);
  });

  it("refuses a bad upload whole, naming each line, and keeps the roster it had", async () => {
    await put(csv("email,name,status\nkeep@example.com,Keep Me,active\n"));
    const before = await rosterNow();

    const error = expectError(
      await put(
        csv(
          [
            "email,name,status", // line 1
            'ok@example.com,"Two',
            'Lines",active', // lines 2-3: one record over two lines
            "not-an-email,X,active", // line 4
            "Dup@example.com,A,active", // line 5
            "b@example.com,B,retired", // line 6
            "dup@example.com,C,leaver", // line 7
            "c@example.com,C", // line 8
          ].join("\n"),
        ),
      ),
      400,
      "validation_failed",
    );
    expect(error.message).toMatch(/4 problems.*nothing was changed/);
    expect(error.details).toEqual([
      { path: "line 4", message: 'email "not-an-email" is not an email address' },
      { path: "line 6", message: 'status must be active or leaver (empty means active), not "retired"' },
      { path: "line 7", message: "dup@example.com is also on line 5: each email may appear once" },
      { path: "line 8", message: "has 2 fields; the header has 3" },
    ]);
    expect(await rosterNow()).toEqual(before);
  });

  it("refuses a header without email, unknown columns, an empty roster, and JSON entries by index", async () => {
    await put(csv("email\nkeep@example.com\n"));
    const before = await rosterNow();
    const cases: [RequestOptions, { path: string; message: RegExp }[]][] = [
      [csv("name,status\nJane,active\n"), [{ path: "line 1", message: /no email column/ }]],
      [csv("email,stauts\na@example.com,leaver\n"), [{ path: "line 1", message: /unknown column "stauts"/ }]],
      [csv("email,name,status\n"), [{ path: "roster", message: /empty.*DELETE \/v1\/roster/ }]],
      [csv(""), [{ path: "line 1", message: /file is empty/ }]],
      [
        {
          body: {
            people: [
              { email: "a@example.com" },
              { email: 7 },
              "x",
              { email: "A@example.com", status: "gone" },
            ],
          },
        },
        [
          { path: "people[1]", message: /email is missing/ },
          { path: "people[2]", message: /each person is an object/ },
          { path: "people[3]", message: /status must be active or leaver/ },
        ],
      ],
      [{ body: { members: [] } }, [{ path: "people", message: /expected \{"people"/ }]],
    ];
    for (const [request, details] of cases) {
      const error = expectError(await put(request), 400, "validation_failed");
      expect(error.details).toEqual(
        details.map((d) => ({ path: d.path, message: expect.stringMatching(d.message) })),
      );
    }
    expect(await rosterNow()).toEqual(before);
  });

  it("refuses a wrong content type (415) and a body over 10 MiB (413) before reading it, changing nothing", async () => {
    await put(csv("email\nkeep@example.com\n"));
    const before = await rosterNow();
    expectError(
      await put({ rawBody: "email\na@example.com\n", headers: { "Content-Type": "text/plain" } }),
      415,
      "unsupported_media_type",
    );
    const line = "someone.with.a.long.address@example.com,Some Name,active\n";
    const huge = `email,name,status\n${line.repeat(Math.ceil((10 * 1024 * 1024) / line.length) + 10)}`;
    const tooLarge = expectError(await put(csv(huge)), 413, "payload_too_large");
    expect(tooLarge.message).toMatch(/10 MiB/);
    expect(await rosterNow()).toEqual(before);
  });

  it("refuses more than 100,000 people", async () => {
    const people = Array.from({ length: 100_001 }, (_, i) => `${i}@x.io`).join("\n");
    const error = expectError(await put(csv(`email\n${people}\n`)), 400, "validation_failed");
    expect(error.details).toEqual([
      { path: "roster", message: expect.stringMatching(/100001 people; at most 100000/) },
    ]);
  });

  it("is write-only for the admin token", async () => {
    const { READER } = await import("../support/api");
    expectError(
      await api("PUT", "/v1/roster", { ...csv("email\na@example.com\n"), token: READER }),
      403,
      "forbidden",
    );
    expectError(await api("DELETE", "/v1/roster", { token: READER }), 403, "forbidden");
    expect((await api("GET", "/v1/roster", { token: READER })).status).toBe(200);
  });
});

describe("DELETE /v1/roster", () => {
  it("removes the roster; a second delete is 404", async () => {
    await put(csv("email\na@example.com\n"));
    const removed = await api("DELETE", "/v1/roster");
    expect(removed.status, removed.text).toBe(200);
    expect(removed.body).toEqual({ roster: null, findings: "queued" });
    expect((await api("GET", "/v1/roster")).body).toEqual({ roster: null, data: [], nextCursor: null });
    expectError(await api("DELETE", "/v1/roster"), 404, "not_found");
  });
});

describe("the switch to a new roster", () => {
  it("happens only when every staged person is there, and abandoned staging is purged", async () => {
    await put(csv("email\nkeep@example.com\n"));
    const people = Array.from({ length: 12_000 }, (_, i) => ({
      email: `s${i}@example.com`,
      name: null,
      status: "active" as const,
    }));
    await stageRoster(
      env.DB,
      { id: "staged-1", createdAt: new Date(Date.now() - 2 * 3_600_000).toISOString() },
      people,
    );
    // A purge (or anything else) took one staged row: the upload must not become the roster.
    await env.DB.prepare(
      "DELETE FROM roster_people WHERE upload_id = 'staged-1' AND email = 's5@example.com'",
    ).run();
    expect(await activateRoster(env.DB, "staged-1", new Date().toISOString())).toBe(false);
    expect(await rosterNow()).toEqual(["keep@example.com|null|active"]);

    // It was staged over an hour ago: the upload died; its rows go, the current roster stays.
    expect(await purgeOldRosters(env.DB, Date.now())).toBe(11_999);
    const left = await env.DB.prepare(
      "SELECT upload_id, COUNT(*) AS n FROM roster_people GROUP BY upload_id",
    ).all();
    expect(left.results).toEqual([{ upload_id: expect.any(String), n: 1 }]);
    expect(await rosterNow()).toEqual(["keep@example.com|null|active"]);
  });
});
