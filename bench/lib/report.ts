/** The bench's results: one row per figure, written as bench/results.md and bench/results.json. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./processes";

export interface Figure {
  /** Stable key, e.g. `listing.10000`. */
  id: string;
  /** The bench section that measured it (set by run.ts). */
  section?: string;
  figure: string;
  measured: string;
  floor: string;
  /** measured / floor in the figure's sense; null when there is no floor. */
  ratio: number | null;
  target: string;
  /** null: report only. */
  pass: boolean | null;
  /** Raw numbers behind the row (medians and every repetition). */
  values: Record<string, unknown>;
  /** Said under the table: why a target was missed, what limits it. */
  note?: string;
}

export interface Results {
  meta: Record<string, unknown>;
  figures: Figure[];
  sections: Record<string, unknown>;
  /** When each section last ran (a run with --only keeps the other sections' earlier figures). */
  sectionRuns?: Record<string, { date: string; command: string }>;
}

/** The previous results, if any, so a partial run can keep what it did not measure. */
export function readResults(): Results | null {
  try {
    return JSON.parse(readFileSync(join(ROOT, "bench", "results.json"), "utf8")) as Results;
  } catch {
    return null;
  }
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

function verdict(f: Figure): string {
  if (f.pass === null) return "report";
  return f.pass ? "pass" : "**miss**";
}

export function renderMarkdown(results: Results, extra: string[]): string {
  const m = results.meta;
  const lines = [
    "# Benchmark results",
    "",
    `Written by \`npm run bench\` on ${m.date} (${m.machine}); ${m.command}.`,
    `Simulated Cloudflare latency ${m.latencyMs} ms per request; ${m.reps} repetitions per figure (medians);`,
    `HTTP figures: autocannon, ${m.connections} connections, ${m.rounds} interleaved rounds of ${m.httpSeconds} s.`,
    "Every figure is a ratio to a floor measured in the same run (see bench/README.md).",
    "",
    "| figure | measured | floor | ratio | target | result |",
    "|---|---|---|---|---|---|",
  ];
  for (const f of results.figures) {
    const ratio = f.ratio === null ? "—" : `${f.ratio.toFixed(2)}×`;
    lines.push(
      `| ${cell(f.figure)} | ${cell(f.measured)} | ${cell(f.floor)} | ${ratio} | ${cell(f.target)} | ${verdict(f)} |`,
    );
  }
  const runs = Object.entries(results.sectionRuns ?? {});
  if (runs.some(([, r]) => r.date !== m.date)) {
    lines.push(
      "",
      `Sections measured by earlier runs: ${runs
        .filter(([, r]) => r.date !== m.date)
        .map(([name, r]) => `${name} (${r.date}, \`${r.command}\`)`)
        .join("; ")}.`,
    );
  }
  const notes = results.figures.filter((f) => f.note);
  if (notes.length > 0) {
    lines.push("", "## Notes", "");
    for (const f of notes) lines.push(`- **${f.figure}** (${verdict(f)}): ${f.note}`);
  }
  lines.push(...extra);
  lines.push("");
  return lines.join("\n");
}

export function writeResults(results: Results, extra: string[]): void {
  writeFileSync(join(ROOT, "bench", "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(ROOT, "bench", "results.md"), renderMarkdown(results, extra));
}
