// Types of build/zod-to-json-schema.mjs: the installed module's names.
export * from "zod/v4/core/to-json-schema.js";
