// Bundle-time stand-in for zod/v4/core/doc.js (zod 4.6.7), the source writer of zod's code
// generator (z.compile, and the fast path of object schemas built with `new Function`). Workers
// allow no code generation from strings, and zod knows: its `allowsEval` is false under a
// Cloudflare user agent, so neither path runs here (wrangler.jsonc "alias", vitest.config.ts).
// ~0.6 KiB minified (docs/architecture.md#bundle). test/bundle/zod-alias.test.ts checks the names
// still match the installed zod and that `allowsEval` is false where the Worker runs.
export class Doc {
  constructor() {
    throw new Error("zod's code generator is not in this bundle (build/zod-doc.mjs)");
  }
}
