// Bundle-time stand-in for zod/v4/core/json-schema-processors.js (zod 4.6.7), the zod → JSON Schema
// converters classic zod attaches to every schema (wrangler.jsonc "alias", vitest.config.ts).
// Nothing here converts zod to JSON Schema at runtime: /openapi.json comes from
// @asteasolutions/zod-to-openapi, which reads schemas itself and only needs `aggregateChecks`
// (behind `.minLength`, `.maxLength` and `.format`). The converters cost ~19 KiB minified with
// build/zod-to-json-schema.mjs (docs/architecture.md#bundle); each one here says so if called.
// test/bundle/zod-alias.test.ts checks the names still match the installed zod.
export { aggregateChecks } from "../node_modules/zod/v4/core/json-schema-processors.js";

const unavailable = () => {
  throw new Error(
    "zod's JSON Schema conversion is not in this bundle (build/zod-json-schema-processors.mjs)",
  );
};

export const stringProcessor = unavailable;
export const numberProcessor = unavailable;
export const booleanProcessor = unavailable;
export const bigintProcessor = unavailable;
export const symbolProcessor = unavailable;
export const nullProcessor = unavailable;
export const undefinedProcessor = unavailable;
export const voidProcessor = unavailable;
export const neverProcessor = unavailable;
export const anyProcessor = unavailable;
export const unknownProcessor = unavailable;
export const dateProcessor = unavailable;
export const enumProcessor = unavailable;
export const literalProcessor = unavailable;
export const nanProcessor = unavailable;
export const templateLiteralProcessor = unavailable;
export const fileProcessor = unavailable;
export const successProcessor = unavailable;
export const customProcessor = unavailable;
export const functionProcessor = unavailable;
export const transformProcessor = unavailable;
export const mapProcessor = unavailable;
export const setProcessor = unavailable;
export const arrayProcessor = unavailable;
export const objectProcessor = unavailable;
export const unionProcessor = unavailable;
export const intersectionProcessor = unavailable;
export const tupleProcessor = unavailable;
export const recordProcessor = unavailable;
export const nullableProcessor = unavailable;
export const nonoptionalProcessor = unavailable;
export const defaultProcessor = unavailable;
export const prefaultProcessor = unavailable;
export const catchProcessor = unavailable;
export const pipeProcessor = unavailable;
export const readonlyProcessor = unavailable;
export const promiseProcessor = unavailable;
export const optionalProcessor = unavailable;
export const lazyProcessor = unavailable;
export const allProcessors = unavailable;
export const toJSONSchema = unavailable;
