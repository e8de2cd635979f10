/**
 * The deployed bundle as Cloudflare receives it: `wrangler deploy --dry-run --outdir` of the root
 * wrangler.jsonc, each output file gzipped at level 9. Shared by the bench's bundle section and
 * `npm run bundle:check` (CI), so both measure the same thing (docs/architecture.md#bundle).
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

/** The budget for the deployed bundle (issue 15): CI fails above it. */
export const BUNDLE_BUDGET_KIB = 120;

export interface Bundle {
  files: string[];
  rawBytes: number;
  gzipBytes: number;
  /** What wrangler itself printed ("Total Upload: … / gzip: …"), for comparison. */
  wranglerReported: { totalKiB: number; gzipKiB: number } | null;
  metafile: string;
}

/** Builds the Worker as `wrangler deploy` would into `outdir` (emptied first) and sizes it. */
export function buildBundle(root: string, outdir: string): Bundle {
  rmSync(outdir, { recursive: true, force: true });
  const metafile = join(outdir, "meta.json");
  const r = spawnSync(
    join(root, "node_modules", ".bin", "wrangler"),
    ["deploy", "--dry-run", "--outdir", outdir, "--metafile", metafile],
    {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0", NO_COLOR: "1" },
    },
  );
  if (r.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${r.stdout}\n${r.stderr}`);
  const files = readdirSync(outdir).filter((f) => /\.(m?js|wasm)$/.test(f));
  let rawBytes = 0;
  let gzipBytes = 0;
  for (const f of files) {
    const bytes = readFileSync(join(outdir, f));
    rawBytes += bytes.length;
    gzipBytes += gzipSync(bytes, { level: 9 }).length;
  }
  const reported = /Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/.exec(r.stdout);
  return {
    files,
    rawBytes,
    gzipBytes,
    wranglerReported: reported ? { totalKiB: Number(reported[1]), gzipKiB: Number(reported[2]) } : null,
    metafile,
  };
}
