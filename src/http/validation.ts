/** zod failures as the API's one `validation_failed` error (docs/api.md#errors). */
import type { ZodError } from "zod";
import { AppError, type ErrorDetail } from "../lib/errors";

/** zod issues → one `details` entry per failing field (its first problem), and a readable summary. */
export function validationError(error: ZodError, where: "body" | "query" | "path"): AppError {
  const details: ErrorDetail[] = [];
  const seen = new Set<string>();
  const add = (path: string, message: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    details.push({ path, message });
  };
  for (const issue of error.issues) {
    const base = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) add(base ? `${base}.${key}` : key, "is not a known field");
    } else {
      add(base || where, issue.message);
    }
  }
  const message = details.map((d) => `${d.path}: ${d.message}`).join("; ");
  return new AppError("validation_failed", message, details);
}

/** A 400 `validation_failed` about one query or body field. */
export const invalidField = (path: string, message: string) =>
  new AppError("validation_failed", `${path}: ${message}`, [{ path, message }]);
