import { OpenAPIHono } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import * as lean from "../../build/zod-to-openapi.mjs";
// A path import bypasses the alias: the installed package itself (its types are under dist/).
// @ts-expect-error no declaration file next to the module
import * as real from "../../node_modules/@asteasolutions/zod-to-openapi/dist/index.mjs";
import { workerSources as sources } from "../support/worker-sources";

describe("zod-to-openapi without its OpenAPI 3.0 generator (build/zod-to-openapi.mjs)", () => {
  it("exports every name of the installed package, all but the 3.0 generator its own", () => {
    expect(Object.keys(lean).sort()).toEqual(Object.keys(real).sort());
    const installed = new Map(Object.entries(real));
    for (const [name, value] of Object.entries(lean)) {
      if (name !== "OpenApiGeneratorV3") expect(value, name).toBe(installed.get(name));
    }
  });

  it("is what @hono/zod-openapi runs here: 3.1 documents build, 3.0 ones say they are not in the bundle", () => {
    const app = new OpenAPIHono();
    const info = { title: "t", version: "1" };
    expect(app.getOpenAPI31Document({ openapi: "3.1.0", info }).openapi).toBe("3.1.0");
    expect(() => app.getOpenAPIDocument({ openapi: "3.0.0", info })).toThrow(/not in this bundle/);
  });

  it("is never needed: the Worker serves only the 3.1 document", () => {
    expect(Object.keys(sources).length).toBeGreaterThan(50);
    const asking = Object.entries(sources).filter(([, text]) =>
      /getOpenAPIDocument|OpenApiGeneratorV3\b|\.doc\s*\(/.test(text),
    );
    expect(asking.map(([file]) => file)).toEqual([]);
    expect(sources["../../src/app.ts"]).toMatch(/\.doc31\(/);
  });
});
