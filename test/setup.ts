import { applyD1Migrations, env } from "cloudflare:test";

// Idempotent; runs before each test file against that file's isolated D1.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
