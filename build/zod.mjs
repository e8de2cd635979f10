// Bundle-time stand-in for `zod` (wrangler.jsonc "alias"): the same exports as zod 4's classic
// entry except `locales` (~40 translations esbuild cannot tree-shake out of the `z` namespace,
// about 40 KiB gzip) and `fromJSONSchema` (JSON Schema → zod, never used here). English messages
// do not depend on them: zod's schemas.js registers them itself.
// test/bundle/zod-alias.test.ts checks this file still matches the installed zod.
import * as z from "./zod-classic-without-locales.mjs";

export * from "./zod-classic-without-locales.mjs";
export { z, z as default };
