/**
 * What one sync invocation holds at its peak, in Node (run by bench/sections/diff.ts as
 * `node --expose-gc --import tsx bench/memory-run.ts N…`): live heap after a full GC at the point
 * of each path where it holds most, with generated members and the sync's own functions (a D1
 * stand-in that only records the statements built). workerd exposes no heap figure to the Worker
 * and the bench runs wrangler dev without its inspector, so this is Node's measure (8-byte
 * pointers; workerd compresses them, so a Worker holds less, of the same order).
 *
 * - memory path (≤ STAGED_SYNC_MIN_PAGES pages): the normalised list, one page of stored rows, the
 *   diff and the result batch (a first sync: every member in upsert and event JSON).
 * - staged path, listing: PAGE_CONCURRENCY raw pages in flight, normalised, with their staging JSON.
 * - staged path, diff: one chunk of staged members (parsed from D1's JSON text), the stored rows of
 *   its id range, the chunk's diff and its staged-write statements (a first sync: all added).
 * - staged path, switch: the statements of the one result batch (no member data).
 */
import { generateMembers } from "../simulator/members";
import { normalizeMember } from "../src/cloudflare/member";
import { memberListSchema } from "../src/cloudflare/schemas";
import type { StoredAccount } from "../src/domain/diff";
import { eventsFromDiff } from "../src/domain/event";
import { MEMBER_SHAPE, type Member } from "../src/domain/member";
import { eventRow } from "../src/store/events";
import { type SyncOutcome, stagedSyncWriteStatements, syncWriteStatements } from "../src/store/sync-batch";
import { stagePageStatements, stageWriteStatements } from "../src/store/sync-staging";
import { emailToColumn, memberFromRow, STORED_PAGE_ROWS } from "../src/store/user-accounts-row";
import { updateGroups, upsertRows } from "../src/store/user-accounts-write";
import { MemberDiffer } from "../src/sync/diff";
import { PAGE_CONCURRENCY } from "../src/sync/fetch-members";
import { STAGED_TAGS } from "../src/sync/staged-diff";

// Checked with the Worker's types (tsconfig.json), since it runs the sync's own statement builders;
// the little of Node it uses is declared here.
declare const process: { argv: string[]; memoryUsage(): { heapUsed: number } };

const sizes = process.argv.slice(2).map(Number);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
/** Records statements instead of running them: what the batch holds in the Worker. */
const db = {
  prepare: (sql: string) => ({ bind: (...args: unknown[]) => ({ sql, args }) }),
} as unknown as D1Database;
const CHUNK = 2_000;

/** The account as Cloudflare serves it: generated before each baseline, so never counted. */
let account: unknown[] = [];

/** Raw pages as the Worker parses them from JSON, one page at a time. */
function* rawPages(): Generator<unknown> {
  for (let i = 0; i < account.length; i += 50) yield JSON.parse(JSON.stringify(account.slice(i, i + 50)));
}

const normalise = (page: unknown) => memberListSchema.parse(page).map(normalizeMember);

const storedOf = (m: Member): StoredAccount =>
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
  });

const outcome = (): SyncOutcome => ({
  integrationId: "i",
  runId: "r",
  leaseToken: "t",
  finishedAt: new Date().toISOString(),
  previousSuccessAt: null,
  seen: 0,
  pages: 0,
  apiRequests: 0,
  enforceTwoFactor: null,
  findingThresholds: { staleInvitationDays: 14, maxSuperAdmins: 3 },
  sources: { states: {} as never, stats: {}, tokenDiff: null, sso: null, audit: null },
});

/** The in-memory path: the whole normalised list, then the diff and the result batch. */
function memoryPath(n: number) {
  const base = heap();
  const fetched: Member[] = [];
  for (const page of rawPages()) fetched.push(...normalise(page));
  const listed = heap() - base;
  // Unchanged re-sync: one page of stored rows beside the list.
  let differ: MemberDiffer | null = new MemberDiffer(fetched).add(
    fetched.slice(0, STORED_PAGE_ROWS).map(storedOf),
  );
  const unchanged = heap() - base;
  differ = null;
  // First sync: nothing stored; every member in the batch's upsert and event JSON.
  const diff = new MemberDiffer(fetched).finish();
  const statements = syncWriteStatements(db, { ...outcome(), seen: n, diff });
  const firstSync = heap() - base;
  return {
    listedMiB: mib(listed),
    unchangedMiB: mib(unchanged),
    firstSyncMiB: mib(firstSync),
    statements: statements.length,
    differ,
  };
}

/** The staged path: the largest live set of its listing, its chunked diff and its switch. */
function stagedPath(n: number) {
  const base = heap();
  let listing = 0;
  let inFlight: unknown[] = [];
  for (const page of rawPages()) {
    inFlight.push(page);
    if (inFlight.length < PAGE_CONCURRENCY) continue;
    const staged = inFlight.map((p, i) =>
      stagePageStatements(db, { runId: "r", leaseToken: "t", page: i, members: normalise(p), totalCount: n }),
    );
    listing = Math.max(listing, heap() - base);
    inFlight = [];
    void staged;
  }
  let diffPeak = 0;
  let members: Member[] = [];
  const tags = new Map<string, number>();
  for (const page of rawPages()) {
    members.push(...normalise(page));
    if (members.length < CHUNK) continue;
    diffPeak = Math.max(diffPeak, chunk(members, tags, base));
    members = [];
  }
  if (members.length > 0) diffPeak = Math.max(diffPeak, chunk(members, tags, base));
  const counts = { seen: n, added: n, updated: 0, removed: 0, unchanged: 0 };
  const statements = stagedSyncWriteStatements(
    db,
    { ...outcome(), seen: n },
    { counts, tags, late: [], invitedInserted: new Set() },
    STAGED_TAGS,
  );
  const switchMiB = mib(heap() - base);
  return {
    listingMiB: mib(listing),
    diffChunkMiB: mib(diffPeak),
    switchMiB,
    switchStatements: statements.length,
  };
}

/** One diff chunk of a first sync: staged members as D1 returns them (JSON text), all added. */
function chunk(members: Member[], tags: Map<string, number>, base: number): number {
  const rows = members.map((m) => ({ value: JSON.stringify(m) }));
  const staged = rows.map((r) => JSON.parse(r.value) as Member);
  const diff = new MemberDiffer(staged).finish();
  const events = eventsFromDiff(diff);
  const writes: [string, unknown[]][] = [
    [STAGED_TAGS.upsert, upsertRows(diff.added, new Map())],
    ...[...updateGroups([])].map(([g, r]): [string, unknown[]] => [`${STAGED_TAGS.update}${g}`, r]),
    [STAGED_TAGS.event, events.map(eventRow)],
  ];
  const statements = writes.flatMap(([tag, w]) => {
    const first = tags.get(tag) ?? 0;
    tags.set(tag, first + w.length);
    return stageWriteStatements(db, "r", tag, first, w);
  });
  const live = heap() - base;
  void statements;
  return live;
}

const out: Record<string, unknown> = {};
for (const n of sizes) {
  account = generateMembers("0123456789abcdef0123456789abcdef", n, { domain: "memory-bench" });
  out[n] = { memory: memoryPath(n), staged: stagedPath(n) };
}
console.log(JSON.stringify(out));
