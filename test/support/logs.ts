/**
 * The Worker's structured log lines (src/lib/log.ts) as tests see them. test/setup.ts installs
 * the sink: every `{"level":…,"event":…}` line is captured instead of printed, so `npm test`
 * shows what a person should read. A test that expects a failure claims the error lines it causes
 * with `expectLogged`; an error line nobody claims is printed at the end of its file, and a failing
 * test prints the lines captured while it ran.
 */
import { expect } from "vitest";

export interface LogLine {
  level: "info" | "warn" | "error";
  event: string;
  [field: string]: unknown;
}

interface Captured {
  line: LogLine;
  text: string;
  claimed: boolean;
}

const METHODS = ["log", "info", "warn", "error"] as const;
type Method = (typeof METHODS)[number];

const captured: Captured[] = [];
const originals = new Map<Method, (...args: unknown[]) => void>();

/** The structured line in a console call, or null for anything else (which is printed as usual). */
function structured(args: unknown[]): LogLine | null {
  const [first] = args;
  if (args.length !== 1 || typeof first !== "string" || !first.startsWith('{"level":')) return null;
  try {
    const line = JSON.parse(first);
    return typeof line.event === "string" ? (line as LogLine) : null;
  } catch {
    return null;
  }
}

/** Replaces console.log/info/warn/error once per module instance; structured lines are kept, not printed. */
export function installLogSink(): void {
  if (originals.size > 0) return;
  for (const method of METHODS) {
    const original = console[method].bind(console) as (...args: unknown[]) => void;
    originals.set(method, original);
    console[method] = (...args: unknown[]) => {
      const line = structured(args);
      if (line) captured.push({ line, text: args[0] as string, claimed: false });
      else original(...args);
    };
  }
}

/** How many lines were captured so far: a mark to print from when a test fails. */
export const logMark = (): number => captured.length;

/** Prints the lines captured since `mark` (concurrent tests' lines included), for a failing test. */
export function printLogsSince(mark: number, title: string): void {
  const lines = captured.slice(mark);
  if (lines.length === 0) return;
  originals.get("error")?.(`Log lines while "${title}" ran:\n${lines.map((c) => c.text).join("\n")}`);
}

/** Prints error lines no test claimed: an error nobody expected stays visible in a passing run. */
export function printUnclaimedErrors(): void {
  const unclaimed = captured.filter((c) => c.line.level === "error" && !c.claimed);
  for (const c of unclaimed) originals.get("error")?.(`Unexpected error log line: ${c.text}`);
  captured.length = 0;
}

/**
 * Asserts that at least one line with this level and event (and these fields) was logged, claims
 * every such line, and returns them.
 */
export function expectLogged(level: LogLine["level"], event: string, fields: Record<string, unknown> = {}) {
  const matches = captured.filter(
    (c) =>
      c.line.level === level &&
      c.line.event === event &&
      Object.entries(fields).every(([key, value]) => c.line[key] === value),
  );
  const what = `a ${level} line "${event}" ${JSON.stringify(fields)}`;
  expect(matches.length, `${what} was logged`).toBeGreaterThan(0);
  for (const c of matches) c.claimed = true;
  return matches.map((c) => c.line);
}

/** Every captured line with this event, for assertions on what was logged. */
export const loggedEvents = (event: string): LogLine[] =>
  captured.filter((c) => c.line.event === event).map((c) => c.line);
