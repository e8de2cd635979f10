// Types of build/zod-to-openapi.mjs: the installed package's.
export * from "@asteasolutions/zod-to-openapi";
