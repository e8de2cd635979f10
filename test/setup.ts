import { applyD1Migrations, env } from "cloudflare:test";
import { afterAll, beforeEach } from "vitest";
import { installLogSink, logMark, printLogsSince, printUnclaimedErrors } from "./support/logs";

// Idempotent; runs before each test file against that file's isolated D1.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

// The Worker's JSON log lines are captured, not printed (test/support/logs.ts): a failing test
// prints the lines logged while it ran, and an error line no test expected is printed at the end.
installLogSink();
beforeEach((context) => {
  const mark = logMark();
  context.onTestFailed(() => printLogsSince(mark, context.task.name));
});
afterAll(() => printUnclaimedErrors());
