/**
 * The console's shared pieces (docs/console.md#pages): one layout, times, badges, form errors,
 * pagers and empty states — plain functions of their data. Everything they print goes through
 * hono/jsx, which escapes text and attribute values; nothing here writes raw HTML.
 */
import type { Child } from "hono/jsx";
import type { ErrorDetail } from "../lib/errors";
import type { Session } from "./session";
import { exactUtc, relativeTime } from "./time";

export type Section = "integrations" | "accounts" | "findings" | "people" | null;

const NAV: [Exclude<Section, null>, string, string][] = [
  ["integrations", "/", "Integrations"],
  ["accounts", "/accounts", "Accounts"],
  ["findings", "/findings", "Findings"],
  ["people", "/people", "People"],
];

/** The CSRF field every form carries. */
export const CsrfField = ({ token }: { token: string }) => <input type="hidden" name="_csrf" value={token} />;

function Header({ session, section }: { session: Session | null; section: Section }) {
  if (!session)
    return (
      <header class="top">
        <span class="brand">Cloudflare connector</span>
      </header>
    );
  const who = session.email ?? (session.role === "admin" ? "admin token" : "read token");
  return (
    <header class="top">
      <span class="brand">Cloudflare connector</span>
      <nav aria-label="Main">
        <ul>
          {NAV.map(([key, href, text]) => (
            <li>
              <a href={href} aria-current={key === section ? "page" : undefined}>
                {text}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <form method="post" action="/sign-out" class="who">
        <span>
          {who} ·{" "}
          <span class={`badge ${session.role === "admin" ? "b-info" : "b-muted"}`}>{session.role}</span>
        </span>
        <CsrfField token={session.csrf} />
        <button type="submit" class="link">
          Sign out
        </button>
      </form>
    </header>
  );
}

export interface LayoutProps {
  title: string;
  session: Session | null;
  section: Section;
  children?: Child;
  /** Reload the page after this many seconds (a sync in progress), without any script. */
  refreshSeconds?: number;
}

/** The whole document: skip link, header with navigation and sign-out, one main with one h1. */
export function Layout({ title, session, section, children, refreshSeconds }: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · Cloudflare connector`}</title>
        <link rel="stylesheet" href="/console.css" />
        {refreshSeconds ? <meta http-equiv="refresh" content={String(refreshSeconds)} /> : null}
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <Header session={session} section={section} />
        <main id="main">
          <h1>{title}</h1>
          {children}
        </main>
      </body>
    </html>
  );
}

/** A relative time with the exact UTC time on hover; `never` when there is none. */
export function Time({ iso, never = "never" }: { iso: string | null; never?: string }) {
  if (!iso) return <span class="muted">{never}</span>;
  return (
    <time datetime={iso} title={exactUtc(iso)}>
      {relativeTime(iso)}
    </time>
  );
}

export type BadgeTone = "ok" | "warn" | "bad" | "info" | "muted";

export const Badge = ({ tone, children }: { tone: BadgeTone; children?: Child }) => (
  <span class={`badge b-${tone}`}>{children}</span>
);

/** A refused form: the API's own message and one line per field it names. */
export function ErrorSummary({ message, details = [] }: { message: string; details?: ErrorDetail[] }) {
  return (
    <div class="alert" role="alert">
      <p>{message}</p>
      {details.length > 1 ? (
        <ul>
          {details.map((d) => (
            <li>
              <code>{d.path}</code>: {d.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** A notice after a write that worked ("Sync queued."). */
export const Notice = ({ text }: { text: string | null }) =>
  text ? (
    <p class="notice" role="status">
      {text}
    </p>
  ) : null;

/** What to do when a list is empty. */
export const Empty = ({ children }: { children?: Child }) => <div class="empty">{children}</div>;

/** Keyset paging links; absent ones are not rendered. */
export function Pager({
  prev,
  next,
  first,
}: {
  prev: string | null;
  next: string | null;
  first: string | null;
}) {
  if (!prev && !next && !first) return null;
  return (
    <nav aria-label="Pages" class="pager">
      {first ? <a href={first}>First page</a> : null}
      {prev ? (
        <a href={prev} rel="prev">
          Previous page
        </a>
      ) : null}
      {next ? (
        <a href={next} rel="next">
          Next page
        </a>
      ) : null}
    </nav>
  );
}

/** The message of one field, for aria-describedby next to its input. */
export const FieldError = ({ id, message }: { id: string; message: string | undefined }) =>
  message ? (
    <span class="field-error" id={id}>
      {message}
    </span>
  ) : null;
