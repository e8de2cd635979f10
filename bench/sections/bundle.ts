/** The deployed bundle: `wrangler deploy --dry-run --outdir` of the root config, gzipped (lib/bundle.ts). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BUNDLE_BUDGET_KIB, buildBundle } from "../lib/bundle";
import { OUT, ROOT } from "../lib/processes";
import type { Figure } from "../lib/report";
import { progress } from "../lib/util";

export function bundleFigures(): { figures: Figure[]; data: unknown } {
  progress("wrangler deploy --dry-run (root wrangler.jsonc: the deployed Worker, no bench routes)");
  const { files, rawBytes, gzipBytes, wranglerReported, metafile } = buildBundle(ROOT, join(OUT, "dist"));
  const largest = largestParts(metafile);
  const kib = gzipBytes / 1024;
  progress(`bundle: ${(rawBytes / 1024).toFixed(1)} KiB, ${kib.toFixed(1)} KiB gzip`);
  return {
    figures: [
      {
        id: "bundle",
        figure: "deployed bundle (wrangler deploy --dry-run)",
        measured: `${kib.toFixed(1)} KiB gzip (${(rawBytes / 1024).toFixed(1)} KiB raw)`,
        floor: "—",
        ratio: null,
        target: `≤ ${BUNDLE_BUDGET_KIB} KiB gzip`,
        pass: kib <= BUNDLE_BUDGET_KIB,
        values: { files, rawBytes, gzipBytes, wranglerReported, largest },
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
