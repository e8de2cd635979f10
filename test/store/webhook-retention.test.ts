// Retention of webhook data (docs/webhooks.md#storage): delivery records older than the cutoff go,
// newer ones stay; outbox rows go once every enabled endpoint is past them (or when older than
// the cutoff), and a row an enabled endpoint has still to send stays however many others are past it.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { pruneHistory } from "../../src/store/retention";

const CUTOFF = Date.parse("2025-06-01T00:00:00.000Z");
const at = (offsetMs: number) => new Date(CUTOFF + offsetMs).toISOString();
const RECENT = new Date().toISOString();

function endpoint(id: string, cursorSeq: number, enabled: 0 | 1) {
  return env.DB.prepare(
    `INSERT INTO webhook_endpoints (id, url, events, event_types, enabled, secret_sealed, secret_key_id, created_at,
                                    updated_at, cursor_seq)
     VALUES (?, 'https://hooks.example.com', '["sync.failed"]', '["sync.failed"]', ?, '{}', 'k2', ?, ?, ?)`,
  ).bind(id, enabled, RECENT, RECENT, cursorSeq);
}

function delivery(webhookId: string, eventId: string, attemptedAt: string) {
  return env.DB.prepare(
    `INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, attempt, attempted_at, duration_ms, outcome)
     VALUES (?, ?, 'sync.failed', 1, ?, 5, 'delivered')`,
  ).bind(webhookId, eventId, attemptedAt);
}

describe("webhook retention", () => {
  it("prunes delivery records by age and outbox rows every enabled endpoint is past", async () => {
    // Plants seen failing: the outbox bound taken over disabled endpoints too (nothing pruned), and
    // MAX instead of MIN (rows an enabled endpoint still had to send were deleted).
    await env.DB.batch([
      endpoint("ahead", 5, 1),
      endpoint("behind", 2, 1),
      endpoint("off", 0, 0),
      ...[1, 2, 3, 4, 5, 6].map((seq) =>
        env.DB.prepare(
          "INSERT INTO webhook_outbox (seq, type, event_id, created_at) VALUES (?, 'sync.failed', ?, ?)",
        ).bind(seq, `run-${seq}`, RECENT),
      ),
      env.DB.prepare(
        "INSERT INTO webhook_outbox (seq, type, event_id, created_at) VALUES (7, 'sync.failed', 'run-old', ?)",
      ).bind(at(-1_000)),
      delivery("ahead", "old", at(-1_000)),
      delivery("ahead", "new", at(1_000)),
    ]);
    const counts = await pruneHistory(env.DB, at(0));
    expect(counts).toMatchObject({ webhookDeliveries: 1, webhookOutbox: 3 });
    const { results: outbox } = await env.DB.prepare("SELECT seq FROM webhook_outbox ORDER BY seq").all();
    expect(outbox.map((r) => r.seq)).toEqual([3, 4, 5, 6]);
    const { results: deliveries } = await env.DB.prepare("SELECT event_id FROM webhook_deliveries").all();
    expect(deliveries.map((r) => r.event_id)).toEqual(["new"]);
  });
});
