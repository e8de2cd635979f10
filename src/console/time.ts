/** Relative times for the console ("3 hours ago"), with the exact UTC time for the hover title. */

const UNITS: [limitSeconds: number, seconds: number, unit: Intl.RelativeTimeFormatUnit][] = [
  [60, 1, "second"],
  [3_600, 60, "minute"],
  [86_400, 3_600, "hour"],
  [30 * 86_400, 86_400, "day"],
  [365 * 86_400, 30 * 86_400, "month"],
  [Number.POSITIVE_INFINITY, 365 * 86_400, "year"],
];

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

/** "3 hours ago", "in 5 minutes", "now". */
export function relativeTime(iso: string, now = Date.now()): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  if (Math.abs(seconds) < 10) return "just now";
  for (const [limit, size, unit] of UNITS) {
    if (Math.abs(seconds) < limit) return relative.format(Math.trunc(seconds / size), unit);
  }
  return iso;
}

/** "2026-11-29 10:00:01 UTC" */
export const exactUtc = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;

/** Whole days from `iso` to now. */
export const daysSince = (iso: string, now = Date.now()): number =>
  Math.floor((now - Date.parse(iso)) / 86_400_000);
