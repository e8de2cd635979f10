// Bundle-time stand-in for zod/v4/core/to-json-schema.js (zod 4.6.7): see
// build/zod-json-schema-processors.mjs. Classic zod builds `toJSONSchema()` and
// `~standard.jsonSchema` methods with these on every schema; calling one says it is not here.
// test/bundle/zod-alias.test.ts checks the names still match the installed zod.
const unavailable = () => {
  throw new Error("zod's JSON Schema conversion is not in this bundle (build/zod-to-json-schema.mjs)");
};

export const createToJSONSchemaMethod = () => unavailable;
export const createStandardJSONSchemaMethod = () => unavailable;
export const initializeContext = unavailable;
export const handleUnrepresentable = unavailable;
export const processSchema = unavailable;
export const extractDefs = unavailable;
export const finalize = unavailable;
export const process = unavailable;
