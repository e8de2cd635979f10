/**
 * The accounts list (docs/console.md#pages): the API's filters as a form, keyset pages of 100,
 * badges for what needs attention, and the CSV of the current filter.
 */

import { html } from "hono/html";
import type { Integration } from "../../store/integrations";
import type { UserAccount } from "../../store/user-accounts-read";
import { Badge, type BadgeTone, Empty, ErrorSummary, Pager } from "../components";
import { daysSince, exactUtc, relativeTime } from "../time";
import type { FormError } from "./integrations";

/** What needs attention on one account, as badge words and tones. */
function badgesOf(a: UserAccount): [BadgeTone, string][] {
  const badges: [BadgeTone, string][] = [];
  if (a.removedAt) badges.push(["muted", "removed"]);
  const pendingSince = a.status === "pending" ? (a.invitedAt ?? a.firstSeenAt) : null;
  if (pendingSince) badges.push(["warn", `pending ${daysSince(pendingSince)} d`]);
  if (a.status === "accepted" && a.twoFactorEnabled !== true && !a.removedAt) badges.push(["bad", "no 2FA"]);
  if (a.access.some((g) => g.effect === "deny")) badges.push(["warn", "deny grants"]);
  return badges;
}

/** The badges of one account (pending with its age, no 2FA, removed, deny grants). */
export function AccountBadges({ a }: { a: UserAccount }) {
  return (
    <>
      {badgesOf(a).map(([tone, text]) => (
        <Badge tone={tone}>{text}</Badge>
      ))}
    </>
  );
}

const accessText = (a: UserAccount) =>
  a.access
    .map(
      (g) =>
        `${g.name}${g.effect === "deny" ? " (deny)" : ""}${g.scope === "resources" ? ` (${g.resources} resources)` : ""}`,
    )
    .join(", ");

export const accountHref = (a: Pick<UserAccount, "integrationId" | "id">) =>
  `/integrations/${encodeURIComponent(a.integrationId)}/accounts/${encodeURIComponent(a.id)}`;

const flagText = (v: boolean | null) => (v === null ? "unknown" : v ? "on" : "off");

/**
 * One row, as Hono's html`` template rather than JSX: the same escaping of every interpolated
 * value, at a fifth of the cost, which matters on the page of 100 rows (docs/console.md#reads).
 */
function accountRow(a: UserAccount, label: string) {
  const badges = badgesOf(a).map(([tone, text]) => html` <span class="badge b-${tone}">${text}</span>`);
  return html`<tr><th scope="row"><a href="${accountHref(a)}">${a.email ?? "(no email)"}</a></th><td>${a.name ?? ""}</td><td>${label}</td><td>${a.status}${badges}</td><td>${accessText(a)}</td><td>${flagText(a.twoFactorEnabled)}</td><td class="nowrap"><time datetime="${a.firstSeenAt}" title="${exactUtc(a.firstSeenAt)}">${relativeTime(a.firstSeenAt)}</time></td></tr>`;
}

export function AccountTable({ accounts, labels }: { accounts: UserAccount[]; labels: Map<string, string> }) {
  return (
    <table>
      <caption>User accounts</caption>
      <thead>
        <tr>
          <th scope="col">Email</th>
          <th scope="col">Name</th>
          <th scope="col">Integration</th>
          <th scope="col">Status</th>
          <th scope="col">Roles and policies</th>
          <th scope="col">2FA</th>
          <th scope="col">First seen</th>
        </tr>
      </thead>
      <tbody>{accounts.map((a) => accountRow(a, labels.get(a.integrationId) ?? a.integrationId))}</tbody>
    </table>
  );
}

function Select({
  name,
  label,
  value,
  options,
}: {
  name: string;
  label: string;
  value: string | undefined;
  options: [string, string][];
}) {
  return (
    <div class="field">
      <label for={`f-${name}`}>{label}</label>
      <select id={`f-${name}`} name={name}>
        {options.map(([v, text]) => (
          <option value={v} selected={(value ?? "") === v}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

function TextField({
  name,
  label,
  value,
  type = "text",
}: {
  name: string;
  label: string;
  value: string | undefined;
  type?: string;
}) {
  return (
    <div class="field">
      <label for={`f-${name}`}>{label}</label>
      <input
        id={`f-${name}`}
        name={name}
        type={type}
        value={value ?? ""}
        min={type === "number" ? "0" : undefined}
      />
    </div>
  );
}

const STATUS_OPTIONS: [string, string][] = [
  ["", "Any"],
  ["accepted", "accepted"],
  ["pending", "pending"],
  ["rejected", "rejected"],
  ["unknown", "unknown"],
];
const TWO_FACTOR_OPTIONS: [string, string][] = [
  ["", "Any"],
  ["true", "on"],
  ["false", "off"],
];

/** The API's query as a form (GET, so the URL is the filter and can be shared). */
export function AccountFilterForm({
  query,
  integrations,
}: {
  query: Record<string, string>;
  integrations: Integration[];
}) {
  return (
    <form method="get" action="/accounts" class="filters" aria-label="Filter user accounts">
      <Select
        name="integrationId"
        label="Integration"
        value={query.integrationId}
        options={[
          ["", "All"],
          ...integrations.map((i): [string, string] => [i.id, `${i.label} · ${i.organizationName}`]),
        ]}
      />
      <TextField name="q" label="Email or name contains" value={query.q} />
      <Select name="status" label="Status" value={query.status} options={STATUS_OPTIONS} />
      <TextField
        name="pendingOlderThanDays"
        label="Pending for more than (days)"
        value={query.pendingOlderThanDays}
        type="number"
      />
      <Select name="twoFactor" label="2FA" value={query.twoFactor} options={TWO_FACTOR_OPTIONS} />
      <TextField name="role" label="Role or permission" value={query.role} />
      <div class="field">
        <label for="f-includeRemoved">
          <input
            id="f-includeRemoved"
            name="includeRemoved"
            type="checkbox"
            value="true"
            checked={query.includeRemoved === "true"}
          />{" "}
          Include removed
        </label>
      </div>
      <button type="submit">Filter</button>
      <a href="/accounts">Clear</a>
    </form>
  );
}

export interface AccountsProps {
  query: Record<string, string>;
  integrations: Integration[];
  page: {
    data: UserAccount[];
    links: { next: string | null; prev: string | null; first: string | null };
  } | null;
  error: FormError | null;
  csvHref: string;
}

function Results({ page, integrations, query }: Pick<AccountsProps, "page" | "integrations" | "query">) {
  if (!page) return null;
  if (integrations.length === 0) {
    return (
      <Empty>
        <p>
          No Cloudflare account is connected yet: <a href="/">connect one on the Integrations page</a>, then
          its members appear here after the first sync.
        </p>
      </Empty>
    );
  }
  if (page.data.length === 0) {
    const filtered = Object.keys(query).some((k) => k !== "cursor");
    return (
      <Empty>
        <p>
          {filtered
            ? "No user accounts match these filters."
            : "No user accounts yet: they appear when an integration's first sync finishes."}
        </p>
        {filtered ? (
          <p>
            <a href="/accounts">Clear the filters</a>
          </p>
        ) : null}
      </Empty>
    );
  }
  const labels = new Map(integrations.map((i) => [i.id, i.label]));
  return (
    <>
      <AccountTable accounts={page.data} labels={labels} />
      <Pager {...page.links} />
    </>
  );
}

export function AccountsPage(props: AccountsProps) {
  return (
    <>
      <AccountFilterForm query={props.query} integrations={props.integrations} />
      {props.error ? <ErrorSummary message={props.error.message} details={props.error.details} /> : null}
      <p>
        <a href={props.csvHref} download>
          Download CSV of this filter
        </a>
      </p>
      <Results page={props.page} integrations={props.integrations} query={props.query} />
    </>
  );
}
