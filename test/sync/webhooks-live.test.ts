// Webhooks through the real local queues (docs/webhooks.md#delivery): a change in "Cloudflare", a
// sync, and the signed event at the receiver, with nothing driven by hand; a slow receiver holds up
// neither the sync nor another endpoint.
import { describe, expect, it } from "vitest";
import { api } from "../support/api";
import { setupAccount, sim } from "../support/simulator";
import { connectAndSync, syncNow } from "../support/sync";
import { createWebhook, expectVerified, type Received, receiver, receiverUrl } from "../support/webhooks";

/** Polls the receiver until it accepted `count` deliveries (at most 15 s). */
async function accepted(name: string, count: number): Promise<Received[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const got = await receiver.accepted(name);
    if (got.length >= count) return got;
    if (Date.now() > deadline) throw new Error(`${name}: ${got.length} of ${count} deliveries arrived`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("webhooks through the local queues", () => {
  it("pushes a signed account.updated after the sync that saw the change", async () => {
    const account = await setupAccount({ generateMembers: 3 });
    const { integration } = await connectAndSync(account);
    const hook = await createWebhook({ url: receiverUrl("live-updated"), events: ["account.*"] });
    const [member] = await sim.members(account.accountId);
    await sim.patchMember(account.accountId, member!.id, {
      user: { two_factor_authentication_enabled: !member!.user.two_factor_authentication_enabled },
    });
    const run = await syncNow(integration.id);
    const [delivery] = await accepted("live-updated", 1);
    const body = await expectVerified(hook.secret, delivery!);
    expect(body).toMatchObject({
      type: "account.updated",
      data: { userAccountId: member!.id, syncId: run.id, changes: { twoFactorEnabled: expect.any(Object) } },
    });
    const deliveries = await api("GET", `/v1/webhooks/${hook.id}/deliveries`);
    expect(deliveries.body.data[0]).toMatchObject({
      eventId: body.data.id,
      outcome: "delivered",
      attempt: 1,
    });
  });

  it("lets a fast endpoint have every event while a slow one is still receiving, and the sync finish first", async () => {
    const account = await setupAccount({ generateMembers: 1 });
    const { integration } = await connectAndSync(account);
    await receiver.script("live-slow", [], { status: 204, delayMs: 600 });
    const slow = await createWebhook({ url: receiverUrl("live-slow"), events: ["account.*"] });
    const fast = await createWebhook({ url: receiverUrl("live-fast"), events: ["account.*"] });
    const members = Array.from({ length: 5 }, (_, i) => ({
      id: `5a0${i}`.padEnd(32, "0"),
      status: "pending",
      user: { email: `live-${i}@example.com` },
    }));
    await sim.addMembers(account.accountId, members);
    const started = Date.now();
    await syncNow(integration.id);
    const syncMs = Date.now() - started;
    const fastGot = await accepted("live-fast", 5);
    const slowSoFar = await receiver.received("live-slow");
    expect(slowSoFar.length).toBeLessThan(5);
    expect(syncMs).toBeLessThan(5 * 600);
    for (const delivery of fastGot) await expectVerified(fast.secret, delivery);
    const slowGot = await accepted("live-slow", 5);
    expect(slowGot.map((d) => d.headers["webhook-id"])).toEqual(fastGot.map((d) => d.headers["webhook-id"]));
    for (const delivery of slowGot) await expectVerified(slow.secret, delivery);
  });
});
