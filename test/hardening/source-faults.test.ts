/**
 * Fault matrix for the optional sources (docs/sources.md#states): each source × where the fault
 * hits (first, middle, last page where the source pages) × 5xx, timeout, malformed answer, 403.
 * For every case the members still sync, the faulted source's stored data stays exactly as it
 * was, the other sources are brought up to date, and the source's state says why.
 */
import { describe, expect, it } from "vitest";
import { api, walkPages } from "../support/api";
import { rawMember, sim, uniqueName } from "../support/simulator";
import { connectAndSync, syncNow } from "../support/sync";

type Source = "auditLog" | "apiTokens" | "sso";
const ROUTE: Record<Source, string> = { auditLog: "audit", apiTokens: "tokens", sso: "sso" };

const FAULTS = {
  "5xx on every try": { fault: { kind: "status", status: 503 }, times: 3, state: "unavailable" },
  "timeout on every try": { fault: { kind: "timeout", ms: 2_000 }, times: 3, state: "unavailable" },
  "malformed JSON": { fault: { kind: "malformed_json" }, times: 1, state: "unavailable" },
  "403 (permission taken away)": {
    fault: { kind: "status", status: 403 },
    times: 1,
    state: "permission_missing",
  },
} as const;

/** 101 tokens: three pages of 50 on GET /accounts/{id}/tokens. */
const TOKENS = 101;

interface Case {
  source: Source;
  page: number;
  where: string;
  fault: keyof typeof FAULTS;
}

const cases: Case[] = [];
for (const fault of Object.keys(FAULTS) as (keyof typeof FAULTS)[]) {
  for (const [page, where] of [
    [1, "first"],
    [2, "middle"],
    [3, "last"],
  ] as const) {
    // Timeouts cost seconds each: the first page shows the rule.
    if (fault !== "timeout on every try" || page === 1)
      cases.push({ source: "apiTokens", page, where, fault });
  }
  cases.push({
    source: "auditLog",
    page: 1,
    where: "first (cursor-paged; one page holds 1,000 entries)",
    fault,
  });
  cases.push({ source: "sso", page: 1, where: "only", fault });
}

async function setup() {
  const name = uniqueName("Sources");
  const accountId = await sim.createAccount({
    name,
    members: [rawMember(1)],
    ssoConnectors: [{ emailDomain: "before.example" }],
  });
  for (let i = 0; i < TOKENS; i++)
    await sim.createToken({
      kind: "account",
      accountIds: [accountId],
      name: `t${String(i).padStart(3, "0")}`,
    });
  const token = await sim.createToken({ kind: "user", accountIds: [accountId] });
  const { integration } = await connectAndSync({ name, token });
  return { accountId, integrationId: integration.id as string };
}

const stored = async (integrationId: string) => ({
  tokens: (await walkPages(`/v1/integrations/${integrationId}/api-tokens`, 500)).rows.map((t) => t.name),
  sso: (await api("GET", `/v1/integrations/${integrationId}`)).body.sso,
  actors: (await walkPages(`/v1/integrations/${integrationId}/events`, 500)).rows
    .filter((e) => e.userAccountId === rawMember(2).id)
    .map((e) => e.actor?.email ?? null),
});

describe("a fault in an optional source changes nothing of that source, and nothing else", () => {
  for (const c of cases) {
    it(`${c.source}, ${c.where} page: ${c.fault}`, async () => {
      const { accountId, integrationId } = await setup();
      // Changes every source would pick up: a new member made by an admin, a new token, new SSO.
      await sim.addMembers(accountId, [rawMember(2)], "admin@example.com");
      await sim.createToken({ kind: "account", accountIds: [accountId], name: "t-new" });
      await sim.patchAccount(accountId, { ssoConnectors: [{ emailDomain: "after.example" }] });
      const before = await stored(integrationId);
      const { fault, times, state } = FAULTS[c.fault];
      await sim.fault({ accountId, path: ROUTE[c.source], page: c.page }, fault, times);

      const run = await syncNow(integrationId);
      expect(run).toMatchObject({ status: "succeeded", counts: { added: 1 } });
      expect(run.sources[c.source].state).toBe(state);
      const shown = (await api("GET", `/v1/integrations/${integrationId}`)).body;
      expect(shown.sources[c.source]).toBe(state);
      expect(shown.sourceMessages[c.source]).toBeTruthy();

      const after = await stored(integrationId);
      const expected = {
        tokens: c.source === "apiTokens" ? before.tokens : [...before.tokens, "t-new"].sort(),
        sso: c.source === "sso" ? before.sso : { enabled: true, emailDomains: ["after.example"] },
        actors: c.source === "auditLog" ? [null] : ["admin@example.com"],
      };
      expect(after).toEqual(expected);
      await sim.clearFaults({ accountId });
    });
  }
});
