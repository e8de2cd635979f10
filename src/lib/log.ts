/**
 * Structured JSON logs, one line per event. Values pass through redaction: nothing that looks
 * like a Cloudflare token or a bearer credential leaves the Worker in a log line.
 */
import { redactSecrets } from "./redact";

type Level = "info" | "warn" | "error";

export function log(level: Level, event: string, fields: Record<string, unknown> = {}): void {
  const line = redactSecrets(JSON.stringify({ level, event, time: new Date().toISOString(), ...fields }));
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
