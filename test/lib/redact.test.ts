// Redaction (docs/security.md): credentials never leave the Worker in text it logs or stores.
import { describe, expect, it } from "vitest";
import { redactSecrets } from "../../src/lib/redact";

describe("redactSecrets", () => {
  it("cuts Cloudflare token shapes out of text", () => {
    for (const token of ["cfut_abcdefgh12345678", "cfat_ABCDEFGH_12-34", "cfk_0123456789abcdef"]) {
      expect(redactSecrets(`token ${token} refused`)).toBe("token [redacted] refused");
    }
  });

  it("cuts the value after Bearer, whatever its case", () => {
    expect(redactSecrets("Authorization: bearer s3cr3t-value, then")).toBe(
      "Authorization: bearer [redacted] then",
    );
  });

  it("leaves ordinary text alone", () => {
    expect(redactSecrets("Invalid request headers (6003)")).toBe("Invalid request headers (6003)");
  });
});
