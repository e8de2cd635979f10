// zod failures → the one 400 validation_failed (docs/api.md#errors): one detail per field.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { validationError } from "../../src/http/validation";

const schema = z.strictObject({ label: z.string().min(1, "must not be empty"), limit: z.number().max(5) });

describe("validationError", () => {
  it("names each failing field once, with its first problem, in a readable summary", () => {
    const parsed = schema.safeParse({ label: "", limit: 9 });
    const error = validationError(parsed.error!, "body");
    expect(error.code).toBe("validation_failed");
    expect(error.details.map((d) => d.path)).toEqual(["label", "limit"]);
    expect(error.details[0]!.message).toBe("must not be empty");
    expect(error.message).toBe(error.details.map((d) => `${d.path}: ${d.message}`).join("; "));
  });

  it("reports each unknown field by its own path", () => {
    const parsed = schema.safeParse({ label: "x", limit: 1, extra: 1, other: 2 });
    expect(validationError(parsed.error!, "body").details).toEqual([
      { path: "extra", message: "is not a known field" },
      { path: "other", message: "is not a known field" },
    ]);
  });

  it("names the request part when the whole value is wrong", () => {
    const parsed = schema.safeParse("not an object");
    expect(validationError(parsed.error!, "query").details[0]!.path).toBe("query");
  });
});
