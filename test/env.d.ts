import type { D1Migration } from "@cloudflare/vitest-plugin";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      API_TOKEN?: string;
      API_READ_TOKENS?: string;
      ENCRYPTION_KEYS?: string;
    }
  }
}
