/** Findings (docs/console.md#pages): open or resolved, by severity, with what to do. */
import type { Finding } from "../../store/findings";
import type { Integration } from "../../store/integrations";
import { Badge, type BadgeTone, Empty, ErrorSummary, Pager, Time } from "../components";
import type { FormError } from "./integrations";

const SEVERITY_TONE: Record<Finding["severity"], BadgeTone> = { high: "bad", medium: "warn", low: "muted" };

const subjectHref = (f: Finding) =>
  f.subject.kind === "account"
    ? `/integrations/${encodeURIComponent(f.integrationId)}/accounts/${encodeURIComponent(f.subject.id)}`
    : null;

function FindingRow({ f, label }: { f: Finding; label: string }) {
  const href = subjectHref(f);
  return (
    <tr>
      <td>
        <Badge tone={SEVERITY_TONE[f.severity]}>{f.severity}</Badge>
      </td>
      <th scope="row">
        {href ? <a href={href}>{f.title}</a> : f.title}
        <div class="muted">{f.detail}</div>
      </th>
      <td>{label}</td>
      <td>{f.remediation}</td>
      <td class="nowrap">
        <Time iso={f.openedAt} />
      </td>
      <td class="nowrap">
        {f.status === "resolved" ? <Time iso={f.resolvedAt} /> : <Badge tone="info">open</Badge>}
      </td>
    </tr>
  );
}

function FindingFilterForm({
  query,
  integrations,
}: {
  query: Record<string, string>;
  integrations: Integration[];
}) {
  const option = (value: string, text: string, current: string | undefined) => (
    <option value={value} selected={(current ?? "") === value}>
      {text}
    </option>
  );
  return (
    <form method="get" action="/findings" class="filters" aria-label="Filter findings">
      <div class="field">
        <label for="f-status">Status</label>
        <select id="f-status" name="status">
          {option("open", "open", query.status)}
          {option("resolved", "resolved", query.status)}
          {option("", "any", query.status)}
        </select>
      </div>
      <div class="field">
        <label for="f-severity">Severity</label>
        <select id="f-severity" name="severity">
          {option("", "any", query.severity)}
          {option("high", "high", query.severity)}
          {option("medium", "medium", query.severity)}
          {option("low", "low", query.severity)}
        </select>
      </div>
      <div class="field">
        <label for="f-integrationId">Integration</label>
        <select id="f-integrationId" name="integrationId">
          {option("", "All", query.integrationId)}
          {integrations.map((i) => option(i.id, `${i.label} · ${i.organizationName}`, query.integrationId))}
        </select>
      </div>
      <button type="submit">Filter</button>
    </form>
  );
}

export interface FindingsProps {
  query: Record<string, string>;
  integrations: Integration[];
  page: { data: Finding[]; links: { next: string | null; prev: string | null; first: string | null } } | null;
  error: FormError | null;
}

export function FindingsPage({ query, integrations, page, error }: FindingsProps) {
  const labels = new Map(integrations.map((i) => [i.id, i.label]));
  return (
    <>
      <FindingFilterForm query={query} integrations={integrations} />
      {error ? <ErrorSummary message={error.message} details={error.details} /> : null}
      {page && page.data.length === 0 ? (
        <Empty>
          <p>
            {query.status === "open"
              ? "No open findings. Findings are computed after every sync; nothing needs attention right now."
              : "No findings match these filters."}
          </p>
        </Empty>
      ) : null}
      {page && page.data.length > 0 ? (
        <>
          <table>
            <caption>Findings</caption>
            <thead>
              <tr>
                <th scope="col">Severity</th>
                <th scope="col">Finding</th>
                <th scope="col">Integration</th>
                <th scope="col">What to do</th>
                <th scope="col">Opened</th>
                <th scope="col">Resolved</th>
              </tr>
            </thead>
            <tbody>
              {page.data.map((f) => (
                <FindingRow f={f} label={labels.get(f.integrationId) ?? f.integrationId} />
              ))}
            </tbody>
          </table>
          <Pager {...page.links} />
        </>
      ) : null}
    </>
  );
}
