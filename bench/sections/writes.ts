/**
 * D1 rows written by a re-sync of an account of 10,000 members: unchanged (floor: 0 member rows;
 * target ≤ 3 rows in all) and with 1% of the members changed (floor: the changed rows plus their
 * events). Also creates the integration the read-path figures use.
 */
import { randomBytes } from "node:crypto";
import type { Integration } from "../lib/api";
import type { Context } from "../lib/context";
import type { Figure } from "../lib/report";
import { grouped, mapLimit, median, progress, round } from "../lib/util";

type RawMember = {
  id: string;
  status?: string;
  user?: { id?: string; email?: string; two_factor_authentication_enabled?: boolean | null } | null;
  roles?: { id: string; name: string }[] | null;
  [key: string]: unknown;
};

let shared: { integration: Integration; accountId: string; members: number } | null = null;

/**
 * The integration of `rowsMembers` members the write and read figures share. Its simulated token
 * has a large rate limit: these figures are about D1 and HTTP, and many re-syncs of 201 requests
 * each would otherwise run into the 1,200-per-5-minutes budget the first-sync figures measure.
 */
export async function rowsIntegration(ctx: Context) {
  if (shared) return shared;
  const n = ctx.opts.rowsMembers;
  const account = await ctx.b.account("Bench Rows", n, { limit: 1_000_000, windowSeconds: 300 });
  const integration = await ctx.b.createIntegration("rows", account);
  await ctx.b.finished(integration.lastSync!.id, 600_000);
  progress(`integration with ${grouped(n)} members connected and synced`);
  shared = { integration, accountId: account.accountId, members: n };
  return shared;
}

/** Rows of the findings tables (bench route): a sync's finding writes are the difference. */
export async function findingCounts(ctx: Context) {
  const r = await fetch(`${ctx.b.api}/__bench/finding-counts`);
  return (await r.json()) as { findings: number; findingEvents: number; open: number };
}

async function resync(ctx: Context, integrationId: string) {
  const findingsBefore = await findingCounts(ctx);
  const started = await ctx.b.startSync(integrationId);
  const run = await ctx.b.finished(started.id);
  const log = await ctx.b.runLog(run.id);
  const d1 = await ctx.workerLog.waitFor(
    (e) => e.event === "bench_d1" && e.handler === "queue" && e.runIds?.includes(run.id),
    30_000,
    "the bench_d1 line of the run",
  );
  const events = await ctx.b.eventsOf(run.id);
  const memberRows = run.counts.added + run.counts.updated + run.counts.removed;
  // Each finding opened or resolved is one findings row and its feed row (a trigger's).
  const findingEvents = (await findingCounts(ctx)).findingEvents - findingsBefore.findingEvents;
  return {
    findingEvents,
    runId: run.id,
    rowsWritten: log.rowsWritten ?? 0,
    memberRows,
    events,
    counts: run.counts,
    d1Queries: d1.queries as number,
    d1RowsWritten: d1.rowsWritten as number,
    /** Table rows the invocation changed (D1 `meta.changes`), index entries not counted. */
    tableRows: d1.changes as number,
    batchRowsWritten: d1.batchRowsWritten as number[][],
    durationMs: log.durationMs,
  };
}

interface ChangePlan {
  roles: number;
  twoFactor: number;
  removed: number;
  added: number;
}

/** Members already changed by an earlier step: every step changes members nobody touched yet. */
const touched = new Set<string>();
let addedSoFar = 0;

/**
 * Changes members in the simulator, as an admin would in the dashboard: replaced roles, a toggled
 * 2FA flag, removed members, new members.
 */
async function applyChanges(ctx: Context, accountId: string, plan: ChangePlan) {
  const { members } = await ctx.b.control<{ members: RawMember[] }>("GET", `/accounts/${accountId}/members`);
  const accepted = members.filter((m) => m.status === "accepted" && m.user?.email);
  const roles = [
    ...new Map(
      accepted.flatMap((m) => m.roles ?? []).map((r) => [r.id, { id: r.id, name: r.name }]),
    ).values(),
  ];
  const fresh = accepted.filter((m) => !touched.has(m.id));
  const take = (k: number) => {
    const picked = fresh.splice(0, k);
    for (const m of picked) touched.add(m.id);
    return picked;
  };
  const patch = (m: RawMember, body: Record<string, unknown>) =>
    ctx.b.control("PATCH", `/accounts/${accountId}/members/${m.id}`, body);
  await mapLimit(take(plan.roles), 8, (m) =>
    patch(m, {
      roles: [roles.find((r) => r.id !== m.roles?.[0]?.id) ?? { id: "bench-role", name: "Bench" }],
    }),
  );
  await mapLimit(take(plan.twoFactor), 8, (m) =>
    patch(m, {
      user: { two_factor_authentication_enabled: !(m.user?.two_factor_authentication_enabled ?? false) },
    }),
  );
  await mapLimit(take(plan.removed), 8, (m) =>
    ctx.b.control("DELETE", `/accounts/${accountId}/members/${m.id}`),
  );
  const template = accepted[accepted.length - 1]!;
  const added = Array.from({ length: plan.added }, () => {
    const i = addedSoFar++;
    return {
      ...template,
      id: randomBytes(16).toString("hex"),
      user: { ...template.user, id: randomBytes(16).toString("hex"), email: `added.${i}@bench-rows.example` },
    };
  });
  if (added.length > 0) await ctx.b.control("POST", `/accounts/${accountId}/members`, { members: added });
  return plan;
}

/** 1% of the members: 40% get new roles, 40% toggle 2FA, 10% are removed, 10% are new. */
function onePercent(members: number): ChangePlan {
  const total = Math.max(4, Math.round(members / 100));
  const removed = Math.round(total * 0.1);
  const added = Math.round(total * 0.1);
  const roles = Math.round((total - removed - added) / 2);
  return { roles, twoFactor: total - removed - added - roles, removed, added };
}

type Resync = Awaited<ReturnType<typeof resync>> & { floor: number; change: ChangePlan };

interface IndexInfo {
  tableName: string;
  name: string;
  sql: string | null;
}

/** What the rows of the 1%-changed figure are made of, from this run's own measurements and schema. */
function changedNote(
  r: Resync,
  m: {
    rows: number;
    ratio: number;
    tableRows: number;
    tableRatio: number;
    perKind: Record<string, { perMember: number }>;
    base: number;
    indexes: IndexInfo[];
  },
): string {
  const of = (t: string) =>
    m.indexes.filter((i) => i.tableName === t && !i.name.startsWith("sqlite_autoindex"));
  const ua = of("user_accounts");
  const ev = of("events");
  // A new member (removed_at NULL) gets an entry in every index but the partial ones on removed_at.
  const onAdd = ua.filter((i) => !/\bWHERE\b[^)]*removed_at/i.test(i.sql ?? ""));
  const per = (k: string) => m.perKind[k]?.perMember ?? Number.NaN;
  // A kind the local queue's stall left unmeasured is said so, never printed as NaN.
  const shown = (k: string) => (m.perKind[k] ? String(per(k)) : "not measured");
  const plan = r.change;
  const predicted =
    plan.roles * per("roles") +
    plan.twoFactor * per("twoFactor") +
    plan.removed * per("removed") +
    plan.added * per("added") +
    m.base;
  let text =
    `Change mix per 1%: ${plan.roles} roles replaced, ${plan.twoFactor} 2FA toggled, ${plan.removed} removed, ${plan.added} added. ` +
    `D1 counts every index entry a statement writes; the run changed ${grouped(m.tableRows)} table rows (\`meta.changes\`, ${m.tableRatio.toFixed(2)}× the floor: only the changed members, their events, the run and the integration) and D1 reported ${grouped(m.rows)}. ` +
    `Rows per changed member with its event, measured one kind at a time (rows of the run minus the ${m.base} of an unchanged run): roles ${shown("roles")}, 2FA ${shown("twoFactor")}, removed ${shown("removed")}, added ${shown("added")}; the floor counts 2. ` +
    `user_accounts has ${ua.length} secondary indexes (${ua.map((i) => i.name).join(", ") || "none"}); events ${ev.length ? `has ${ev.map((i) => i.name).join(", ")}` : "has none"}. ` +
    `The run also opened or resolved ${r.findingEvents} findings (docs/findings.md): each rewrites its findings row and that row's two index entries (status is in both) and adds a feed row with two index entries, about 7 D1 rows, none of which the floor counts; a 2FA toggle opens or resolves a member_without_2fa, so its per-member figure includes one. `;
  if (m.ratio <= 1.1) return text;
  // Without findings in the run, a 2FA toggle costing more than its row, event and one index entry means a rewrite.
  if (per("twoFactor") > 3.5 && r.findingEvents === 0) {
    text +=
      "A 2FA (or status, or email) change rewrites every index entry of the row, because its statement names all indexed columns. " +
      "Likely fix (src/store/user-accounts.ts): an UPDATE naming only the indexed columns that changed. ";
    return text;
  }
  const bestAdd = 2 + onAdd.length;
  const bestMix = (plan.roles + plan.twoFactor + plan.removed) * 2 + plan.added * bestAdd + m.base;
  text +=
    `Each kind costs the least this schema allows: its row and event, plus only the index entries whose key changes — none for roles, the one in user_accounts_by_two_factor for 2FA, the one in the partial index on removed_at (which retention prunes by) for a removal, ${onAdd.length} for an added member. ` +
    (Number.isNaN(predicted)
      ? "Not every kind was measured, so no prediction for the mix. "
      : `Those per-kind figures predict ${grouped(predicted)} rows for the mix; the run wrote ${grouped(m.rows)}. `) +
    `The floor itself is the limit: even if no change but an addition wrote an index entry, the ${plan.added} added members alone (${bestAdd} rows each: row, event, ${onAdd.length} index entries) make ${grouped(bestMix)} rows, ${(bestMix / r.floor).toFixed(2)}× the floor. ` +
    "The filter indexes (status, 2FA) cost 1 row per added member and per 2FA or status change; they keep filtered pages to a bounded index range instead of a scan of the whole account, which for an access review's `twoFactor=false` is worth more than those writes. " +
    `Counted as D1's table rows (\`meta.changes\`), the run is ${m.tableRatio.toFixed(2)}× the floor.`;
  return text;
}

export async function writeFigures(ctx: Context): Promise<{ figures: Figure[]; data: unknown }> {
  const { opts } = ctx;
  const { integration, accountId, members } = await rowsIntegration(ctx);
  const info = (await (await fetch(`${ctx.b.api}/__bench/db-size`)).json()) as {
    indexes: IndexInfo[];
  };
  const indexes = info.indexes;

  const unchanged = [];
  for (let rep = 1; rep <= opts.reps; rep++) {
    const r = await resync(ctx, integration.id);
    unchanged.push(r);
    progress(
      `unchanged re-sync of ${grouped(members)} rep ${rep}/${opts.reps}: ${r.rowsWritten} rows written (${r.memberRows} member rows), ${r.d1Queries} D1 queries`,
    );
  }

  const changed: Resync[] = [];
  for (let rep = 1; rep <= opts.reps; rep++) {
    const change = await applyChanges(ctx, accountId, onePercent(members));
    const r = await resync(ctx, integration.id);
    const floor = r.memberRows + r.events;
    changed.push({ ...r, change, floor });
    progress(
      `1% changed re-sync rep ${rep}/${opts.reps}: ${r.rowsWritten} rows written for ${r.memberRows} changed members + ${r.events} events (floor ${floor}); ${r.findingEvents} findings opened or resolved`,
    );
  }

  // Before the per-kind step, whose many queue deliveries the local queue's stalls hit most.
  const sources = await sourceRequestsFigure(ctx);

  // The same, one kind of change at a time: rows per changed member, its event included.
  const base = median(unchanged.map((r) => r.rowsWritten));
  const k = Math.max(1, Math.round(members / 400));
  const kinds: [keyof ChangePlan, string][] = [
    ["roles", "roles replaced"],
    ["twoFactor", "2FA toggled"],
    ["removed", "removed"],
    ["added", "added"],
  ];
  const perKind: Record<string, { members: number; rowsWritten: number; perMember: number }> = {};
  try {
    for (const [kind, label] of kinds) {
      await applyChanges(ctx, accountId, { roles: 0, twoFactor: 0, removed: 0, added: 0, [kind]: k });
      const r = await resync(ctx, integration.id);
      perKind[kind] = {
        members: k,
        rowsWritten: r.rowsWritten,
        perMember: round((r.rowsWritten - base) / k, 2),
      };
      progress(`${k} members ${label}: ${r.rowsWritten} rows written, ${perKind[kind].perMember} per member`);
    }
  } catch (e) {
    // The local queue now and then stops delivering for good (a run stays queued with no attempt;
    // bench/README.md): the figures measured so far still count, the per-kind breakdown is left incomplete.
    progress(`per-kind breakdown incomplete: ${e instanceof Error ? e.message : String(e)}`);
  }

  const rows = median(unchanged.map((r) => r.rowsWritten));
  const memberRows = median(unchanged.map((r) => r.memberRows));
  const changedRows = median(changed.map((r) => r.rowsWritten));
  const changedFloor = median(changed.map((r) => r.floor));
  const ratio = median(changed.map((r) => r.rowsWritten / r.floor));
  const tableRows = median(changed.map((r) => r.tableRows));
  const tableRatio = median(changed.map((r) => r.tableRows / r.floor));
  const c0 = changed[0];
  const figures: Figure[] = [
    {
      id: "rows.unchanged",
      figure: `D1 rows written by an unchanged re-sync of ${grouped(members)} members`,
      measured: `${memberRows} member rows, ${rows} rows in all (${unchanged.map((r) => r.rowsWritten).join(", ")})`,
      floor: "0 member rows",
      ratio: null,
      target: "0 member rows, ≤ 3 rows in all",
      pass: unchanged.every((r) => r.memberRows === 0 && r.rowsWritten <= 3),
      values: { samples: unchanged },
      note:
        "rowsWritten is what D1 reports for the run (lease + batch), from its `sync_run` log line. " +
        `Starting the run is not in it: queuing writes the run row and the integration's last_sync_id (see the cron tick's bench_d1 line in the scale section).`,
    },
    {
      id: "rows.changed",
      figure: `D1 rows written when 1% of ${grouped(members)} members changed`,
      measured: `${grouped(changedRows)} rows (${changed.map((r) => r.rowsWritten).join(", ")}); ${grouped(tableRows)} of them table rows`,
      floor: `${grouped(changedFloor)} = ${c0?.memberRows} changed rows + ${c0?.events} events`,
      ratio,
      target: "≤ 1.1×",
      pass: ratio <= 1.1,
      values: { tableRows, tableRatio: round(tableRatio, 3), perKind, samples: changed },
      note: changedNote(c0!, { rows: changedRows, ratio, tableRows, tableRatio, perKind, base, indexes }),
    },
  ];
  figures.push(findingRowsFigure(members, unchanged, changed));
  figures.push(sources);
  return { figures, data: { unchanged, changed, perKind } };
}

/**
 * Finding rows the recompute at the end of each re-sync wrote: none when nothing changed; when 1%
 * changed, in proportion to the changed members (a finding opens or resolves only for a member
 * whose change ends or starts a condition).
 */
function findingRowsFigure(
  members: number,
  unchanged: { findingEvents: number }[],
  changed: { findingEvents: number; memberRows: number }[],
): Figure {
  const still = unchanged.map((r) => r.findingEvents);
  const moved = changed.map((r) => r.findingEvents);
  const perChanged = median(changed.map((r) => r.findingEvents / Math.max(1, r.memberRows)));
  return {
    id: "rows.findings",
    figure: `finding rows written by the recompute after a re-sync of ${grouped(members)} members`,
    measured: `unchanged: ${still.join(", ")} findings opened or resolved; 1% changed: ${moved.join(", ")} for ${changed.map((r) => r.memberRows).join(", ")} changed members (${perChanged.toFixed(2)} per changed member)`,
    floor: "0 when unchanged",
    ratio: null,
    target: "0 unchanged; ≤ 1 per changed member",
    pass: still.every((n) => n === 0) && perChanged <= 1,
    values: { unchanged: still, changed: moved, perChanged: round(perChanged, 3) },
    note: "Counted as rows added to finding_events (each is one findings row written, and its feed row written by a trigger). An open finding that still holds and reads the same is not written.",
  };
}

/** Members of the account the requests-per-sync figure uses. */
const SOURCES_MEMBERS = 1_000;

/**
 * Cloudflare requests of an unchanged re-sync of 1,000 members with every optional source
 * readable (audit log, API tokens, SSO), per source, against the target of members 20 + audit ≤ 2
 * + tokens ≤ 1 + SSO 1; and the D1 rows that re-sync writes.
 */
async function sourceRequestsFigure(ctx: Context): Promise<Figure> {
  const account = await ctx.b.account("Bench Sources", SOURCES_MEMBERS, {
    limit: 1_000_000,
    windowSeconds: 300,
  });
  const integration = await ctx.b.createIntegration("sources", account);
  await ctx.b.finished(integration.lastSync!.id, 600_000);
  const r = await resync(ctx, integration.id);
  const run = (await ctx.b.finished(r.runId)) as unknown as {
    apiRequests: number;
    sources: Record<string, { requests: number; state: string }>;
  };
  const per = (s: string) => run.sources?.[s]?.requests ?? Number.NaN;
  const members = per("members");
  const floor = Math.ceil(SOURCES_MEMBERS / 50);
  progress(
    `unchanged re-sync of ${grouped(SOURCES_MEMBERS)} with all sources: ${run.apiRequests} requests (members ${members}, audit ${per("auditLog")}, tokens ${per("apiTokens")}, SSO ${per("sso")}), ${r.rowsWritten} D1 rows`,
  );
  return {
    id: "sources.requests",
    figure: `Cloudflare requests of an unchanged re-sync of ${grouped(SOURCES_MEMBERS)} members with every source readable`,
    measured: `${run.apiRequests} (members ${members} incl. the account read, audit log ${per("auditLog")}, API tokens ${per("apiTokens")}, SSO ${per("sso")}); ${r.rowsWritten} D1 rows written`,
    floor: `${floor} member pages`,
    ratio: run.apiRequests / floor,
    target: "members 20 + audit ≤ 2 + tokens ≤ 1 + SSO 1 (≤ 24); ≤ 5 D1 rows",
    pass:
      run.apiRequests <= 24 &&
      per("auditLog") <= 2 &&
      per("apiTokens") <= 1 &&
      per("sso") <= 1 &&
      r.rowsWritten <= 5,
    values: { sources: run.sources, rowsWritten: r.rowsWritten },
    note:
      "The members figure includes the account read that runs beside page 1 (its 2FA setting). Every source state was " +
      `${Object.values(run.sources ?? {})
        .map((s) => s.state)
        .join("/")}.`,
  };
}
