// The Worker routes with Hono's PatternRouter (build/hono.mjs, docs/architecture.md#bundle) instead
// of Hono's default SmartRouter over RegExpRouter and TrieRouter: every request near every route the
// app serves must run the same handlers, in the same order, with the same params, under both.
import { Hono } from "hono";
import type { Router } from "hono/router";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { SmartRouter } from "hono/router/smart-router";
import { TrieRouter } from "hono/router/trie-router";
import { describe, expect, it } from "vitest";
import * as lean from "../../build/hono.mjs";
// A path import bypasses the alias: the installed module itself (its types are under dist/types).
// @ts-expect-error no declaration file next to the module
import * as real from "../../node_modules/hono/dist/index.js";
import { createApp } from "../../src/app";
import { api } from "../support/api";
import { expectError } from "../support/errors";

const ID = "6f1d2c3b-0000-4000-8000-00000000dead";
// HEAD is routed as GET (HonoBase), so the router never sees it.
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/** Requests near a route: itself, with and without a trailing slash, one segment more or less, … */
function pathsNear(route: string): string[] {
  const path = route.replace(/\*$/, "").replace(/:[^/]+/g, ID) || "/";
  const bare = path.replace(/(.)\/$/, "$1");
  return [
    path,
    bare,
    `${bare}/`,
    `${bare}/x`,
    `${bare}/x/`,
    `${bare}.json`,
    `/x${bare}`,
    bare.toUpperCase(),
    bare.replace(/\//g, "//"),
    bare.slice(0, bare.lastIndexOf("/")) || "/",
    route.replace(/\*$/, "").replace(/:[^/]+/g, "a.b%40example.com") || "/",
  ];
}

/** Which routes (by index) a router runs for a request, in order, each with its params. */
function matched(router: Router<number>, method: string, path: string) {
  const [found, stash] = router.match(method, path) as [[number, Record<string, unknown>][], unknown[]?];
  return found.map(([route, params]) => [
    route,
    Object.fromEntries(Object.entries(params).map(([k, v]) => [k, stash ? stash[v as number] : v])),
  ]);
}

describe("Hono with PatternRouter (build/hono.mjs)", () => {
  it("exports every name of the installed hono, Context unchanged", () => {
    expect(Object.keys(lean).sort()).toEqual(Object.keys(real).sort());
    expect(lean.Context).toBe(real.Context);
  });

  it("is what the Worker routes with, instead of Hono's default router", () => {
    expect(createApp().router.name).toBe(new lean.Hono().router.name);
    expect(new Hono().router.name).not.toBe(new real.Hono().router.name);
  });

  it("runs the same routes, in the same order, with the same params, as Hono's default router", () => {
    const routes = createApp().routes;
    expect(routes.length).toBeGreaterThan(40);
    // Fresh routers of both kinds, fed each route's index in place of its handler.
    const shipped = new lean.Hono().router as unknown as Router<number>;
    const reference = new SmartRouter<number>({ routers: [new RegExpRouter(), new TrieRouter()] });
    routes.forEach(({ method, path }, i) => {
      shipped.add(method, path, i);
      reference.add(method, path, i);
    });
    const paths = new Set(["/", "/x", "/v1", "/v1/", "/v1/x", ...routes.flatMap((r) => pathsNear(r.path))]);
    let compared = 0;
    for (const path of paths) {
      for (const method of METHODS) {
        expect(matched(shipped, method, path), `${method} ${path}`).toEqual(matched(reference, method, path));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });

  it("answers a route with a trailing slash added as an unknown route, as Hono's default router does", async () => {
    expectError(await api("GET", "/v1/integrations/"), 404, "not_found");
    expectError(await api("GET", "/health/", { token: null }), 404, "not_found");
    expect((await api("GET", "/health", { token: null })).status).toBe(200);
  });
});
