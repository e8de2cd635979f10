/**
 * People and the offboarding view (docs/console.md#pages): search by email or name, and for one
 * person every integration where they are — or were — a member, current access first.
 */
import type { Person, PersonAccount } from "../../domain/person";
import type { Integration } from "../../store/integrations";
import { Badge, type BadgeTone, Empty, ErrorSummary, Pager, Time } from "../components";
import type { FormError } from "./integrations";

const ROSTER_TONE: Record<string, BadgeTone> = { active: "ok", leaver: "bad", unknown: "warn" };

export const personHref = (email: string) => `/people/${encodeURIComponent(email)}`;

const RosterBadge = ({ status }: { status: Person["rosterStatus"] }) =>
  status ? <Badge tone={ROSTER_TONE[status] ?? "muted"}>{`roster: ${status}`}</Badge> : null;

const twoFactorText = (v: boolean | null) => (v === null ? "unknown" : v ? "on everywhere" : "off somewhere");

function PersonRow({ p }: { p: Person }) {
  return (
    <tr>
      <th scope="row">
        <a href={personHref(p.email)}>{p.email}</a>
      </th>
      <td>{p.name ?? ""}</td>
      <td>
        <RosterBadge status={p.rosterStatus} />
      </td>
      <td>{p.integrations}</td>
      <td>{p.admin ? <Badge tone="warn">admin</Badge> : "no"}</td>
      <td>{twoFactorText(p.weakestTwoFactor)}</td>
    </tr>
  );
}

function PeopleSearch({
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
    <form method="get" action="/people" class="filters" aria-label="Search people">
      <div class="field">
        <label for="f-q">Email or name contains</label>
        <input id="f-q" name="q" type="search" value={query.q ?? ""} />
      </div>
      <div class="field">
        <label for="f-rosterStatus">Roster status</label>
        <select id="f-rosterStatus" name="rosterStatus">
          {option("", "Any", query.rosterStatus)}
          {option("active", "active", query.rosterStatus)}
          {option("leaver", "leaver", query.rosterStatus)}
          {option("unknown", "not on the roster", query.rosterStatus)}
        </select>
      </div>
      <div class="field">
        <label for="f-integrationId">Integration</label>
        <select id="f-integrationId" name="integrationId">
          {option("", "All", query.integrationId)}
          {integrations.map((i) => option(i.id, `${i.label} · ${i.organizationName}`, query.integrationId))}
        </select>
      </div>
      <button type="submit">Search</button>
    </form>
  );
}

export interface PeopleProps {
  query: Record<string, string>;
  integrations: Integration[];
  page: { data: Person[]; links: { next: string | null; prev: string | null; first: string | null } } | null;
  error: FormError | null;
}

export function PeoplePage({ query, integrations, page, error }: PeopleProps) {
  return (
    <>
      <PeopleSearch query={query} integrations={integrations} />
      {error ? <ErrorSummary message={error.message} details={error.details} /> : null}
      {page && page.data.length === 0 ? (
        <Empty>
          <p>
            {Object.keys(query).length > 0
              ? "Nobody matches this search."
              : "No people yet: they appear when an integration's first sync finishes."}
          </p>
        </Empty>
      ) : null}
      {page && page.data.length > 0 ? (
        <>
          <table>
            <caption>People across integrations</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Name</th>
                <th scope="col">Roster</th>
                <th scope="col">Integrations with access</th>
                <th scope="col">Administrator</th>
                <th scope="col">2FA</th>
              </tr>
            </thead>
            <tbody>
              {page.data.map((p) => (
                <PersonRow p={p} />
              ))}
            </tbody>
          </table>
          <Pager {...page.links} />
        </>
      ) : null}
    </>
  );
}

function MembershipRow({ a }: { a: PersonAccount }) {
  const href = `/integrations/${encodeURIComponent(a.integrationId)}/accounts/${encodeURIComponent(a.userAccountId)}`;
  return (
    <tr>
      <th scope="row">
        <a href={href}>{`${a.label} · ${a.organizationName}`}</a>
      </th>
      <td>
        {a.removedAt ? (
          <Badge tone="muted">removed</Badge>
        ) : (
          <Badge tone="bad">{`has access (${a.status})`}</Badge>
        )}
      </td>
      <td>{a.access.map((g) => `${g.name}${g.effect === "deny" ? " (deny)" : ""}`).join(", ")}</td>
      <td>{a.twoFactorEnabled === null ? "unknown" : a.twoFactorEnabled ? "on" : "off"}</td>
      <td>
        <Time iso={a.removedAt} never="" />
      </td>
    </tr>
  );
}

/** The offboarding question, answered: where does this person still have access? */
export function PersonPage({ person }: { person: Person }) {
  const current = person.accounts.filter((a) => !a.removedAt);
  const removed = person.accounts.filter((a) => a.removedAt);
  return (
    <>
      <p>
        {person.name ?? ""} <RosterBadge status={person.rosterStatus} />{" "}
        {person.admin ? <Badge tone="warn">administrator</Badge> : null}
      </p>
      {current.length > 0 ? (
        <p class={person.rosterStatus === "leaver" ? "fix" : ""}>
          {`Still a member of ${current.length} Cloudflare account${current.length === 1 ? "" : "s"}`}
          {person.rosterStatus === "leaver"
            ? ": the roster marks them as a leaver, so remove them in each account's Members page."
            : "."}
        </p>
      ) : (
        <p class="notice">No current access in any connected Cloudflare account.</p>
      )}
      <table>
        <caption>Where they have or had access (current first)</caption>
        <thead>
          <tr>
            <th scope="col">Integration</th>
            <th scope="col">Access</th>
            <th scope="col">Roles and policies</th>
            <th scope="col">2FA</th>
            <th scope="col">Removed</th>
          </tr>
        </thead>
        <tbody>
          {[...current, ...removed].map((a) => (
            <MembershipRow a={a} />
          ))}
        </tbody>
      </table>
    </>
  );
}
