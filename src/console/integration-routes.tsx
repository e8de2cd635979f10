/**
 * The integrations overview and its forms (docs/console.md#writes). Every change calls the same
 * function as the API route (http/integrations.ts, http/syncs.ts) and shows the API's own error
 * message where the form is; a change that worked redirects back (post/redirect/get).
 */
import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import {
  CreateIntegrationBody,
  changeIntegration,
  connectIntegration,
  PatchIntegrationBody,
  removeIntegration,
} from "../http/integrations";
import { startSync } from "../http/syncs";
import { validationError } from "../http/validation";
import { AppError } from "../lib/errors";
import { getIntegration, listIntegrations } from "../store/integrations";
import { formLimit, requireAdmin, requireCsrf, requireSignIn } from "./auth";
import { CsrfField, Notice } from "./components";
import { type ConsoleContext, type ConsoleEnv, canWrite, sessionOf } from "./context";
import {
  type ConnectValues,
  type FormError,
  integrationState,
  Overview,
  type OverviewProps,
} from "./pages/integrations";
import { messagePage, renderPage } from "./render";

/** How soon the overview reloads itself while a sync runs. */
const SYNCING_REFRESH_SECONDS = 5;

/** What a redirect after a change says, by the code in `?done=`. */
const NOTICES: Record<string, string> = {
  connected: "Connected. The first sync is queued; this page shows it as syncing until it finishes.",
  sync: "Sync queued.",
  rotated: "Token replaced: the new token passed the same checks as at connect.",
  enabled: "Enabled: it syncs on schedule again.",
  disabled: "Disabled: it no longer syncs on schedule; its data stays.",
  deleted: "Deleted, with its credential, user accounts, sync runs and events.",
};

const asFormError = (e: AppError): FormError => ({ message: e.message, details: e.details });

async function showOverview(
  c: ConsoleContext,
  extra: Partial<Pick<OverviewProps, "connect" | "rotate">> = {},
  status: ContentfulStatusCode = 200,
) {
  const integrations = await listIntegrations(c.env.DB);
  const notice = NOTICES[c.req.query("done") ?? ""] ?? null;
  const props: OverviewProps = {
    integrations,
    csrf: sessionOf(c).csrf,
    write: canWrite(c),
    connect: extra.connect ?? { values: {}, error: null },
    rotate: extra.rotate ?? null,
  };
  return renderPage(
    c,
    {
      title: "Integrations",
      section: "integrations",
      // While a sync runs the page reloads itself (no script), unless it shows a refused form.
      ...(status === 200 && integrations.some((i) => integrationState(i).text === "syncing")
        ? { refreshSeconds: SYNCING_REFRESH_SECONDS }
        : {}),
      children: (
        <>
          <Notice text={notice} />
          <Overview {...props} />
        </>
      ),
    },
    status,
  );
}

/** Text fields of the connect form; an empty optional account id is "not given". */
function connectBody(form: Record<string, string>) {
  return {
    label: form.label ?? "",
    organizationName: form.organizationName ?? "",
    apiToken: form.apiToken ?? "",
    ...(form.accountId?.trim() ? { accountId: form.accountId.trim() } : {}),
  };
}

export const integrationRoutes = new Hono<ConsoleEnv>();

integrationRoutes.get("/", requireSignIn, (c) => showOverview(c));

const writes = [formLimit, requireSignIn, requireCsrf, requireAdmin] as const;

integrationRoutes.post("/integrations", ...writes, async (c) => {
  const body = connectBody(c.get("form"));
  const values: ConnectValues = {
    label: body.label,
    organizationName: body.organizationName,
    accountId: body.accountId,
  };
  try {
    const parsed = CreateIntegrationBody.safeParse(body);
    if (!parsed.success) throw validationError(parsed.error, "body");
    await connectIntegration(c.env, c.get("config"), parsed.data);
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    return showOverview(c, { connect: { values, error: asFormError(e) } }, e.status);
  }
  return c.redirect("/?done=connected", 303);
});

/** Runs a change to one integration; an AppError re-renders the overview with it beside that integration. */
async function change(c: ConsoleContext, done: string, run: (id: string) => Promise<unknown>) {
  const id = c.req.param("id")!;
  try {
    await run(id);
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    if (e.code === "not_found") return messagePage(c, "Not found", "No integration with this id.", 404);
    return showOverview(c, { rotate: { id, error: asFormError(e) } }, e.status);
  }
  return c.redirect(`/?done=${done}#i-${id}`, 303);
}

integrationRoutes.post("/integrations/:id/sync", ...writes, (c) =>
  change(c, "sync", (id) => startSync(c.env, id)),
);

integrationRoutes.post("/integrations/:id/token", ...writes, (c) =>
  change(c, "rotated", async (id) => {
    const parsed = PatchIntegrationBody.safeParse({ apiToken: c.get("form").apiToken ?? "" });
    if (!parsed.success) throw validationError(parsed.error, "body");
    await changeIntegration(c.env, c.get("config"), id, parsed.data);
  }),
);

integrationRoutes.post("/integrations/:id/enabled", ...writes, (c) => {
  const enabled = c.get("form").enabled === "true";
  return change(c, enabled ? "enabled" : "disabled", (id) =>
    changeIntegration(c.env, c.get("config"), id, { enabled }),
  );
});

integrationRoutes.get("/integrations/:id/delete", requireSignIn, requireAdmin, async (c) => {
  const integration = await getIntegration(c.env.DB, c.req.param("id"));
  if (!integration) return messagePage(c, "Not found", "No integration with this id.", 404);
  return renderPage(c, {
    title: `Delete ${integration.label}?`,
    section: "integrations",
    children: (
      <form method="post" action={`/integrations/${integration.id}/delete`} class="card narrow">
        <CsrfField token={sessionOf(c).csrf} />
        <p>
          This deletes the connection to <strong>{integration.organizationName}</strong> (
          {integration.accountCount} user accounts): its encrypted token, its user accounts, sync runs, change
          events and findings. Cloudflare itself is not changed. This cannot be undone.
        </p>
        <button type="submit" class="danger">
          Delete {integration.label}
        </button>{" "}
        <a href={`/#i-${integration.id}`}>Cancel</a>
      </form>
    ),
  });
});

integrationRoutes.post("/integrations/:id/delete", ...writes, async (c) => {
  const id = c.req.param("id");
  try {
    await removeIntegration(c.env, id);
  } catch (e) {
    if (e instanceof AppError && e.code === "not_found")
      return messagePage(c, "Not found", "No integration with this id.", 404);
    throw e;
  }
  return c.redirect("/?done=deleted", 303);
});
