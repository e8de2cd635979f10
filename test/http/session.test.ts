// D1 Sessions on the API (docs/api.md#read-replicas): which session each request starts from,
// the bookmark every answer carries, and read-your-writes for a client that sends it back.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, callWorker } from "../support/api";
import { expectError } from "../support/errors";
import { setupAccount } from "../support/simulator";
import { connectAndSync } from "../support/sync";

const HEADER = "x-d1-bookmark";

/** The real binding, recording the constraint or bookmark each session was started from. */
function recordingDb() {
  const started: string[] = [];
  const db = env.DB;
  const spy = {
    prepare: (q: string) => db.prepare(q),
    batch: (s: D1PreparedStatement[]) => db.batch(s),
    exec: (q: string) => db.exec(q),
    dump: () => db.dump(),
    withSession: (constraint?: string) => {
      started.push(constraint ?? "(none)");
      return db.withSession(constraint);
    },
  } as D1Database;
  return { db: spy, started };
}

let integrationId: string;

beforeAll(async () => {
  integrationId = (await connectAndSync(await setupAccount({ generateMembers: 12 }))).integration.id;
});

describe("D1 sessions", () => {
  it("reads start unconstrained or at the bookmark sent; writes start on the primary", async () => {
    const { db, started } = recordingDb();
    await callWorker({ DB: db }, "GET", `/v1/integrations/${integrationId}/accounts`);
    await callWorker({ DB: db }, "GET", "/v1/people", {
      headers: { [HEADER]: "0000000a-00000002-00004f7c-abc" },
    });
    await callWorker({ DB: db }, "PATCH", `/v1/integrations/${integrationId}`, {
      body: { label: "Renamed once" },
      headers: { [HEADER]: "0000000a-00000002-00004f7c-abc" },
    });
    await callWorker({ DB: db }, "POST", `/v1/integrations/${integrationId}/sync`);
    expect(started).toEqual([
      "first-unconstrained",
      "0000000a-00000002-00004f7c-abc",
      "first-primary",
      "first-primary",
    ]);
  });

  it("gives every answer a bookmark, and a client that sends back its write's bookmark reads the write", async () => {
    const list = await api("GET", `/v1/integrations/${integrationId}/accounts?limit=5`);
    expect(list.status).toBe(200);
    const first = list.headers.get(HEADER);
    expect(first).toMatch(/^[0-9A-Za-z-]+$/);
    const csv = await api("GET", `/v1/integrations/${integrationId}/accounts?format=csv`, {
      headers: { [HEADER]: first! },
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get(HEADER)).toMatch(/^[0-9A-Za-z-]+$/);

    const patched = await api("PATCH", `/v1/integrations/${integrationId}`, {
      body: { label: "Renamed twice" },
    });
    expect(patched.status, patched.text).toBe(200);
    const written = patched.headers.get(HEADER)!;
    expect(written).toMatch(/^[0-9A-Za-z-]+$/);
    const read = await api("GET", `/v1/integrations/${integrationId}`, { headers: { [HEADER]: written } });
    expect(read.body.label).toBe("Renamed twice");
    // Bookmarks order the database's states; the write's is not older than the read before it.
    expect(written >= first!).toBe(true);
    const missing = await api("GET", "/v1/integrations/nope");
    expect(missing.status).toBe(404);
    expect(missing.headers.get(HEADER)).not.toBeNull();
  });

  it("refuses a bookmark that is not one, before it reaches D1", async () => {
    for (const bad of ["x".repeat(300), "abc def", "00;DROP"]) {
      expectError(await api("GET", "/v1/accounts", { headers: { [HEADER]: bad } }), 400, "validation_failed");
    }
  });
});
