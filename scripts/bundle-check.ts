// `npm run bundle:check` (CI, .ci/run): builds the Worker as `wrangler deploy` would and fails when
// the deployed bundle is over its budget, gzipped as the bench measures it (bench/lib/bundle.ts;
// docs/architecture.md#bundle says what to do when it is).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BUNDLE_BUDGET_KIB, buildBundle } from "../bench/lib/bundle";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = mkdtempSync(join(tmpdir(), "connector-bundle-"));
try {
  const { rawBytes, gzipBytes } = buildBundle(root, outdir);
  const kib = gzipBytes / 1024;
  const figure = `${kib.toFixed(1)} KiB gzip (${(rawBytes / 1024).toFixed(1)} KiB minified)`;
  if (kib > BUNDLE_BUDGET_KIB) {
    console.error(
      `bundle:check: the deployed bundle is ${figure}, over its budget of ${BUNDLE_BUDGET_KIB} KiB gzip. ` +
        "docs/architecture.md#bundle lists what is already cut and where to look next.",
    );
    process.exitCode = 1;
  } else {
    console.log(`bundle:check: the deployed bundle is ${figure}, within ${BUNDLE_BUDGET_KIB} KiB gzip.`);
  }
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
