// How the client reads Cloudflare's rate-limit headers (docs/sync.md#pacing-and-rate-limits).
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseRateLimitHeader, parseRetryAfter } from "../../src/cloudflare/client";

describe("parseRetryAfter", () => {
  afterEach(() => vi.useRealTimers());

  it("reads seconds, rounding fractions up", () => {
    expect(parseRetryAfter("30")).toBe(30);
    expect(parseRetryAfter("1.2")).toBe(2);
    expect(parseRetryAfter("0")).toBe(0);
  });

  it("reads an HTTP date as the seconds until then, never negative", () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2026-11-30T12:00:00Z"));
    expect(parseRetryAfter("Mon, 30 Nov 2026 12:01:30 GMT")).toBe(90);
    expect(parseRetryAfter("Mon, 30 Nov 2026 11:00:00 GMT")).toBe(0);
  });

  it("takes 60 s when the header is missing or unreadable", () => {
    expect(parseRetryAfter(null)).toBe(60);
    expect(parseRetryAfter("soon")).toBe(60);
    expect(parseRetryAfter("-5")).toBe(60);
  });
});

describe("parseRateLimitHeader", () => {
  it("reads remaining and reset from the IETF draft form", () => {
    expect(parseRateLimitHeader('"default";r=50;t=30')).toEqual({ remaining: 50, resetSeconds: 30 });
    expect(parseRateLimitHeader('"default"; r=0; t=300')).toEqual({ remaining: 0, resetSeconds: 300 });
  });

  it("ignores a header without both parts, or none", () => {
    expect(parseRateLimitHeader(null)).toBeNull();
    expect(parseRateLimitHeader('"default";r=50')).toBeNull();
    expect(parseRateLimitHeader("garbage")).toBeNull();
  });
});
