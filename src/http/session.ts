/**
 * D1 Sessions for every /v1 request (docs/api.md#read-replicas): reads may be answered by a D1
 * read replica, and a client that sends back the bookmark of its last answer reads data at least
 * as new as what that answer saw or wrote.
 *
 * - `GET` (and `HEAD`) start from the bookmark the client sent in `x-d1-bookmark`, else
 *   unconstrained: the nearest replica answers.
 * - Every other method starts on the primary (`first-primary`), so a write route's own checks
 *   read the newest data; its writes go to the primary whatever the session (D1 routes every write
 *   there).
 * - Every answer carries the session's latest bookmark in `x-d1-bookmark`, errors included.
 *
 * Queue and cron work (syncs, retention) does not use sessions: it always reads and writes the
 * primary. Locally (wrangler dev, tests) there are no replicas; sessions behave like the plain
 * binding and bookmarks are still issued and accepted.
 */
import { createMiddleware } from "hono/factory";
import { AppError } from "../lib/errors";
import type { HonoEnv } from "./context";

export const BOOKMARK_HEADER = "x-d1-bookmark";

/** D1 bookmarks are opaque tokens of hex digits and dashes; anything else is refused before D1 sees it. */
const BOOKMARK = /^[0-9A-Za-z-]{1,256}$/;

/**
 * The binding the route handlers see: the session behind the `D1Database` interface, so every
 * store function reads through it unchanged. `exec` and `dump` (never used by requests) and a
 * nested `withSession` go to the binding itself.
 */
function sessionBinding(db: D1Database, session: D1DatabaseSession): D1Database {
  return {
    prepare: (query) => session.prepare(query),
    batch: (statements) => session.batch(statements),
    exec: (query) => db.exec(query),
    withSession: (constraint) => db.withSession(constraint),
    dump: () => db.dump(),
  };
}

export const d1Session = createMiddleware<HonoEnv>(async (c, next) => {
  const sent = c.req.header(BOOKMARK_HEADER);
  if (sent !== undefined && !BOOKMARK.test(sent)) {
    throw new AppError(
      "validation_failed",
      `Send ${BOOKMARK_HEADER} back exactly as an earlier answer gave it.`,
      [{ path: `header ${BOOKMARK_HEADER}`, message: "not a D1 bookmark" }],
    );
  }
  const reads = c.req.method === "GET" || c.req.method === "HEAD";
  const db = c.env.DB;
  // A binding without sessions (a runtime from before them) is used as it is: every query on the primary.
  if (typeof db.withSession !== "function") return next();
  const session = db.withSession(reads ? (sent ?? "first-unconstrained") : "first-primary");
  c.env = { ...c.env, DB: sessionBinding(db, session) };
  await next();
  const bookmark = session.getBookmark();
  if (bookmark !== null) c.header(BOOKMARK_HEADER, bookmark);
});
