#!/usr/bin/env node
// `npm run types` / `npm run types:check`: worker-configuration.d.ts from wrangler.jsonc alone.
// wrangler types also reads secrets from a local .dev.vars, which would make the file differ
// between a developer's machine (after `npm start`) and CI; secrets are typed in src/config.ts.
import { spawnSync } from "node:child_process";
import { existsSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const devVars = join(root, ".dev.vars");
const parked = join(root, ".dev.vars.parked-by-types");
const hidden = existsSync(devVars);
if (hidden) renameSync(devVars, parked);
let status = 1;
try {
  const args = [
    "types",
    "--include-runtime=false",
    "--strict-vars=false",
    ...process.argv.slice(2),
    "worker-configuration.d.ts",
  ];
  status =
    spawnSync(join(root, "node_modules", ".bin", "wrangler"), args, { cwd: root, stdio: "inherit" }).status ??
    1;
} finally {
  if (hidden) renameSync(parked, devVars);
}
process.exit(status);
