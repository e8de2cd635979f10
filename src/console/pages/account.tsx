/** One user account (docs/console.md#pages): its details, grants and change timeline with actors. */
import type { Actor } from "../../domain/audit";
import type { ChangeEvent } from "../../domain/event";
import type { Integration } from "../../store/integrations";
import type { UserAccount } from "../../store/user-accounts-read";
import { Empty, Pager, Time } from "../components";
import { AccountBadges } from "./accounts";

const EVENT_WORDS: Record<string, string> = {
  "account.added": "Added",
  "account.updated": "Changed",
  "account.removed": "Removed",
  "account.restored": "Restored",
};

const flag = (v: boolean | null) => (v === null ? "unknown" : v ? "on" : "off");

function Details({ a, integration }: { a: UserAccount; integration: Integration | null }) {
  return (
    <dl class="facts">
      <dt>Email</dt>
      <dd>{a.email ?? "(none)"}</dd>
      <dt>Name</dt>
      <dd>{a.name ?? ""}</dd>
      <dt>Integration</dt>
      <dd>{integration ? `${integration.label} · ${integration.organizationName}` : a.integrationId}</dd>
      <dt>Status</dt>
      <dd>
        {a.status} <AccountBadges a={a} />
      </dd>
      <dt>Two-factor authentication</dt>
      <dd>{flag(a.twoFactorEnabled)}</dd>
      <dt>API access</dt>
      <dd>{flag(a.apiAccessEnabled)}</dd>
      {a.invitedAt ? (
        <>
          <dt>Invited</dt>
          <dd>
            <Time iso={a.invitedAt} /> {a.invitedBy ? `by ${a.invitedBy}` : ""}
          </dd>
        </>
      ) : null}
      <dt>First seen</dt>
      <dd>
        <Time iso={a.firstSeenAt} />
      </dd>
      <dt>Last seen</dt>
      <dd>
        <Time iso={a.lastSeenAt} />
      </dd>
      <dt>Removed</dt>
      <dd>
        <Time iso={a.removedAt} never="no" />
      </dd>
    </dl>
  );
}

function Grants({ a }: { a: UserAccount }) {
  if (a.access.length === 0) return <p class="muted">No roles or policies.</p>;
  return (
    <table class="compact">
      <caption>Roles and policy grants</caption>
      <thead>
        <tr>
          <th scope="col">Grant</th>
          <th scope="col">Effect</th>
          <th scope="col">Scope</th>
        </tr>
      </thead>
      <tbody>
        {a.access.map((g) => (
          <tr>
            <th scope="row">{g.name}</th>
            <td>{g.effect}</td>
            <td>
              {g.scope === "account"
                ? "whole account"
                : `${g.resources} resource${g.resources === 1 ? "" : "s"}`}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const shown = (v: unknown) =>
  v === null || v === undefined ? "none" : typeof v === "string" ? v : JSON.stringify(v);

function ActorText({ actor }: { actor: Actor | null }) {
  if (!actor) return <span class="muted">by an unknown actor (no audit log entry matched)</span>;
  const how = [actor.type, actor.context, actor.tokenName, actor.ip].filter(Boolean).join(", ");
  return (
    <span>
      by <strong>{actor.email ?? "an unnamed actor"}</strong>
      {how ? ` (${how})` : ""}
    </span>
  );
}

function TimelineEntry({ e }: { e: ChangeEvent }) {
  return (
    <li>
      <strong>{EVENT_WORDS[e.type] ?? e.type}</strong> <Time iso={e.occurredAt} />{" "}
      <ActorText actor={e.actor} />
      {e.changes ? (
        <ul>
          {Object.entries(e.changes).map(([field, change]) => (
            <li>
              <code>{field}</code>: {shown(change.from)} → {shown(change.to)}
            </li>
          ))}
        </ul>
      ) : null}
    </li>
  );
}

export interface AccountProps {
  account: UserAccount;
  integration: Integration | null;
  events: ChangeEvent[];
  nextHref: string | null;
}

export function AccountPage({ account, integration, events, nextHref }: AccountProps) {
  return (
    <>
      <Details a={account} integration={integration} />
      <Grants a={account} />
      <h2>Change timeline</h2>
      {events.length === 0 ? (
        <Empty>
          <p>No changes recorded yet: changes appear here as syncs find them, oldest first.</p>
        </Empty>
      ) : (
        <ol class="timeline">
          {events.map((e) => (
            <TimelineEntry e={e} />
          ))}
        </ol>
      )}
      <Pager prev={null} next={nextHref} first={null} />
    </>
  );
}
