/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";
import * as lean from "../../build/zod.mjs";
import * as leanDoc from "../../build/zod-doc.mjs";
import * as leanProcessors from "../../build/zod-json-schema-processors.mjs";
import * as leanMemoizer from "../../build/zod-memoizer.mjs";
import * as leanToJsonSchema from "../../build/zod-to-json-schema.mjs";
// A path import bypasses the "zod" alias: the installed package itself (its own imports of its
// JSON Schema modules still get the stand-ins, as in the bundle).
import * as real from "../../node_modules/zod/index.js";
import * as realDoc from "../../node_modules/zod/v4/core/doc.js";
import * as realProcessors from "../../node_modules/zod/v4/core/json-schema-processors.js";
import * as realMemoizer from "../../node_modules/zod/v4/core/memoizer.js";
import * as realToJsonSchema from "../../node_modules/zod/v4/core/to-json-schema.js";

const names = (ns: object, drop: string[] = []) =>
  Object.keys(ns)
    .filter((k) => !drop.includes(k))
    .sort();

// Every source file of the Worker and the tests, as text (resolved by Vite at test build time).
const sources = import.meta.glob(["../../src/**/*.{ts,tsx}", "../**/*.{ts,tsx}"], {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;

// `z.infer<…>` and friends are types: they need no runtime member.
const TYPE_ONLY = new Set(["infer", "input", "output"]);

describe("the zod stand-in used in the bundle", () => {
  it("exports everything the installed zod does except its locales and fromJSONSchema", () => {
    expect(names(lean)).toEqual(names(real, ["locales", "fromJSONSchema"]));
    expect(names(lean.z.ZodType.prototype)).toEqual(names(real.z.ZodType.prototype));
  });

  it("has in its `z` every member the code calls, each the installed zod's own", () => {
    const used = new Set<string>();
    for (const text of Object.values(sources)) {
      for (const m of text.matchAll(/\bz\s*\.\s*([A-Za-z]\w*)/g)) if (!TYPE_ONLY.has(m[1]!)) used.add(m[1]!);
    }
    expect(Object.keys(sources).length).toBeGreaterThan(50);
    expect(used).toContain("string");
    const leanZ = lean.z as Record<string, unknown>;
    expect([...used].filter((name) => !(name in leanZ))).toEqual([]);
    const realZ = real.z as Record<string, unknown>;
    for (const [name, value] of Object.entries(leanZ)) expect(value, name).toBe(realZ[name]);
  });

  it("is the same zod: schemas built with either validate alike and speak English", () => {
    expect(lean.z.ZodType).toBe(real.z.ZodType);
    const result = lean.z.object({ label: lean.z.string().min(1) }).safeParse({ label: "" });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/Too small/);
  });

  it("leaves zod's JSON Schema conversion out, but not what zod-to-openapi reads", () => {
    expect(names(leanProcessors)).toEqual(names(realProcessors));
    expect(names(leanToJsonSchema)).toEqual(names(realToJsonSchema));
    // The stand-ins are what the code under test runs (vitest.config.ts), as in the bundle.
    expect(() => lean.z.string().toJSONSchema()).toThrow(/not in this bundle/);
    expect(() => lean.z.string()["~standard"].jsonSchema.input({ target: "draft-2020-12" })).toThrow(
      /not in this bundle/,
    );
    const email = lean.z.string().min(3).max(80).regex(/@/);
    expect([email.minLength, email.maxLength]).toEqual([3, 80]);
    expect(lean.z.string().uuid().format).toBe("uuid");
  });

  it("runs zod without its cycle support, which no schema of the Worker needs", () => {
    expect(names(leanMemoizer)).toEqual(names(realMemoizer));
    const tree = lean.z.object({ items: lean.z.array(lean.z.record(lean.z.string(), lean.z.number())) });
    // Containers install zod's default memoizer when none is set; the stand-in's is none.
    expect(tree.parse({ items: [{ a: 1 }] })).toEqual({ items: [{ a: 1 }] });
    expect(lean.config().memoizer).toBeUndefined();
    const shared = { a: "x" };
    const issues = tree.safeParse({ items: [shared, shared] }).error?.issues;
    expect(issues?.map((issue) => issue.path)).toEqual([
      ["items", 0, "a"],
      ["items", 1, "a"],
    ]);
    // A recursive schema (z.lazy, or a getter in a shape) would need it back
    // (build/zod-memoizer.mjs): none in the Worker's code.
    expect("lazy" in lean.z).toBe(false);
    const recursive = Object.entries(sources).filter(
      ([file, text]) =>
        file.startsWith("../../src/") &&
        /from "(zod|@hono\/zod-openapi)"/.test(text) &&
        /\bget\s+\w+\s*\(\s*\)|\blazy\s*\(/.test(text),
    );
    expect(recursive.map(([file]) => file)).toEqual([]);
  });

  it("leaves zod's code generator out, which Workers never let run", () => {
    expect(names(leanDoc)).toEqual(names(realDoc));
    // zod's own check, false under workerd's Cloudflare user agent: no fast path is generated.
    expect(lean.util.allowsEval.value).toBe(false);
    expect(() => new lean.core.Doc()).toThrow(/not in this bundle/);
    const account = lean.z.object({ id: lean.z.string(), count: lean.z.number().optional() });
    expect(account.parse({ id: "a", extra: true })).toEqual({ id: "a" });
    expect(account.safeParse({ id: 1 }).error?.issues[0]?.message).toMatch(/expected string/);
  });
});
