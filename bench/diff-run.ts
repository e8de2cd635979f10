/**
 * The pure diff of N members in Node (run by bench/sections/diff.ts as
 * `node --expose-gc --import tsx bench/diff-run.ts N RUNS`): generated members, validated and
 * normalised as a sync does it page by page, then `diffMembers` for an unchanged list, a list with
 * 1% changed and a first sync (nothing stored). Prints one JSON object: ms and heap per scenario.
 */

import { generateMembers } from "../simulator/members";
import { normalizeMember } from "../src/cloudflare/member";
import { memberListSchema } from "../src/cloudflare/schemas";
import type { StoredAccount } from "../src/domain/diff";
import { MEMBER_SHAPE, type Member } from "../src/domain/member";
import { emailToColumn, memberFromRow, STORED_PAGE_ROWS } from "../src/store/user-accounts-row";
import { diffMembers } from "../src/sync/diff";

const n = Number(process.argv[2] ?? 50_000);
const runs = Number(process.argv[3] ?? 7);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

const heap0 = heap();
// What the Worker holds: the raw pages as parsed from JSON, not the generator's shared objects.
function rawPages(): { pages: unknown[]; bytes: number } {
  const raw = generateMembers("0123456789abcdef0123456789abcdef", n, { domain: "diff-bench" });
  const out: unknown[] = [];
  let bytes = 0;
  for (let i = 0; i < raw.length; i += 50) {
    const text = JSON.stringify(raw.slice(i, i + 50));
    bytes += text.length;
    out.push(JSON.parse(text));
  }
  return { pages: out, bytes };
}
let { pages, bytes: pageBytes } = rawPages();
const heapRaw = heap();

// Validate and normalise page by page, as listAllMembers does (timed on copies, 3 rounds).
const pageMs: number[] = [];
let fetched: Member[] = [];
for (let r = 0; r < 3; r++) {
  fetched = [];
  const t0 = performance.now();
  for (const page of pages) {
    for (const m of memberListSchema.parse(page)) fetched.push(normalizeMember(m));
  }
  pageMs.push((performance.now() - t0) / pages.length);
}
// listAllMembers keeps only the normalised members of a page once it has arrived.
pages = [];
const heapFetched = heap();
const heapListing = heapFetched;
// Stored accounts as loadStoredAccounts builds them: D1 rows (JSON columns as text, as the sync
// wrote them) through memberFromRow.
const stored: StoredAccount[] = fetched.map((m) =>
  memberFromRow({
    id: m.id,
    user_id: m.userId,
    email: emailToColumn(m.email),
    first_name: m.firstName,
    last_name: m.lastName,
    status: m.status,
    roles: JSON.stringify(m.roles),
    policies: JSON.stringify(m.policies),
    two_factor_enabled: m.twoFactorEnabled === null ? null : Number(m.twoFactorEnabled),
    api_access_enabled: m.apiAccessEnabled === null ? null : Number(m.apiAccessEnabled),
    shape: MEMBER_SHAPE,
    removed_at: null,
  }),
);
const heapInputs = heap();

// 1% changed: 80% updated, 10% removed, 10% new.
const onePercent = Math.round(n / 100);
const changedList: Member[] = fetched.slice(Math.round(onePercent * 0.1)).map((m, i) => {
  if (i >= Math.round(onePercent * 0.8)) return m;
  return i % 2 === 0
    ? { ...m, twoFactorEnabled: !m.twoFactorEnabled }
    : { ...m, roles: [{ id: "bench-role", name: "Bench Role" }] };
});
for (let i = 0; i < Math.round(onePercent * 0.1); i++) {
  changedList.push({ ...fetched[i]!, id: `new-${i}`, email: `new.${i}@diff-bench.example` });
}

const scenarios: Record<string, () => ReturnType<typeof diffMembers>> = {
  unchanged: () => diffMembers(stored, fetched),
  onePercentChanged: () => diffMembers(stored, changedList),
  firstSync: () => diffMembers([], fetched),
};

const out: Record<string, unknown> = {
  members: n,
  runs,
  rawJsonMiB: mib(pageBytes),
  /** Every raw page parsed at once: what listAllMembers avoids by normalising each page on arrival. */
  heapRawPagesMiB: mib(heapRaw - heap0),
  /** The normalised list: what the listing holds at its end. */
  heapEndOfListingMiB: mib(heapListing - heap0),
  heapNormalizedMiB: mib(heapFetched - heap0),
  heapStoredMiB: mib(heapInputs - heapFetched),
  /** Normalised list plus stored list: both whole. */
  heapDiffInputsMiB: mib(heapInputs - heap0),
  /** What a sync holds: the normalised list and one page of stored rows (forEachStoredPage). */
  heapSyncWorkingSetMiB: mib(
    heapFetched - heap0 + ((heapInputs - heapFetched) * Math.min(n, STORED_PAGE_ROWS)) / n,
  ),
  storedPageRows: STORED_PAGE_ROWS,
  validateNormalizeMsPerPage: Math.round(median(pageMs) * 1000) / 1000,
};
for (const [name, run] of Object.entries(scenarios)) {
  const ms: number[] = [];
  const peak: number[] = [];
  const retained: number[] = [];
  let counts: Record<string, number> = {};
  for (let r = 0; r < runs; r++) {
    const before = heap();
    const t0 = performance.now();
    let diff: ReturnType<typeof diffMembers> | null = run();
    ms.push(performance.now() - t0);
    peak.push(process.memoryUsage().heapUsed - before);
    retained.push(heap() - before);
    counts = {
      added: diff.added.length,
      restored: diff.restored.length,
      updated: diff.updated.length,
      removed: diff.removed.length,
      unchanged: diff.unchanged,
    };
    diff = null;
  }
  out[name] = {
    ms: Math.round(median(ms) * 10) / 10,
    allMs: ms.map((x) => Math.round(x * 10) / 10),
    heapGrowthMiB: mib(median(peak)),
    heapRetainedMiB: mib(median(retained)),
    counts,
  };
}
console.log(JSON.stringify(out));
