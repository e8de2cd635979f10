// Types of build/hono.mjs: the installed package's.
export * from "hono";
