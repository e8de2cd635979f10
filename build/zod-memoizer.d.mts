// Types of build/zod-memoizer.mjs: the installed module's names.
export * from "zod/v4/core/memoizer.js";
