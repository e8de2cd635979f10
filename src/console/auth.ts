/**
 * The console's middleware (docs/console.md#sessions): configuration, the session (cookie, or a
 * Cloudflare Access JWT that starts one), sign-in required, and on every post the body limit, the
 * CSRF check and — for changes — the admin role.
 */
import { bodyLimit } from "hono/body-limit";
import { getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { loadConfig } from "../config";
import { MAX_BODY_BYTES } from "../http/middleware";
import { ACCESS_JWT_HEADER, verifyAccessJwt } from "./access";
import type { ConsoleContext, ConsoleEnv } from "./context";
import { messagePage } from "./render";
import {
  accessRole,
  csrfMatches,
  issueSession,
  readSession,
  SESSION_COOKIE,
  SESSION_TTL_MS,
} from "./session";

/** Plain-http development hosts, where a `Secure` cookie would not be sent back by every browser. */
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

export const isLocalRequest = (c: ConsoleContext) => LOCAL_HOSTS.has(new URL(c.req.url).hostname);

/** Cookie attributes of every console cookie: script-proof, same-site only, https-only off localhost. */
export const cookieOptions = (c: ConsoleContext, path: string, maxAgeSeconds: number) =>
  ({
    httpOnly: true,
    sameSite: "Strict",
    secure: !isLocalRequest(c),
    path,
    maxAge: maxAgeSeconds,
  }) as const;

export const setSessionCookie = (c: ConsoleContext, value: string) =>
  setCookie(c, SESSION_COOKIE, value, cookieOptions(c, "/", SESSION_TTL_MS / 1000));

export const consoleConfig = createMiddleware<ConsoleEnv>(async (c, next) => {
  const config = await loadConfig(c.env);
  if (!config.ok) {
    const message = `The connector is not configured: ${config.error}.`;
    return messagePage(c, "Not configured", message, 503, { href: "/health", text: "Health check" });
  }
  c.set("config", config.value);
  await next();
});

/** The session of the request: its cookie, else a valid Access JWT, which signs the user in. */
export const consoleSession = createMiddleware<ConsoleEnv>(async (c, next) => {
  const config = c.get("config");
  let session = await readSession(config, getCookie(c, SESSION_COOKIE));
  const jwt = c.req.header(ACCESS_JWT_HEADER);
  if (!session && config.access && jwt) {
    const email = await verifyAccessJwt(config.access, jwt);
    if (email) {
      const cookie = await issueSession(config, { role: accessRole(config.access, email), email });
      setSessionCookie(c, cookie);
      session = await readSession(config, cookie);
    }
  }
  c.set("session", session);
  await next();
});

export const requireSignIn = createMiddleware<ConsoleEnv>(async (c, next) => {
  if (c.get("session")) return next();
  if (c.req.method === "GET" || c.req.method === "HEAD") return c.redirect("/sign-in", 303);
  return messagePage(c, "Signed out", "Your session has ended; sign in again.", 401, {
    href: "/sign-in",
    text: "Sign in",
  });
});

/** Posts are capped like API bodies (docs/api.md#limits), before anything reads them. */
export const formLimit = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: (c) =>
    messagePage(c as ConsoleContext, "Too large", `Forms are limited to ${MAX_BODY_BYTES / 1024} KiB.`, 413),
});

/** Reads the posted form (text fields only) into `form`. */
export async function readForm(c: ConsoleContext): Promise<Record<string, string>> {
  const body = await c.req.parseBody().catch(() => ({}));
  const form: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) if (typeof value === "string") form[name] = value;
  return form;
}

/** Every post of a signed-in session: the form must carry the session's CSRF token. */
export const requireCsrf = createMiddleware<ConsoleEnv>(async (c, next) => {
  const form = await readForm(c);
  if (!csrfMatches(c.get("session")!, form._csrf)) {
    const message =
      "This form has expired or did not come from this console (its security token does not match). Go back, reload the page and try again.";
    return messagePage(c, "Form refused", message, 403);
  }
  c.set("form", form);
  await next();
});

/** Changes need an admin session; a read session's post is refused like a read token's. */
export const requireAdmin = createMiddleware<ConsoleEnv>(async (c, next) => {
  if (c.get("session")?.role === "admin") return next();
  const message = "This session can only read. Sign in with the admin token to change anything.";
  return messagePage(c, "Read-only session", message, 403);
});
