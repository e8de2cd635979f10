// Types of build/zod-json-schema-processors.mjs: the installed module's names.
export * from "zod/v4/core/json-schema-processors.js";
