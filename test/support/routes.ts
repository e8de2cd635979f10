/** Every route the Worker serves, as "METHOD /path" with OpenAPI path parameters; /openapi.json must list each. */
export const DOCUMENTED_ROUTES = [
  "POST /v1/integrations",
  "GET /v1/integrations",
  "GET /v1/integrations/{id}",
  "PATCH /v1/integrations/{id}",
  "DELETE /v1/integrations/{id}",
  "POST /v1/integrations/{id}/sync",
  "GET /v1/integrations/{id}/syncs",
  "GET /v1/syncs/{syncId}",
  "GET /v1/integrations/{id}/events",
  "GET /v1/integrations/{id}/accounts",
  "GET /v1/accounts",
  "GET /v1/integrations/{id}/api-tokens",
  "GET /v1/api-tokens",
  "GET /v1/findings",
  "GET /v1/integrations/{id}/findings",
  "GET /v1/findings/events",
  "GET /v1/people",
  "GET /v1/people/{email}",
  "PUT /v1/roster",
  "GET /v1/roster",
  "DELETE /v1/roster",
  "POST /v1/admin/rotate-credentials",
  "GET /health",
  "GET /openapi.json",
  "GET /docs",
] as const;

/**
 * Every route of the admin console (docs/console.md), which is not part of /openapi.json: the
 * header test walks this list, and the route-coverage test fails on a console route missing here.
 */
export const CONSOLE_ROUTES = [
  "GET /console.css",
  "GET /sign-in",
  "POST /sign-in",
  "POST /sign-out",
  "GET /",
  "POST /integrations",
  "POST /integrations/{id}/sync",
  "POST /integrations/{id}/token",
  "POST /integrations/{id}/enabled",
  "GET /integrations/{id}/delete",
  "POST /integrations/{id}/delete",
  "GET /integrations/{id}/syncs",
  "GET /integrations/{id}/accounts/{accountId}",
  "GET /accounts",
  "GET /accounts.csv",
  "GET /findings",
  "GET /people",
  "GET /people/{email}",
] as const;
