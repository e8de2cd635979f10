// Bundle-time stand-in for `zod` (wrangler.jsonc "alias", and vitest.config.ts so tests run what
// ships). Two cuts, neither changing a schema's behaviour or messages:
// - zod 4's classic entry without `locales` (~40 translations esbuild cannot tree-shake out of the
//   `z` namespace) and `fromJSONSchema` (JSON Schema → zod, never used here). English messages do
//   not depend on them: zod's schemas.js registers them itself.
// - a `z` holding only the factories this project calls. zod's own `z` is a namespace object that
//   @hono/zod-openapi passes around whole (extendZodWithOpenApi(z)), so esbuild keeps all ~200 of
//   its members and what they reach (z.compile's code generator alone is 31 KiB minified); each
//   property read below is resolved at bundle time, and the rest is dropped.
// test/bundle/zod-alias.test.ts checks this file against the installed zod and every `z.` the
// code uses (docs/architecture.md#bundle).
import * as full from "./zod-classic-without-locales.mjs";

export * from "./zod-classic-without-locales.mjs";

export const z = {
  any: full.any,
  array: full.array,
  boolean: full.boolean,
  enum: full.enum,
  iso: full.iso,
  literal: full.literal,
  looseObject: full.looseObject,
  NEVER: full.NEVER,
  number: full.number,
  object: full.object,
  record: full.record,
  strictObject: full.strictObject,
  string: full.string,
  unknown: full.unknown,
  ZodError: full.ZodError,
  ZodType: full.ZodType,
};
export default z;
