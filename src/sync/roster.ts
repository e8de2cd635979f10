/**
 * Replacing and removing the roster (docs/people.md#the-roster), and the queue job that recomputes
 * the roster findings of every integration afterwards. The roster is switched in one transaction;
 * its findings follow in one queue invocation, from stored rows only (no Cloudflare calls).
 */
import type { RosterPerson } from "../domain/roster";
import { type Failure, failure } from "../lib/errors";
import { log } from "../lib/log";
import { err, ok, type Result } from "../lib/result";
import { nowIso } from "../lib/time";
import { recomputeRosterFindingStatements } from "../store/findings";
import { listEnabledIntegrationIds } from "../store/integrations";
import {
  activateRoster,
  currentRoster,
  purgeOldRosters,
  type RosterSummary,
  retireRoster,
  stageRoster,
} from "../store/roster";
import type { QueueMessage } from "./enqueue";

export interface RosterDeps {
  db: D1Database;
  queue: Queue<QueueMessage>;
}

/** Integrations whose roster findings are recomputed per D1 batch (two statements each). */
const INTEGRATIONS_PER_BATCH = 25;
const INTEGRATION_PAGE = 1_000;

export interface RosterChange {
  roster: RosterSummary | null;
  /** `queued`: recomputed shortly; `next_sync`: the queue refused, each integration's next sync does it. */
  findings: "queued" | "next_sync";
}

/** Stages the people, switches to them in one transaction, then queues the findings recomputation. */
export async function replaceRoster(
  deps: RosterDeps,
  people: readonly RosterPerson[],
): Promise<Result<RosterChange, Failure>> {
  const id = crypto.randomUUID();
  await stageRoster(deps.db, { id, createdAt: nowIso() }, people);
  if (!(await activateRoster(deps.db, id, nowIso()))) {
    return err(
      failure(
        "conflict",
        "Another roster upload ran at the same time and this one was not applied; upload it again.",
      ),
    );
  }
  return ok({ roster: await currentRoster(deps.db), findings: await requestRosterFindings(deps) });
}

/** Removes the roster (its findings resolve). Null when there was none. */
export async function removeRoster(deps: RosterDeps): Promise<RosterChange | null> {
  if (!(await retireRoster(deps.db))) return null;
  return { roster: null, findings: await requestRosterFindings(deps) };
}

async function requestRosterFindings(deps: RosterDeps): Promise<RosterChange["findings"]> {
  try {
    await deps.queue.send({ kind: "roster_findings", requestedAt: nowIso() });
    return "queued";
  } catch (e) {
    // The roster is already switched; every sync recomputes these findings too, so they follow
    // within a cron interval rather than never.
    log("warn", "roster_findings_not_queued", { error: e instanceof Error ? e.message : String(e) });
    return "next_sync";
  }
}

/**
 * The queue job: recompute leaver_with_access and unknown_person for every integration, then
 * delete retired rosters. Returns how many integrations were recomputed and roster rows purged.
 */
export async function recomputeRosterFindings(
  db: D1Database,
): Promise<{ integrations: number; purged: number }> {
  const started = Date.now();
  const now = nowIso();
  let integrations = 0;
  let after = "";
  for (;;) {
    const ids = await listEnabledIntegrationIds(db, after, INTEGRATION_PAGE, "all");
    if (ids.length === 0) break;
    for (let i = 0; i < ids.length; i += INTEGRATIONS_PER_BATCH) {
      const part = ids.slice(i, i + INTEGRATIONS_PER_BATCH);
      await db.batch(part.flatMap((id) => recomputeRosterFindingStatements(db, id, now)));
    }
    integrations += ids.length;
    after = ids.at(-1)!;
  }
  const purged = await purgeOldRosters(db, Date.now());
  log("info", "roster_findings_recomputed", { integrations, purged, durationMs: Date.now() - started });
  return { integrations, purged };
}
