import { describe, expect, it } from "vitest";
import * as lean from "../../build/zod.mjs";
// A path import bypasses the "zod" alias: this is the installed package itself.
import * as real from "../../node_modules/zod/index.js";

const names = (ns: object, drop: string[] = []) =>
  Object.keys(ns)
    .filter((k) => !drop.includes(k))
    .sort();

describe("the zod stand-in used in the bundle", () => {
  it("exports everything the installed zod does except its locales and fromJSONSchema", () => {
    expect(names(lean)).toEqual(names(real, ["locales", "fromJSONSchema"]));
    expect(names(lean.z)).toEqual(names(real.z, ["locales", "fromJSONSchema"]));
    expect(names(lean.z.core)).toEqual(names(real.z.core, ["locales"]));
  });

  it("is the same zod: schemas built with either validate alike and speak English", () => {
    expect(lean.z.ZodType).toBe(real.z.ZodType);
    const result = lean.z.object({ label: lean.z.string().min(1) }).safeParse({ label: "" });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/Too small/);
  });
});
