/**
 * The integrations overview (docs/console.md#pages): each integration's state at a glance — ok,
 * error with what to do, syncing, pending —, its last success, counts and source states, and for
 * admin sessions Sync now, rotate token, disable/enable and delete; then the connect form.
 */
import type { ErrorCode, ErrorDetail } from "../../lib/errors";
import type { Integration } from "../../store/integrations";
import { Badge, type BadgeTone, CsrfField, Empty, ErrorSummary, FieldError, Time } from "../components";

export interface FormError {
  message: string;
  details: ErrorDetail[];
}

interface State {
  tone: BadgeTone;
  text: string;
  /** What the admin should do, when anything. */
  fix: string | null;
}

/** What to do about a failed sync, by its error code (the README's table of sync failures). */
const FIXES: Partial<Record<ErrorCode, string>> = {
  cloudflare_token_invalid:
    "Create a new read-only token in the Cloudflare dashboard and paste it under New API token.",
  cloudflare_permission_missing: "Add Account Settings: Read to the token in the Cloudflare dashboard.",
  cloudflare_token_restricted:
    "Remove the token's client IP address filter, or allow the addresses Cloudflare Workers send requests from.",
  cloudflare_rate_limited: "Something else is using the token heavily; the next sync tries again.",
  cloudflare_unavailable: "Cloudflare did not answer; the next sync tries again.",
  abandoned: "The run never finished; Sync now starts a new one.",
  internal: "Check ENCRYPTION_KEYS, or set the token again under New API token.",
};

/** One word for where the integration stands, and what to do about it. */
export function integrationState(i: Integration): State {
  const run = i.lastSync;
  if (run && (run.status === "queued" || run.status === "running")) {
    return { tone: "info", text: "syncing", fix: null };
  }
  if (!i.enabled) return { tone: "muted", text: "disabled", fix: "Enable it to sync again on schedule." };
  if (i.status === "error") {
    const error = run?.error;
    const fix = error
      ? `${error.message} ${FIXES[error.code] ?? ""}`.trim()
      : "The last sync failed; try Sync now.";
    return { tone: "bad", text: "error", fix };
  }
  if (i.status === "pending") return { tone: "warn", text: "pending", fix: "Waiting for the first sync." };
  return { tone: "ok", text: "ok", fix: null };
}

const SOURCE_NAMES: Record<keyof Integration["sources"], string> = {
  members: "Members",
  auditLog: "Audit log (who did it)",
  apiTokens: "Account API tokens",
  sso: "SSO connectors",
};

const sourceTone = (state: string): BadgeTone =>
  state === "ok" ? "ok" : state === "pending" || state === "disabled" ? "muted" : "warn";

function SourceTable({ i }: { i: Integration }) {
  return (
    <table class="compact">
      <caption>Sources</caption>
      <thead>
        <tr>
          <th scope="col">Source</th>
          <th scope="col">State</th>
          <th scope="col">What to do</th>
        </tr>
      </thead>
      <tbody>
        {(Object.keys(SOURCE_NAMES) as (keyof Integration["sources"])[]).map((key) => (
          <tr>
            <th scope="row">{SOURCE_NAMES[key]}</th>
            <td>
              <Badge tone={sourceTone(i.sources[key])}>{i.sources[key].replace("_", " ")}</Badge>
            </td>
            <td>{i.sourceMessages[key] ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Facts({ i }: { i: Integration }) {
  const run = i.lastSync;
  return (
    <dl class="facts">
      <dt>Cloudflare account</dt>
      <dd>
        {i.organizationName} <code>{i.accountId}</code>
      </dd>
      <dt>Last successful sync</dt>
      <dd>
        <Time iso={i.lastSuccessfulSyncAt} />
      </dd>
      <dt>Last sync</dt>
      <dd>
        {run ? (
          <>
            {run.status} <Time iso={run.finishedAt ?? run.queuedAt} /> — {run.counts.added} added,{" "}
            {run.counts.updated} updated, {run.counts.removed} removed
          </>
        ) : (
          "none yet"
        )}
      </dd>
      <dt>User accounts</dt>
      <dd>{i.accountCount}</dd>
      <dt>Two-factor enforced</dt>
      <dd>{i.enforceTwoFactor === null ? "unknown" : i.enforceTwoFactor ? "yes" : "no"}</dd>
      <dt>Token expires</dt>
      <dd>
        <Time iso={i.tokenExpiresAt} never="no expiry" />
      </dd>
    </dl>
  );
}

function WriteControls({
  i,
  csrf,
  rotateError,
}: {
  i: Integration;
  csrf: string;
  rotateError: FormError | null;
}) {
  const tokenId = `token-${i.id}`;
  return (
    <div class="actions">
      <form method="post" action={`/integrations/${i.id}/sync`}>
        <CsrfField token={csrf} />
        <button type="submit">Sync now</button>
      </form>
      <form method="post" action={`/integrations/${i.id}/enabled`}>
        <CsrfField token={csrf} />
        <input type="hidden" name="enabled" value={i.enabled ? "false" : "true"} />
        <button type="submit" class="secondary">
          {i.enabled ? "Disable" : "Enable"}
        </button>
      </form>
      <a class="button danger" href={`/integrations/${i.id}/delete`}>
        Delete…
      </a>
      <form method="post" action={`/integrations/${i.id}/token`} class="inline">
        <CsrfField token={csrf} />
        <label for={tokenId}>New API token</label>
        <input
          id={tokenId}
          name="apiToken"
          type="password"
          autocomplete="off"
          required
          aria-describedby={rotateError ? `${tokenId}-error` : undefined}
        />
        <button type="submit" class="secondary">
          Rotate token
        </button>
        <FieldError id={`${tokenId}-error`} message={rotateError?.message} />
      </form>
    </div>
  );
}

export interface CardProps {
  i: Integration;
  csrf: string;
  write: boolean;
  rotateError: FormError | null;
}

function IntegrationCard({ i, csrf, write, rotateError }: CardProps) {
  const state = integrationState(i);
  return (
    <section class="card" id={`i-${i.id}`} aria-labelledby={`h-${i.id}`}>
      <h2 id={`h-${i.id}`}>
        {i.label} <span class="muted">· {i.organizationName}</span>{" "}
        <Badge tone={state.tone}>{state.text}</Badge>
      </h2>
      {state.fix ? <p class={state.tone === "bad" ? "fix" : "muted"}>{state.fix}</p> : null}
      <Facts i={i} />
      <SourceTable i={i} />
      <p class="links">
        <a href={`/accounts?integrationId=${encodeURIComponent(i.id)}`}>Accounts</a>
        <a href={`/findings?integrationId=${encodeURIComponent(i.id)}`}>Findings</a>
        <a href={`/integrations/${encodeURIComponent(i.id)}/syncs`}>Sync history</a>
      </p>
      {write ? <WriteControls i={i} csrf={csrf} rotateError={rotateError} /> : null}
    </section>
  );
}

export interface ConnectValues {
  label?: string;
  organizationName?: string;
  accountId?: string;
}

const fieldMessage = (error: FormError | null, path: string) =>
  error?.details.find((d) => d.path === path)?.message;

function ConnectField(props: {
  name: keyof ConnectValues | "apiToken";
  label: string;
  hint?: string;
  value?: string;
  error: FormError | null;
  required?: boolean;
}) {
  const id = `connect-${props.name}`;
  const message = fieldMessage(props.error, props.name);
  const described = [props.hint ? `${id}-hint` : null, message ? `${id}-error` : null]
    .filter(Boolean)
    .join(" ");
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.hint ? (
        <span class="hint" id={`${id}-hint`}>
          {props.hint}
        </span>
      ) : null}
      <input
        id={id}
        name={props.name}
        type={props.name === "apiToken" ? "password" : "text"}
        autocomplete="off"
        value={props.value}
        required={props.required ?? true}
        aria-invalid={message ? "true" : undefined}
        aria-describedby={described || undefined}
      />
      <FieldError id={`${id}-error`} message={message} />
    </div>
  );
}

export function ConnectForm({
  csrf,
  values,
  error,
}: {
  csrf: string;
  values: ConnectValues;
  error: FormError | null;
}) {
  return (
    <section class="card" aria-labelledby="connect-heading" id="connect">
      <h2 id="connect-heading">Connect a Cloudflare account</h2>
      {error ? <ErrorSummary message={error.message} details={error.details} /> : null}
      <form method="post" action="/integrations">
        <CsrfField token={csrf} />
        <ConnectField
          name="label"
          label="Label"
          hint="Your name for this connection, e.g. Production"
          value={values.label}
          error={error}
        />
        <ConnectField
          name="organizationName"
          label="Organization name"
          hint="The account name as the Cloudflare dashboard shows it"
          value={values.organizationName}
          error={error}
        />
        <ConnectField
          name="accountId"
          label="Account id (optional)"
          hint="Needed for account-owned tokens: the 32-character id in the dashboard URL"
          value={values.accountId}
          error={error}
          required={false}
        />
        <ConnectField
          name="apiToken"
          label="Read-only API token"
          hint="Permissions: Account Settings Read, User Memberships Read"
          error={error}
        />
        <button type="submit">Connect</button>
      </form>
    </section>
  );
}

export interface OverviewProps {
  integrations: Integration[];
  csrf: string;
  write: boolean;
  connect: { values: ConnectValues; error: FormError | null };
  rotate: { id: string; error: FormError } | null;
}

export function Overview({ integrations, csrf, write, connect, rotate }: OverviewProps) {
  return (
    <>
      {integrations.length === 0 ? (
        <Empty>
          <p>No Cloudflare account is connected yet.</p>
          <p>
            {write
              ? "Connect one below with a read-only API token; its first sync starts at once."
              : "Ask an admin to connect one: this session can only read."}
          </p>
        </Empty>
      ) : (
        integrations.map((i) => (
          <IntegrationCard
            i={i}
            csrf={csrf}
            write={write}
            rotateError={rotate?.id === i.id ? rotate.error : null}
          />
        ))
      )}
      {write ? <ConnectForm csrf={csrf} values={connect.values} error={connect.error} /> : null}
    </>
  );
}
