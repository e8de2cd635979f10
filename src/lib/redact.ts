/**
 * Cuts credentials out of text that leaves the Worker (log lines, stored error messages):
 * token-shaped strings (cfut_/cfat_/cfk_ prefixes) and Bearer values.
 */
export function redactSecrets(message: string): string {
  return message
    .replace(/\bcf[a-z]{1,3}_[A-Za-z0-9_-]{8,}/g, "[redacted]")
    .replace(/(Bearer\s+)\S+/gi, "$1[redacted]");
}
