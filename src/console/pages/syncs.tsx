/** One integration's sync history (docs/console.md#pages), newest first, with each failure's message. */
import type { SyncRun } from "../../store/sync-runs";
import { Badge, type BadgeTone, Empty, Time } from "../components";

const STATUS_TONE: Record<SyncRun["status"], BadgeTone> = {
  queued: "info",
  running: "info",
  succeeded: "ok",
  failed: "bad",
};

const duration = (r: SyncRun) =>
  r.startedAt && r.finishedAt
    ? `${((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1)} s`
    : "";

function RunRow({ r }: { r: SyncRun }) {
  return (
    <tr>
      <th scope="row" class="nowrap">
        <Time iso={r.queuedAt} />
      </th>
      <td>{r.trigger}</td>
      <td>
        <Badge tone={STATUS_TONE[r.status]}>{r.status}</Badge>
      </td>
      <td>{duration(r)}</td>
      <td>{r.apiRequests}</td>
      <td>
        {r.counts.seen} seen, {r.counts.added} added, {r.counts.updated} updated, {r.counts.removed} removed
      </td>
      <td>{r.error ? `${r.error.code}: ${r.error.message}` : ""}</td>
    </tr>
  );
}

export function SyncsPage({ runs }: { runs: SyncRun[] }) {
  if (runs.length === 0) {
    return (
      <Empty>
        <p>
          No sync yet. An admin can start one with Sync now on the <a href="/">Integrations page</a>; the
          schedule syncs every 15 minutes.
        </p>
      </Empty>
    );
  }
  return (
    <table>
      <caption>Sync runs, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Queued</th>
          <th scope="col">Trigger</th>
          <th scope="col">Status</th>
          <th scope="col">Duration</th>
          <th scope="col">API requests</th>
          <th scope="col">Members</th>
          <th scope="col">Error</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <RunRow r={r} />
        ))}
      </tbody>
    </table>
  );
}
