// Bundle-time stand-in for "hono" (hono 4): the same `Hono` class, but routing with Hono's small
// PatternRouter instead of its default SmartRouter over RegExpRouter and TrieRouter (~6 KiB
// minified; docs/architecture.md#bundle). @hono/zod-openapi's OpenAPIHono extends this class and
// src/console/ constructs it (wrangler.jsonc "alias", vitest.config.ts). PatternRouter tries each
// route's regular expression in turn; with a few dozen routes that costs nothing measurable.
// test/bundle/hono-router.test.ts checks it matches every route as Hono's default router does.
import { HonoBase } from "hono/hono-base";
import { PatternRouter } from "hono/router/pattern-router";

// The installed module's other name, unchanged (it is in the bundle anyway: HonoBase uses it).
export { Context } from "../node_modules/hono/dist/context.js";

/**
 * PatternRouter, strict about a trailing slash as Hono's default routers are: PatternRouter
 * alone also answers "/a/" for a route "/a" (and "/a" for "/a/"). Routes ending in `*` match
 * either way in both.
 */
class StrictPatternRouter {
  name = "StrictPatternRouter";
  #router = new PatternRouter();

  add(method, path, handler) {
    const slash = path.endsWith("*") ? null : path.endsWith("/");
    this.#router.add(method, path, { handler, slash });
  }

  match(method, path) {
    const slash = path.endsWith("/");
    const [found] = this.#router.match(method, path);
    const strict = found.filter(([route]) => route.slash === null || route.slash === slash);
    return [strict.map(([route, params]) => [route.handler, params])];
  }
}

export class Hono extends HonoBase {
  constructor(options = {}) {
    super(options);
    this.router = new StrictPatternRouter();
  }
}
