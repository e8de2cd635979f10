import { defineConfig } from "vitest/config";

// The browser tests (test/browser/): Node, not workerd. They start the demo simulator and the
// Worker under `wrangler dev`, then drive the system Chromium (docs/console.md#tests).
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 240_000,
    fileParallelism: false,
  },
});
