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
  "POST /v1/admin/rotate-credentials",
  "GET /health",
  "GET /openapi.json",
  "GET /docs",
] as const;
