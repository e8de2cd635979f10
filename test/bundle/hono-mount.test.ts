import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import * as lean from "../../build/hono-mount.mjs";
// A path import bypasses the alias: the installed module itself (its types are under dist/types).
// @ts-expect-error no declaration file next to the module
import * as real from "../../node_modules/hono/dist/utils/mount.js";
import { workerSources as sources } from "../support/worker-sources";

describe("the bundle without Hono's app.mount() (build/hono-mount.mjs)", () => {
  it("stands in for every name of the installed module", () => {
    expect(Object.keys(lean).sort()).toEqual(Object.keys(real).sort());
  });

  it("is what Hono runs here, so a mounted handler says it is not in this bundle", async () => {
    const app = new Hono();
    let error: unknown;
    app.onError((e, c) => {
      error = e;
      return c.text("failed", 500);
    });
    app.mount("/other", () => new Response("mounted"));
    expect((await app.request("/other/x")).status).toBe(500);
    expect(String(error)).toMatch(/app\.mount\(\) is not in this bundle/);
  });

  it("is never needed: no code of the Worker mounts a handler", () => {
    expect(Object.keys(sources).length).toBeGreaterThan(50);
    const mounting = Object.entries(sources).filter(([, text]) => /\.mount\s*\(|hono\/mount/.test(text));
    expect(mounting.map(([file]) => file)).toEqual([]);
  });
});
