/**
 * The roster findings (docs/findings.md, docs/people.md): leaver_with_access for a roster leaver
 * still a member anywhere (one finding per account, naming it), unknown_person for a member the
 * roster does not list (only once a roster exists); recomputed by the queue job after a roster
 * change and by every sync; resolved when the roster goes.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { QueueMessage } from "../../src/sync/enqueue";
import { api, callWorker, walkPages } from "../support/api";
import { rawMember, setupAccount, sim, uniqueName } from "../support/simulator";
import { capturingQueue, connectAndSync, runQueueMessage, syncNow } from "../support/sync";

const findings = async (query: string) => (await walkPages(`/v1/findings?${query}`, 500)).rows;

/** This test's own findings of a type (the roster is shared by the file's tests). */
const ofType = async (type: string, domain: string) =>
  (await findings(`type=${type}`)).filter((f) => f.subject.email?.endsWith(`@${domain}`));

const member = (n: number, email: string) => {
  const m = rawMember(n, { email });
  return { ...m, user: { ...m.user, email } };
};

/** Uploads a roster with the queue captured, then runs its one message as the consumer would. */
async function uploadRoster(csv: string) {
  const { queue, messages } = capturingQueue();
  const response = await callWorker({ SYNC_QUEUE: queue }, "PUT", "/v1/roster", {
    rawBody: csv,
    headers: { "Content-Type": "text/csv" },
  });
  expect(response.status, response.text).toBe(200);
  await runRosterMessages(messages as QueueMessage[]);
}

async function removeRoster() {
  const { queue, messages } = capturingQueue();
  const response = await callWorker({ SYNC_QUEUE: queue }, "DELETE", "/v1/roster");
  expect(response.status, response.text).toBe(200);
  await runRosterMessages(messages as QueueMessage[]);
}

async function runRosterMessages(messages: QueueMessage[]) {
  expect(messages).toEqual([{ kind: "roster_findings", requestedAt: expect.any(String) }]);
  const result = await runQueueMessage({}, messages[0]!);
  expect(result.explicitAcks).toHaveLength(1);
}

const newDomain = () =>
  `${uniqueName("r")
    .replace(/[^a-z0-9]/gi, "")
    .toLowerCase()}.example`;

describe("roster findings", () => {
  it("leaver_with_access: one per account where a leaver is still a member, naming it; resolved as each access ends", async () => {
    const d = newDomain();
    const acme = await setupAccount({ members: [member(1, `Leaver@${d}`), member(2, `stays@${d}`)] });
    const globex = await setupAccount({ members: [member(3, `leaver@${d}`)] });
    const a = await connectAndSync(acme, "Acme");
    const g = await connectAndSync(globex, "Globex");
    expect(await ofType("leaver_with_access", d)).toEqual([]);

    await uploadRoster(`email,name,status\nleaver@${d},Lee Leaver,leaver\nstays@${d},Stay Put,active\n`);
    const open = await ofType("leaver_with_access", d);
    expect(open.map((f) => [f.integrationId, f.status, f.severity, f.subject])).toEqual(
      [
        [a.integration.id, "open", "high", { kind: "person", id: `leaver@${d}`, email: `Leaver@${d}` }],
        [g.integration.id, "open", "high", { kind: "person", id: `leaver@${d}`, email: `leaver@${d}` }],
      ].sort((x, y) => (`${x[0]}` < `${y[0]}` ? -1 : 1)),
    );
    const inAcme = open.find((f) => f.integrationId === a.integration.id);
    expect(inAcme.detail).toContain(`${acme.name} (Acme, account ${acme.accountId}) with Administrator`);
    expect(inAcme.remediation).toMatch(/Manage Account > Members and remove them/);
    expect(await ofType("unknown_person", d)).toEqual([]);

    // Removed from Acme in Cloudflare: Acme's finding resolves at the next sync, Globex's stays.
    await sim.replaceMembers(acme.accountId, [member(2, `stays@${d}`)]);
    await syncNow(a.integration.id);
    const after = await ofType("leaver_with_access", d);
    expect(after.map((f) => [f.integrationId, f.status])).toContainEqual([a.integration.id, "resolved"]);
    expect(after.map((f) => [f.integrationId, f.status])).toContainEqual([g.integration.id, "open"]);

    // The roster says they are back: the last one resolves without any sync.
    await uploadRoster(`email,name,status\nleaver@${d},Lee Leaver,active\nstays@${d},Stay Put,active\n`);
    expect((await ofType("leaver_with_access", d)).map((f) => f.status)).toEqual(["resolved", "resolved"]);
    await removeRoster();
  });

  it("unknown_person: only once a roster exists; resolved when the roster lists them or goes; reopened with a new openedAt", async () => {
    const d = newDomain();
    const acme = await setupAccount({ members: [member(10, `known@${d}`), member(11, `Orphan@${d}`)] });
    const { integration } = await connectAndSync(acme, "Acme");
    expect(await ofType("unknown_person", d)).toEqual([]);

    await uploadRoster(`email\nknown@${d}\n`);
    const [opened, ...others] = await ofType("unknown_person", d);
    expect(others).toEqual([]);
    expect(opened).toMatchObject({
      id: `unknown_person:${integration.id}:account:${rawMember(11).id}`,
      status: "open",
      severity: "medium",
      subject: { kind: "account", id: rawMember(11).id, email: `Orphan@${d}` },
      title: `Member not in the roster: Orphan@${d}`,
    });

    await uploadRoster(`email\nknown@${d}\norphan@${d}\n`);
    const [resolved] = await ofType("unknown_person", d);
    expect(resolved).toMatchObject({ id: opened.id, status: "resolved" });

    // A member added in Cloudflare is checked by the sync itself, no roster change needed.
    await sim.addMembers(acme.accountId, [member(12, `newcomer@${d}`)]);
    await syncNow(integration.id);
    expect(
      (await ofType("unknown_person", d)).filter((f) => f.status === "open").map((f) => f.subject.email),
    ).toEqual([`newcomer@${d}`]);

    await removeRoster();
    expect((await ofType("unknown_person", d)).every((f) => f.status === "resolved")).toBe(true);

    await uploadRoster(`email\nknown@${d}\nnewcomer@${d}\n`);
    const [reopened] = (await ofType("unknown_person", d)).filter((f) => f.status === "open");
    expect(reopened).toMatchObject({ id: opened.id, resolvedAt: null });
    expect(reopened.openedAt > resolved.resolvedAt).toBe(true);
    await removeRoster();
  });

  it("an unchanged re-sync with a roster writes no finding rows; the person view shows the roster status", async () => {
    const d = newDomain();
    const acme = await setupAccount({
      members: [member(20, `a@${d}`), member(21, `b@${d}`), member(22, `c@${d}`)],
    });
    const { integration } = await connectAndSync(acme, "Acme");
    await uploadRoster(`email,name,status\na@${d},Ann,active\nb@${d},Ben,leaver\n`);
    const count = async () =>
      (await env.DB.prepare(
        "SELECT (SELECT COUNT(*) FROM finding_events) + (SELECT COUNT(*) FROM findings) AS n",
      ).first<{ n: number }>())!.n;
    const before = await count();
    const stored = await env.DB.prepare("SELECT * FROM findings ORDER BY id").all();
    await syncNow(integration.id);
    expect(await count()).toBe(before);
    expect((await env.DB.prepare("SELECT * FROM findings ORDER BY id").all()).results).toEqual(
      stored.results,
    );

    const people = (await walkPages(`/v1/people?q=${d}`, 10)).rows.map((p) => [
      p.email,
      p.name,
      p.rosterStatus,
    ]);
    expect(people).toEqual([
      [`a@${d}`, "Ann", "active"],
      [`b@${d}`, "Ben", "leaver"],
      [`c@${d}`, "First22 Last22", "unknown"],
    ]);
    const leavers = await walkPages(`/v1/people?q=${d}&rosterStatus=leaver`, 10);
    expect(leavers.rows.map((p) => p.email)).toEqual([`b@${d}`]);
    const unknown = await walkPages(`/v1/people?q=${d}&rosterStatus=unknown`, 10);
    expect(unknown.rows.map((p) => p.email)).toEqual([`c@${d}`]);
    await removeRoster();
    expect((await api("GET", `/v1/people/b@${d}`)).body.rosterStatus).toBeNull();
  });
});
