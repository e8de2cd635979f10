import { describe, expect, it } from "vitest";
import type { CloudflareClient } from "../../src/cloudflare/client";
import { TOKEN_BUDGET_REQUESTS, TOKEN_BUDGET_WINDOW_MS } from "../../src/cloudflare/errors";
import { PACER_BURST, Pacer, SYNC_BUDGET_SHARE } from "../../src/sync/pacer";

/** A pacer on a fake clock: waiting advances time instead of sleeping. */
function fakePacer(rateLimit: CloudflareClient["rateLimit"] = null) {
  let now = 0;
  const sent: number[] = [];
  const client = { rateLimit } as CloudflareClient;
  const pacer = new Pacer(
    client,
    async (ms) => {
      now += ms;
    },
    () => now,
  );
  const request = async () => {
    const r = await pacer.acquire();
    if (r.ok) sent.push(now);
    return r;
  };
  return { request, sent, clock: () => now };
}

describe("pacing under the token's rate budget", () => {
  it("sends a burst at once, then never more than its share in any 5-minute window", async () => {
    const { request, sent } = fakePacer();
    for (let i = 0; i < 1500; i++) expect((await request()).ok).toBe(true);
    expect(sent.filter((t) => t === 0)).toHaveLength(PACER_BURST);
    const share = TOKEN_BUDGET_REQUESTS * SYNC_BUDGET_SHARE;
    for (let i = 0; i < sent.length; i++) {
      const inWindow = sent.filter((t) => t >= sent[i]! && t < sent[i]! + TOKEN_BUDGET_WINDOW_MS).length;
      expect(inWindow).toBeLessThanOrEqual(share);
    }
  });

  it("hands the attempt back when Cloudflare says the token's budget is spent", async () => {
    const { request } = fakePacer({ remaining: 0, resetSeconds: 240 });
    const r = await request();
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatchObject({ kind: "budget", retryAfterSeconds: 240 });
  });
});
