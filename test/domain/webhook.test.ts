// The pure rules of webhook delivery (docs/webhooks.md#retries): the backoff schedule and its jitter,
// Retry-After, which answers are final, the 24-hour window and the 5-day disable.
import { describe, expect, it } from "vitest";
import {
  backoffMs,
  expandPatterns,
  parseRetryAfter,
  planAfterFailure,
  webhookUrlProblem,
} from "../../src/domain/webhook";

const HOUR = 3_600_000;

describe("webhook delivery rules", () => {
  it("backs off 30 s, ×3 each time, at most 6 h, within ±20 %", () => {
    const middle = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffMs(n, 0.5));
    expect(middle).toEqual([30_000, 90_000, 270_000, 810_000, 2_430_000, 7_290_000, 6 * HOUR, 6 * HOUR]);
    expect(backoffMs(1, 0)).toBe(24_000);
    expect(backoffMs(1, 0.999_999)).toBe(36_000);
    // About ten attempts fit in the 24-hour window.
    let elapsed = 0;
    let attempts = 1;
    while (elapsed + backoffMs(attempts, 0.5) <= 24 * HOUR) elapsed += backoffMs(attempts++, 0.5);
    expect(attempts).toBe(10);
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2026-12-01T00:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter("Tue, 01 Dec 2026 00:10:00 GMT", now)).toBe(600_000);
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });

  it("retries 5xx, 408, 429, timeouts and network errors; anything else is final", () => {
    const s = { now: 1_000_000_000, attempts: 1, headSince: 1_000_000_000, failingSince: 1_000_000_000 };
    const plan = (result: Parameters<typeof planAfterFailure>[0]) => planAfterFailure(result, s, 0.5).kind;
    for (const status of [500, 502, 503, 408, 429]) {
      expect(plan({ kind: "http", status, retryAfterMs: null })).toBe("retry");
    }
    expect(plan({ kind: "timeout" })).toBe("retry");
    expect(plan({ kind: "network", message: "refused" })).toBe("retry");
    for (const status of [400, 401, 403, 404, 410, 422, 301, 302]) {
      expect(plan({ kind: "http", status, retryAfterMs: null })).toBe("give_up");
    }
    expect(planAfterFailure({ kind: "http", status: 429, retryAfterMs: 3_600_000 }, s, 0.5)).toEqual({
      kind: "retry",
      at: s.now + 3_600_000,
    });
  });

  it("gives an event up past its 24-hour window, and disables after 5 days without a success", () => {
    const now = 10 * 86_400_000;
    const failing = { kind: "http", status: 503, retryAfterMs: null } as const;
    expect(
      planAfterFailure(
        failing,
        { now, attempts: 9, headSince: now - 23 * HOUR, failingSince: now - HOUR },
        0.5,
      ),
    ).toEqual({ kind: "give_up", reason: "window" });
    expect(
      planAfterFailure(
        failing,
        { now, attempts: 1, headSince: now, failingSince: now - 5 * 86_400_000 },
        0.5,
      ),
    ).toEqual({ kind: "disable" });
    expect(
      planAfterFailure(
        failing,
        { now, attempts: 1, headSince: now, failingSince: now - 5 * 86_400_000 + 1 },
        0.5,
      ).kind,
    ).toBe("retry");
  });

  it("expands patterns to the types they stand for, and checks URLs", () => {
    expect(expandPatterns(["account.*", "sync.failed"])).toEqual([
      "account.added",
      "account.updated",
      "account.removed",
      "account.restored",
      "sync.failed",
    ]);
    expect(expandPatterns(["api_token.*"])).toEqual([
      "api_token.added",
      "api_token.updated",
      "api_token.removed",
    ]);
    expect(webhookUrlProblem("https://hooks.example.com/x?y=1")).toBeNull();
    expect(webhookUrlProblem("http://localhost/x")).toBeNull();
    expect(webhookUrlProblem("http://127.0.0.1:9/x")).toBeNull();
    expect(webhookUrlProblem("http://127.0.0.2/x")).toMatch(/https/);
    expect(webhookUrlProblem("http://localhost.example.com/x")).toMatch(/https/);
    expect(webhookUrlProblem("https://:secret@hooks.example.com/")).toMatch(/user name or password/);
  });
});
