/**
 * The console's read pages (docs/console.md#pages): accounts, one account, findings, people, one
 * person (the offboarding view) and sync history. Each parses its query with the API route's own
 * schema and reads through the API's own list functions (http/accounts.ts, http/findings.ts,
 * http/people.ts, http/events.ts, store/), one D1 query per table it shows, so a page and its API
 * route cannot disagree.
 */
import { Hono } from "hono";
import { AllAccountsQuery, accountListSpec, filtersOf, knownIntegration } from "../http/accounts";

import { eventPage } from "../http/events";
import { AllFindingsQuery, findingListSpec } from "../http/findings";
import { csvResponse, keysetPage } from "../http/list-response";
import { PeopleQuery, peopleListSpec } from "../http/people";
import { validationError } from "../http/validation";
import { AppError } from "../lib/errors";
import { getIntegration, type Integration, listIntegrations } from "../store/integrations";
import { getPerson } from "../store/people";
import { listSyncRuns } from "../store/sync-runs";
import { getUserAccount } from "../store/user-accounts-read";
import { requireSignIn } from "./auth";
import type { ConsoleContext, ConsoleEnv } from "./context";
import { AccountPage } from "./pages/account";
import { AccountsPage } from "./pages/accounts";
import { FindingsPage } from "./pages/findings";
import { PeoplePage, PersonPage } from "./pages/people";
import { SyncsPage } from "./pages/syncs";
import { filterHref, filterQuery, pagerLinks } from "./paging";
import { messagePage, renderPage } from "./render";

/** Sync runs shown on the history page. */
const SYNC_HISTORY_RUNS = 50;

const unknownIntegration = (integrations: Integration[], id: string | undefined) =>
  id !== undefined && !integrations.some((i) => i.id === id);

/** A keyset page of a list spec; a refused query or cursor becomes the form's error. */
async function safely<T>(run: () => Promise<T>): Promise<{ value: T | null; error: AppError | null }> {
  try {
    return { value: await run(), error: null };
  } catch (e) {
    if (e instanceof AppError) return { value: null, error: e };
    throw e;
  }
}

async function accountsPage(c: ConsoleContext) {
  const query = filterQuery(c);
  // Both queries at once: one D1 round trip of wall time, as the JSON route costs.
  const [integrations, result] = await Promise.all([
    listIntegrations(c.env.DB),
    safely(async () => {
      const parsed = AllAccountsQuery.safeParse(query);
      if (!parsed.success) throw validationError(parsed.error, "query");
      const filters = filtersOf(parsed.data, parsed.data.integrationId ?? null);
      const spec = accountListSpec(c.env.DB, filters, { ...parsed.data, format: "json" }, noLabel, noCheck);
      return {
        integrationId: parsed.data.integrationId,
        page: await keysetPage(c.get("config").keyring, spec),
      };
    }),
  ]);
  // An unknown integration lists nothing; `listed` says why, as the API's 400 does.
  const { page, error } = listed(c, "/accounts", query, integrations, result);
  const props = { query, integrations, page, error, csvHref: filterHref("/accounts.csv", query) };
  const children = <AccountsPage {...props} />;
  return renderPage(c, { title: "User accounts", section: "accounts", children }, error ? 400 : 200);
}

const noLabel = async () => "";
const noCheck = async () => {};

async function accountPage(c: ConsoleContext) {
  const { id, accountId } = c.req.param() as { id: string; accountId: string };
  const cursor = c.req.query("cursor");
  const [integration, account, events] = await Promise.all([
    getIntegration(c.env.DB, id),
    getUserAccount(c.env.DB, id, accountId),
    safely(() => eventPage(c.env.DB, c.get("config").keyring, id, { userAccountId: accountId, cursor })),
  ]);
  if (!account) return messagePage(c, "Not found", "No user account with this id in this integration.", 404);
  const next = events.value?.nextCursor ?? null;
  const nextHref = next ? `${c.req.path}?cursor=${encodeURIComponent(next)}` : null;
  const props = { account, integration, events: events.value?.data ?? [], nextHref };
  return renderPage(c, {
    title: account.email ?? account.id,
    section: "accounts",
    children: <AccountPage {...props} />,
  });
}

async function findingsPage(c: ConsoleContext) {
  const query = filterQuery(c);
  // Open findings unless the form says otherwise ("any" sends an empty status).
  if (c.req.query("status") === undefined) query.status = "open";
  const [integrations, result] = await Promise.all([
    listIntegrations(c.env.DB),
    safely(async () => {
      const parsed = AllFindingsQuery.safeParse(query);
      if (!parsed.success) throw validationError(parsed.error, "query");
      const spec = findingListSpec(c.env.DB, parsed.data.integrationId ?? null, parsed.data, "");
      return {
        integrationId: parsed.data.integrationId,
        page: await keysetPage(c.get("config").keyring, spec),
      };
    }),
  ]);
  const { page, error } = listed(c, "/findings", query, integrations, result);
  const props = { query, integrations, page, error };
  return renderPage(
    c,
    { title: "Findings", section: "findings", children: <FindingsPage {...props} /> },
    error ? 400 : 200,
  );
}

/** A list page's rows and pager, or the error to show: a refused query, or an unknown integration. */
function listed<T>(
  c: ConsoleContext,
  path: string,
  query: Record<string, string>,
  integrations: Integration[],
  result: {
    value: { integrationId?: string | undefined; page: { data: T[]; nextCursor: string | null } } | null;
    error: AppError | null;
  },
) {
  let error = result.error;
  if (result.value && unknownIntegration(integrations, result.value.integrationId)) {
    error = new AppError("validation_failed", "integrationId: no integration with this id");
  }
  const value = error ? null : result.value!.page;
  const page = value ? { data: value.data, links: pagerLinks(c, path, query, value.nextCursor) } : null;
  return { page, error };
}

async function syncsPage(c: ConsoleContext) {
  const id = c.req.param("id")!;
  const [integration, runs] = await Promise.all([
    getIntegration(c.env.DB, id),
    listSyncRuns(c.env.DB, id, SYNC_HISTORY_RUNS),
  ]);
  if (!integration) return messagePage(c, "Not found", "No integration with this id.", 404);
  return renderPage(c, {
    title: `Sync history · ${integration.label}`,
    section: "integrations",
    children: <SyncsPage runs={runs} />,
  });
}

export const listRoutes = new Hono<ConsoleEnv>();

listRoutes.get("/accounts", requireSignIn, accountsPage);
listRoutes.get("/integrations/:id/accounts/:accountId", requireSignIn, accountPage);
listRoutes.get("/findings", requireSignIn, findingsPage);
listRoutes.get("/integrations/:id/syncs", requireSignIn, syncsPage);

// The whole filtered list as the API's CSV (same columns, same streaming), for the session.
listRoutes.get("/accounts.csv", requireSignIn, async (c) => {
  const back = { href: "/accounts", text: "Back to accounts" };
  const parsed = AllAccountsQuery.safeParse(filterQuery(c));
  if (!parsed.success) {
    return messagePage(c, "Invalid filter", validationError(parsed.error, "query").message, 400, back);
  }
  const { cursor: _cursor, ...query } = parsed.data;
  const integration = await safely(() => knownIntegration(c.env.DB, query.integrationId));
  if (integration.error) return messagePage(c, "Invalid filter", integration.error.message, 400, back);
  const filters = filtersOf(query, query.integrationId ?? null);
  const label = async () => integration.value?.label ?? "all";
  return csvResponse(accountListSpec(c.env.DB, filters, { ...query, format: "csv" }, label, async () => {}));
});

async function peoplePage(c: ConsoleContext) {
  const query = filterQuery(c);
  const [integrations, result] = await Promise.all([
    listIntegrations(c.env.DB),
    safely(async () => {
      const parsed = PeopleQuery.safeParse(query);
      if (!parsed.success) throw validationError(parsed.error, "query");
      const page = await keysetPage(c.get("config").keyring, peopleListSpec(c.env.DB, parsed.data));
      return { integrationId: parsed.data.integrationId, page };
    }),
  ]);
  const { page, error } = listed(c, "/people", query, integrations, result);
  const props = { query, integrations, page, error };
  return renderPage(
    c,
    { title: "People", section: "people", children: <PeoplePage {...props} /> },
    error ? 400 : 200,
  );
}

listRoutes.get("/people", requireSignIn, peoplePage);

listRoutes.get("/people/:email", requireSignIn, async (c) => {
  const email = c.req.param("email");
  const person = email.length <= 320 ? await getPerson(c.env.DB, email) : null;
  if (!person) {
    const message = "No member or roster person has this email.";
    return messagePage(c, "Not found", message, 404, { href: "/people", text: "Search people" });
  }
  return renderPage(c, { title: person.email, section: "people", children: <PersonPage person={person} /> });
});
