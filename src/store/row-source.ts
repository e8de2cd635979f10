/**
 * Where a bulk statement's rows come from (docs/sync.md#staged-sync): a JSON array bound to the
 * statement and expanded with json_each, or rows a staged sync wrote to sync_staged_writes
 * earlier. Both give a row alias `j` whose `value` is the row's JSON object, so each write's SQL
 * exists once and reads `j.value ->> 'field'` either way.
 */
export type RowSource =
  | { json: string }
  /** Rows `tag` of `runId` with from ≤ seq < to. */
  | { runId: string; tag: string; from: number; to: number };

export interface RowSourceSql {
  /** The FROM item, aliased `j`. */
  from: string;
  /** A condition on `j` (never empty). */
  where: string;
  /** The row's position within its source, from 0: json_each's key, or the staged seq minus `from`. */
  position: string;
  binds: unknown[];
}

/** The SQL of a row source whose parameters are numbered from `first` (?first, ?first+1, …). */
export function rowSourceSql(source: RowSource, first: number): RowSourceSql {
  if ("json" in source) {
    return { from: `json_each(?${first}) AS j`, where: "true", position: "j.key", binds: [source.json] };
  }
  return {
    from: "sync_staged_writes AS j",
    where: `j.run_id = ?${first} AND j.tag = ?${first + 1} AND j.seq >= ?${first + 2} AND j.seq < ?${first + 3}`,
    position: `(j.seq - ?${first + 2})`,
    binds: [source.runId, source.tag, source.from, source.to],
  };
}

/** Staged rows applied per statement: D1 bounds a statement's time, not its rows. */
export const STAGED_ROWS_PER_STATEMENT = 2_000;

/** The staged rows `tag` of a run (seq 0 … count-1) as sources of at most STAGED_ROWS_PER_STATEMENT. */
export function stagedSources(runId: string, tag: string, count: number): RowSource[] {
  const out: RowSource[] = [];
  for (let from = 0; from < count; from += STAGED_ROWS_PER_STATEMENT) {
    out.push({ runId, tag, from, to: Math.min(count, from + STAGED_ROWS_PER_STATEMENT) });
  }
  return out;
}
