/**
 * Change webhooks through the real local queues (docs/webhooks.md): a receiver in this process on
 * 127.0.0.1 that checks every signature with the official `standardwebhooks` verifier and notes
 * when each event arrived. Reports the time from a sync's commit to the receiver having its event,
 * deliveries per second to one endpoint, and the D1 rows written per delivered event (the outbox
 * row the sync's batch writes, and the delivery's own writes).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import type { Context } from "../lib/context";
import type { Figure } from "../lib/report";
import { grouped, median, percentile, progress, round, waitFor } from "../lib/util";

interface Arrival {
  id: string;
  type: string;
  syncId: string | undefined;
  at: number;
  verified: boolean;
}

/** A local receiver answering 204 at once; every arrival is verified and timed. */
async function startReceiver(): Promise<{
  server: Server;
  url: string;
  arrivals: Arrival[];
  setSecret: (s: string) => void;
}> {
  const arrivals: Arrival[] = [];
  let verifier: Webhook | null = null;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => {
      const at = Date.now();
      const body = Buffer.concat(chunks).toString("utf8");
      let verified = false;
      try {
        verifier?.verify(body, request.headers as Record<string, string>);
        verified = verifier !== null;
      } catch {
        verified = false;
      }
      const parsed = JSON.parse(body) as { type: string; data: { syncId?: string } };
      arrivals.push({
        id: String(request.headers["webhook-id"]),
        type: parsed.type,
        syncId: parsed.data.syncId,
        at,
        verified,
      });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}/hooks`,
    arrivals,
    setSecret: (secret) => {
      verifier = new Webhook(secret);
    },
  };
}

/** The members of an account, to toggle one member's 2FA per sync. */
async function toggleTwoFactor(ctx: Context, accountId: string, index: number) {
  const { members } = await ctx.b.control<{
    members: { id: string; user?: { two_factor_authentication_enabled?: boolean } }[];
  }>("GET", `/accounts/${accountId}/members`);
  const member = members[index % members.length]!;
  await ctx.b.control("PATCH", `/accounts/${accountId}/members/${member.id}`, {
    user: { two_factor_authentication_enabled: !(member.user?.two_factor_authentication_enabled ?? false) },
  });
}

async function addMembers(ctx: Context, accountId: string, count: number, tag: string) {
  const members = Array.from({ length: count }, (_, i) => ({
    id: `${tag}${i.toString(16).padStart(30, "0")}`,
    status: "pending",
    user: { email: `hook.${tag}.${i}@bench-webhooks.example` },
  }));
  await ctx.b.control("POST", `/accounts/${accountId}/members`, { members });
}

/** Syncs and returns the run, its sync_run log line (written just after the commit) and its rows. */
async function syncAndLog(ctx: Context, integrationId: string) {
  const started = await ctx.b.startSync(integrationId);
  const run = await ctx.b.finished(started.id);
  const log = await ctx.b.runLog(run.id);
  return { run, committedAt: Date.parse(log.time), rowsWritten: log.rowsWritten ?? 0 };
}

/** Commit → receiver, one changed member per sync, `reps` times. */
async function latency(
  ctx: Context,
  integrationId: string,
  accountId: string,
  arrivals: Arrival[],
  reps: number,
) {
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    await toggleTwoFactor(ctx, accountId, i);
    const { run, committedAt } = await syncAndLog(ctx, integrationId);
    const arrival = await waitFor(
      `the webhook of sync ${run.id}`,
      async () => arrivals.find((a) => a.syncId === run.id),
      30_000,
      5,
    );
    samples.push(arrival.at - committedAt);
  }
  return samples;
}

/** The ids of one sync's events in feed order. */
async function eventIdsOf(ctx: Context, integrationId: string, syncId: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { data: { id: string; syncId: string }[]; nextCursor: string | null } = await ctx.b.call(
      "GET",
      `/v1/integrations/${integrationId}/events?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    ids.push(...page.data.filter((e) => e.syncId === syncId).map((e) => e.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

export async function webhookFigures(ctx: Context): Promise<{ figures: Figure[]; data: unknown }> {
  const reps = Math.max(5, ctx.opts.reps * 3);
  const burst = ctx.opts.quick ? 100 : 500;
  const receiver = await startReceiver();
  try {
    const account = await ctx.b.account("Bench Webhooks", 50, { limit: 1_000_000, windowSeconds: 300 });
    const integration = await ctx.b.createIntegration("webhooks", account);
    await ctx.b.finished(integration.lastSync!.id);
    const hook = await ctx.b.call<{ id: string; secret: string }>(
      "POST",
      "/v1/webhooks",
      { url: receiver.url, events: ["account.*"], description: "bench receiver" },
      201,
    );
    receiver.setSecret(hook.secret);
    progress(`webhooks: endpoint subscribed; commit → receiver, ${reps} syncs of one change`);
    const samples = await latency(ctx, integration.id, account.accountId, receiver.arrivals, reps);

    // The outbox's cost in the sync's batch: the same burst of added members with the endpoint
    // off (no outbox rows) and on.
    await ctx.b.call("PATCH", `/v1/webhooks/${hook.id}`, { enabled: false }, 200);
    await addMembers(ctx, account.accountId, burst, "a0");
    const off = await syncAndLog(ctx, integration.id);
    await ctx.b.call("PATCH", `/v1/webhooks/${hook.id}`, { enabled: true }, 200);
    progress(`webhooks: a burst of ${grouped(burst)} events to one endpoint`);
    const mark = ctx.workerLog.events.length;
    await addMembers(ctx, account.accountId, burst, "b0");
    const on = await syncAndLog(ctx, integration.id);
    const burstArrivals = await waitFor(
      `${burst} webhooks of sync ${on.run.id}`,
      async () => {
        const got = receiver.arrivals.filter((a) => a.syncId === on.run.id);
        return got.length >= burst ? got : undefined;
      },
      300_000,
      20,
    );
    // The last delivery invocation logs its D1 line after its lease is released.
    await new Promise((r) => setTimeout(r, 1_000));
    const deliveryD1 = ctx.workerLog.events
      .slice(mark)
      .filter((e) => e.event === "bench_d1" && e.handler === "queue" && (e.webhookIds ?? []).length > 0);
    const deliveryRows = deliveryD1.reduce((sum, e) => sum + (e.rowsWritten as number), 0);
    const lastAt = Math.max(...burstArrivals.map((a) => a.at));
    const firstAt = Math.min(...burstArrivals.map((a) => a.at));
    const perSecond = (burst * 1000) / (lastAt - on.committedAt);
    const outboxRowsPerEvent = (on.rowsWritten - off.rowsWritten) / burst;
    const deliveryRowsPerEvent = deliveryRows / burst;
    const feedIds = await eventIdsOf(ctx, integration.id, on.run.id);
    const ordered = feedIds.join() === burstArrivals.map((a) => a.id).join();
    const verified = receiver.arrivals.every((a) => a.verified);

    const data = {
      latencyMs: { median: median(samples), p95: percentile(samples, 95), samples },
      burst: {
        events: burst,
        commitToLastMs: lastAt - on.committedAt,
        firstToLastMs: lastAt - firstAt,
        deliveriesPerSecond: round(perSecond, 1),
        queueInvocations: deliveryD1.length,
        deliveryRowsWritten: deliveryRows,
        deliveryQueries: deliveryD1.reduce((sum, e) => sum + (e.queries as number), 0),
        syncRowsWithEndpointOff: off.rowsWritten,
        syncRowsWithEndpointOn: on.rowsWritten,
        outboxRowsPerEvent: round(outboxRowsPerEvent, 2),
        deliveryRowsPerEvent: round(deliveryRowsPerEvent, 2),
        ordered,
      },
      everySignatureVerified: verified,
      received: receiver.arrivals.length,
    };
    progress(
      `webhooks: commit → receiver median ${median(samples)} ms; ${round(perSecond, 1)} deliveries/s; ${round(outboxRowsPerEvent + deliveryRowsPerEvent, 2)} D1 rows per event; signatures ${verified ? "all verified" : "NOT all verified"}`,
    );
    const figures: Figure[] = [
      {
        id: "webhooks.latency",
        figure: "webhook: sync commit → receiver has the event (local queue, one endpoint)",
        measured: `median ${median(samples)} ms, p95 ${percentile(samples, 95)} ms (${reps} syncs)`,
        floor: "—",
        ratio: null,
        target: "report",
        pass: null,
        values: data.latencyMs,
      },
      {
        id: "webhooks.throughput",
        figure: `webhook deliveries per second to one local receiver (${grouped(burst)} events of one sync, in order)`,
        measured: `${round(perSecond, 1)}/s (${grouped(lastAt - on.committedAt)} ms from commit to the last; ${deliveryD1.length} queue invocations)`,
        floor: "—",
        ratio: null,
        target: "report",
        pass: null,
        values: data.burst,
      },
      {
        id: "webhooks.rows",
        figure: "D1 rows written per delivered event",
        measured: `${round(outboxRowsPerEvent + deliveryRowsPerEvent, 2)} (outbox ${round(outboxRowsPerEvent, 2)} in the sync's batch, delivery ${round(deliveryRowsPerEvent, 2)})`,
        floor: "—",
        ratio: null,
        target: "report",
        pass: verified && ordered ? null : false,
        values: { outboxRowsPerEvent, deliveryRowsPerEvent, verified, ordered },
        note:
          verified && ordered ? undefined : "a delivery failed its signature check or arrived out of order",
      },
    ];
    return { figures, data };
  } finally {
    receiver.server.close();
  }
}
