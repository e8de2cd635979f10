/**
 * Sign-in and sign-out (docs/console.md#sessions): paste the admin token or a read token; the
 * console answers with a session cookie and never shows or stores the token.
 */
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { roleOf } from "../../http/middleware";
import { cookieOptions, formLimit, readForm, requireCsrf, requireSignIn, setSessionCookie } from "../auth";
import { CsrfField, ErrorSummary } from "../components";
import type { ConsoleContext, ConsoleEnv } from "../context";
import { renderPage } from "../render";
import {
  checkSignInCsrf,
  issueSession,
  newSignInNonce,
  SESSION_COOKIE,
  SIGN_IN_COOKIE,
  SIGN_IN_TTL_MS,
  signInCsrf,
} from "../session";

/** A nonce as newSignInNonce makes it: 16 bytes in base64url. */
const NONCE = /^[A-Za-z0-9_-]{22}$/;

function SignInForm({ csrf, access }: { csrf: string; access: boolean }) {
  return (
    <form method="post" action="/sign-in" class="card narrow">
      <CsrfField token={csrf} />
      <p>
        Paste the connector's admin token (<code>API_TOKEN</code>) to manage integrations, or a read token (
        <code>API_READ_TOKENS</code>) to look only.
      </p>
      <label for="token">API token</label>
      <input id="token" name="token" type="password" autocomplete="off" required spellcheck={false} />
      <button type="submit">Sign in</button>
      {access ? <p class="muted">Behind Cloudflare Access you are signed in without a token.</p> : null}
    </form>
  );
}

/** The form with a fresh (or the current) nonce in its cookie. */
async function showSignIn(c: ConsoleContext, error: string | null, status: 200 | 401 | 403 = 200) {
  const config = c.get("config");
  const current = getCookie(c, SIGN_IN_COOKIE);
  const nonce = current && NONCE.test(current) ? current : newSignInNonce();
  setCookie(c, SIGN_IN_COOKIE, nonce, cookieOptions(c, "/sign-in", SIGN_IN_TTL_MS / 1000));
  const csrf = await signInCsrf(config, nonce);
  return renderPage(
    c,
    {
      title: "Sign in",
      section: null,
      children: (
        <>
          {error ? <ErrorSummary message={error} /> : null}
          <SignInForm csrf={csrf} access={config.access !== null} />
        </>
      ),
    },
    status,
  );
}

export const signInRoutes = new Hono<ConsoleEnv>();

signInRoutes.get("/sign-in", async (c) => (c.get("session") ? c.redirect("/", 303) : showSignIn(c, null)));

signInRoutes.post("/sign-in", formLimit, async (c) => {
  const config = c.get("config");
  const form = await readForm(c);
  const nonce = getCookie(c, SIGN_IN_COOKIE) ?? "";
  if (!(await checkSignInCsrf(config, nonce, form._csrf ?? ""))) {
    return showSignIn(c, "The sign-in form expired or did not come from this console; try again.", 403);
  }
  const token = (form.token ?? "").trim();
  const role = token === "" ? null : await roleOf(token, config.adminToken, config.readTokens);
  if (!role) return showSignIn(c, "That is not the admin token or a read token of this connector.", 401);
  setSessionCookie(c, await issueSession(config, { role, token }));
  deleteCookie(c, SIGN_IN_COOKIE, { path: "/sign-in", secure: cookieOptions(c, "/", 0).secure });
  return c.redirect("/", 303);
});

signInRoutes.post("/sign-out", formLimit, requireSignIn, requireCsrf, async (c) => {
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: cookieOptions(c, "/", 0).secure });
  return c.redirect("/sign-in", 303);
});
