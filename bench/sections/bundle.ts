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
    ["deploy", "--dry-run", "--outdir", outdir, "--metafile", join(outdir, "meta.json")],
    {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0", NO_COLOR: "1" },
    },
  );
  if (r.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${r.stdout}\n${r.stderr}`);
  const files = readdirSync(outdir).filter((f) => /\.(m?js|wasm)$/.test(f));
  const largest = largestParts(join(outdir, "meta.json"));
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
          largest,
        },
        // What the bundle is made of, pass or miss: where to look when it grows (docs/architecture.md#bundle).
        note: `Largest parts of the minified bundle (esbuild metafile, before gzip): ${largest.map((p) => `${p.part} ${p.kib} KiB`).join(", ")}.`,
      },
    ],
    data: null,
  };
}

/** The bundle's biggest contributors: packages by name, our code by folder (minified bytes). */
function largestParts(metafile: string): { part: string; kib: number }[] {
  const meta = JSON.parse(readFileSync(metafile, "utf8")) as {
    outputs: Record<string, { inputs?: Record<string, { bytesInOutput: number }> }>;
  };
  const sizes = new Map<string, number>();
  for (const output of Object.values(meta.outputs)) {
    for (const [file, input] of Object.entries(output.inputs ?? {})) {
      const inPackage = file.split("node_modules/").at(-1)!.split("/");
      const part = file.includes("node_modules/")
        ? inPackage[0]!.startsWith("@")
          ? `${inPackage[0]}/${inPackage[1]}`
          : inPackage[0]!
        : file
            .replace(/^(\.\.\/)+/, "")
            .split("/")
            .slice(0, 2)
            .join("/");
      sizes.set(part, (sizes.get(part) ?? 0) + input.bytesInOutput);
    }
  }
  return [...sizes]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([part, bytes]) => ({ part, kib: Math.round((bytes / 1024) * 10) / 10 }));
}
