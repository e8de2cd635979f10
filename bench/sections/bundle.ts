/** The deployed bundle: `wrangler deploy --dry-run --outdir` of the root config, gzipped. */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { OUT, ROOT } from "../lib/processes";
import type { Figure } from "../lib/report";
import { progress } from "../lib/util";

export function bundleFigures(): { figures: Figure[]; data: unknown } {
  const outdir = join(OUT, "dist");
  rmSync(outdir, { recursive: true, force: true });
  progress("wrangler deploy --dry-run (root wrangler.jsonc: the deployed Worker, no bench routes)");
  const r = spawnSync(
    join(ROOT, "node_modules", ".bin", "wrangler"),
    ["deploy", "--dry-run", "--outdir", outdir],
    {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0", NO_COLOR: "1" },
    },
  );
  if (r.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${r.stdout}\n${r.stderr}`);
  const files = readdirSync(outdir).filter((f) => /\.(m?js|wasm)$/.test(f));
  let raw = 0;
  let gzip = 0;
  for (const f of files) {
    const bytes = readFileSync(join(outdir, f));
    raw += statSync(join(outdir, f)).size;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  const reported = /Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/.exec(r.stdout);
  const kib = gzip / 1024;
  progress(`bundle: ${(raw / 1024).toFixed(1)} KiB, ${kib.toFixed(1)} KiB gzip`);
  return {
    figures: [
      {
        id: "bundle",
        figure: "deployed bundle (wrangler deploy --dry-run)",
        measured: `${kib.toFixed(1)} KiB gzip (${(raw / 1024).toFixed(1)} KiB raw)`,
        floor: "—",
        ratio: null,
        target: "≤ 120 KiB gzip",
        pass: kib <= 120,
        values: {
          files,
          rawBytes: raw,
          gzipBytes: gzip,
          wranglerReported: reported ? { totalKiB: Number(reported[1]), gzipKiB: Number(reported[2]) } : null,
        },
      },
    ],
    data: null,
  };
}
