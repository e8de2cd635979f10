// Redaction (docs/security.md): credentials never leave the Worker in text it logs or stores.
import { describe, expect, it } from "vitest";
import { redactSecrets } from "../../src/lib/redact";

const TOKEN = "cfut_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0f";
const LEGACY = "Zq7/Xw+Vu-Ts_Rq.Po~Nm1Lk2Jh3Gf4Ed5Cb6Az7Yx8Wv9";

const base64 = (text: string) => btoa(text);
const base64url = (text: string) => btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

describe("redactSecrets", () => {
  it("cuts Cloudflare token shapes out of text, in any case", () => {
    for (const token of [
      "cfut_abcdefgh12345678",
      "cfat_ABCDEFGH_12-34",
      "cfk_0123456789abcdef",
      "CFUT_ABCDEFGH12345678",
      "Cfat_abcdefgh12345678",
    ]) {
      expect(redactSecrets(`token ${token} refused`)).toBe("token [redacted] refused");
    }
  });

  it("cuts webhook signing secrets (whsec_ and base64) out of text", () => {
    expect(redactSecrets('{"secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw+/0="}')).toBe(
      '{"secret":"[redacted]"}',
    );
    expect(redactSecrets("WHSEC_abcdefgh12345678 leaked")).toBe("[redacted] leaked");
  });

  it("cuts the value after Bearer, whatever its case", () => {
    expect(redactSecrets("Authorization: bearer s3cr3t-value, then")).toBe(
      "Authorization: bearer [redacted] then",
    );
  });

  it.each([
    ["as is", (t: string) => t],
    ["lower-cased", (t: string) => t.toLowerCase()],
    ["upper-cased", (t: string) => t.toUpperCase()],
    ["URL-encoded", (t: string) => encodeURIComponent(t)],
    [
      "URL-encoded, lower-case hex",
      (t: string) => encodeURIComponent(t).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
    ],
    ["base64", base64],
    ["base64url", base64url],
    ["base64 inside an encoded header (offset 1)", (t: string) => base64(`:${t}`)],
    ["base64 inside an encoded header (offset 2)", (t: string) => base64(`u:${t}`)],
    ["base64 of 'Bearer <token>'", (t: string) => base64(`Bearer ${t}`)],
    ["base64url inside a longer value", (t: string) => base64url(`token=${t}&x=1`)],
  ])("cuts a known secret %s", (_form, encode) => {
    for (const secret of [TOKEN, LEGACY]) {
      const shown = encode(secret);
      const out = redactSecrets(`Cloudflare said: invalid credential ${shown} (code 6003)`, [secret]);
      expect(out).toContain("[redacted]");
      expect(out).not.toContain(shown);
      // Nothing long enough to rebuild the secret is left around the cut either.
      expect(out).not.toContain(shown.slice(8, -8));
      expect(out.toLowerCase()).not.toContain(secret.slice(6, 18).toLowerCase());
      expect(out).toMatch(/^Cloudflare said: invalid credential .*\[redacted\].* \(code 6003\)$/);
    }
  });

  it("leaves ordinary text alone", () => {
    expect(redactSecrets("Invalid request headers (6003)")).toBe("Invalid request headers (6003)");
    expect(redactSecrets("Invalid request headers (6003)", [TOKEN])).toBe("Invalid request headers (6003)");
    expect(redactSecrets("short ones are not searched: abc", ["abc"])).toBe(
      "short ones are not searched: abc",
    );
  });
});
