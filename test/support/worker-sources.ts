/// <reference types="vite/client" />
/**
 * Every source file of the Worker, as text, keyed "../../src/…" (resolved by Vite at test build
 * time): what the bundle tests search for calls a stand-in in build/ leaves out.
 */
export const workerSources = import.meta.glob("../../src/**/*.{ts,tsx}", {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;
