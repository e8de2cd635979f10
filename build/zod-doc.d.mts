// Types of build/zod-doc.mjs: the installed module's names.
export * from "zod/v4/core/doc.js";
