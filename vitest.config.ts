import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import type { Plugin } from "vite";
import { configDefaults, defineConfig } from "vitest/config";
import { createSimulator } from "./simulator/app.ts";
import { SIMULATOR_ORIGIN, TEST_SECRETS } from "./test/support/constants.ts";

// Wrangler reads wrangler.jsonc for the test runtime; its info lines ("Using secrets defined in
// .dev.vars" once per test file after the demo has run) are noise here. Warnings still show, and
// the secrets tests use are the bindings below, whatever .dev.vars holds.
process.env.WRANGLER_LOG ??= "warn";

// One simulator for the whole run: every outbound fetch of the Worker (and of test code inside
// workerd) lands here. Tests isolate themselves by creating their own accounts and tokens.
const simulator = createSimulator();

/** "zod" and "hono" are their stand-ins in build/ for every importer but the simulator (see below). */
const STAND_INS: Record<string, string> = { zod: "build/zod.mjs", hono: "build/hono.mjs" };
const workerStandIns: Plugin = {
  name: "worker-stand-ins",
  enforce: "pre",
  resolveId: (source, importer) =>
    STAND_INS[source] && !importer?.includes(`${path.sep}simulator${path.sep}`)
      ? path.join(import.meta.dirname, STAND_INS[source])
      : null,
};

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    plugins: [
      cloudflareTest({
        // workerd's own log of the simulator's dropped connections (the `reset` fault) is noise:
        // a test that fails still says why through vitest.
        verbose: false,
        wrangler: { configPath: "./wrangler.jsonc" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            ...TEST_SECRETS,
            CLOUDFLARE_API_BASE_URL: `${SIMULATOR_ORIGIN}/client/v4`,
            // Short, so timeout faults fail fast; the deployed default is 15 s.
            CLOUDFLARE_TIMEOUT_MS: "1500",
            // Likewise for webhook receivers that answer too late; the deployed default is 10 s.
            WEBHOOK_TIMEOUT_MS: "1000",
          },
          outboundService: (request: Request) => simulator.fetch(request),
        },
      }),
      workerStandIns,
    ],
    // The same zod and Hono stand-ins as the deployed bundle (wrangler.jsonc "alias"), so tests run
    // what ships. The simulator is no part of the Worker: it keeps the whole of zod and Hono's
    // default router.
    resolve: {
      alias: [
        {
          find: /^\.\.\/core\/json-schema-processors\.js$/,
          replacement: path.join(import.meta.dirname, "build/zod-json-schema-processors.mjs"),
        },
        {
          find: /^\.\.\/core\/to-json-schema\.js$/,
          replacement: path.join(import.meta.dirname, "build/zod-to-json-schema.mjs"),
        },
        {
          find: /^\.\/memoizer\.js$/,
          replacement: path.join(import.meta.dirname, "build/zod-memoizer.mjs"),
        },
        {
          find: /^@asteasolutions\/zod-to-openapi$/,
          replacement: path.join(import.meta.dirname, "build/zod-to-openapi.mjs"),
        },
        {
          find: /^\.\/doc\.js$/,
          replacement: path.join(import.meta.dirname, "build/zod-doc.mjs"),
        },
        {
          find: /^\.\/utils\/mount\.js$/,
          replacement: path.join(import.meta.dirname, "build/hono-mount.mjs"),
        },
      ],
    },
    test: {
      // test/browser/ runs in Node with its own config (vitest.browser.config.ts).
      exclude: [...configDefaults.exclude, "test/browser/**"],
      setupFiles: ["./test/setup.ts"],
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  };
});
