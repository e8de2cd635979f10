// The client's waits on 429 (docs/sync.md#pacing-and-rate-limits): a short Retry-After is waited
// out, exactly as long as Cloudflare asked, before the same request is sent again; a long one
// ends the attempt at once. Waits are recorded by an injected sleep, so the test takes no time.
import { describe, expect, it } from "vitest";
import { CloudflareClient, SHORT_RETRY_AFTER_MAX_SECONDS } from "../../src/cloudflare/client";
import { memberListSchema } from "../../src/cloudflare/schemas";
import { SIMULATOR_ORIGIN } from "../support/constants";
import { setupAccount, sim } from "../support/simulator";

async function clientFor(retryAfter: number, times: number) {
  const account = await setupAccount({ generateMembers: 3 });
  await sim.fault(
    { accountId: account.accountId, path: "members" },
    { kind: "rate_limit", retryAfter },
    times,
  );
  const waits: number[] = [];
  const client = new CloudflareClient({
    baseUrl: `${SIMULATOR_ORIGIN}/client/v4`,
    token: account.token,
    timeoutMs: 1_500,
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
  const listMembers = () =>
    client.get(`/accounts/${account.accountId}/members`, { page: 1 }, memberListSchema);
  return { client, waits, listMembers, account };
}

describe("Retry-After", () => {
  it("waits exactly the Retry-After of each short 429 before sending the request again", async () => {
    const { client, waits, listMembers } = await clientFor(2, 2);
    const page = await listMembers();
    expect(page.ok).toBe(true);
    expect(waits).toEqual([2_000, 2_000]);
    expect(client.requests).toBe(3);
  });

  it("waits the longest short Retry-After in full", async () => {
    const { waits, listMembers } = await clientFor(SHORT_RETRY_AFTER_MAX_SECONDS, 1);
    expect((await listMembers()).ok).toBe(true);
    expect(waits).toEqual([SHORT_RETRY_AFTER_MAX_SECONDS * 1_000]);
  });

  it("does not wait for a long Retry-After: the attempt ends with it, for the queue to honour", async () => {
    const { client, waits, listMembers } = await clientFor(SHORT_RETRY_AFTER_MAX_SECONDS + 1, 1);
    const page = await listMembers();
    expect(!page.ok && page.error).toMatchObject({
      kind: "rate_limited",
      retryAfterSeconds: SHORT_RETRY_AFTER_MAX_SECONDS + 1,
    });
    expect(waits).toEqual([]);
    expect(client.requests).toBe(1);
  });
});
