/**
 * The Hono app: open routes (/health, /openapi.json, /docs), the /v1 middleware chain, every
 * resource's router mounted with `app.route()`, the admin console's pages (docs/console.md), and
 * the one place where failures become HTTP responses (docs/api.md#errors).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import { consoleRoutes } from "./console/routes";
import { accountRoutes } from "./http/accounts";
import { adminRoutes } from "./http/admin";
import { apiTokenRoutes } from "./http/api-tokens";
import { createRouter } from "./http/context";
import { docsPage } from "./http/docs";
import { eventRoutes } from "./http/events";
import { findingRoutes } from "./http/findings";
import { integrationRoutes } from "./http/integrations";
import { parseJsonBody, requireAuth, requireConfig, securityHeaders } from "./http/middleware";
import { peopleRoutes } from "./http/people";
import { rosterRoutes } from "./http/roster";
import { jsonContent } from "./http/schemas";
import { d1Session } from "./http/session";
import { syncRoutes } from "./http/syncs";
import { webhookRoutes } from "./http/webhooks";
import { AppError, errorBody } from "./lib/errors";
import { log } from "./lib/log";

export const API_VERSION = "1.0.0";

export function createApp() {
  const app = createRouter();
  app.use("*", securityHeaders);

  app.openapi(
    createRoute({
      method: "get",
      path: "/health",
      tags: ["Meta"],
      summary: "Liveness check (no auth; reveals nothing about configuration or data)",
      security: [],
      responses: { 200: jsonContent(z.object({ status: z.literal("ok") }), "The Worker is up") },
    }),
    (c) => c.json({ status: "ok" as const }, 200),
  );

  app.use("/v1/*", requireConfig, requireAuth, d1Session, parseJsonBody);
  app.route("/", integrationRoutes);
  app.route("/", syncRoutes);
  app.route("/", eventRoutes);
  app.route("/", accountRoutes);
  app.route("/", apiTokenRoutes);
  app.route("/", findingRoutes);
  app.route("/", peopleRoutes);
  app.route("/", rosterRoutes);
  app.route("/", webhookRoutes);
  app.route("/", adminRoutes);

  documentApi(app);
  // The admin console's pages (docs/console.md): not part of the API, so not in /openapi.json.
  app.route("/", consoleRoutes());
  // Answered, not thrown: a throw from here would skip the header middleware on its way out.
  app.notFound((c) => errorResponse(new AppError("not_found", "No such route."), c));
  app.onError(errorResponse);
  return app;
}

export type App = ReturnType<typeof createApp>;

/** /openapi.json from the routes' own schemas, /docs rendering it, and both documenting themselves. */
function documentApi(app: App) {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Cloudflare connector API",
      version: API_VERSION,
      description:
        "Connect Cloudflare accounts and read their members (user accounts), kept current by scheduled syncs.",
    },
    security: [{ bearer: [] }],
  });
  app.get("/docs", (c) => c.html(docsPage("/openapi.json")));
  // The documentation routes document themselves too, so the document lists every route served.
  for (const [path, summary, description] of [
    ["/openapi.json", "This OpenAPI 3.1 document", "The OpenAPI document"],
    ["/docs", "The API reference rendered from /openapi.json", "HTML page"],
  ] as const) {
    app.openAPIRegistry.registerPath({
      method: "get",
      path,
      tags: ["Meta"],
      summary,
      security: [],
      responses: { 200: { description } },
    });
  }
}

/** The one error mapper: every failure leaves as `{error: {code, message, details}}`. */
function errorResponse(e: Error, c: Parameters<Parameters<App["onError"]>[0]>[1]) {
  if (e instanceof AppError) {
    return c.json(errorBody(e.code, e.message, e.details), e.status);
  }
  // The body validator refuses bodies it cannot read as JSON (malformed, or a media type it
  // does not accept) before our handlers run; both are the client's invalid_json.
  if (e instanceof HTTPException && (e.status === 400 || e.status === 415)) {
    return c.json(
      errorBody("invalid_json", "Send the body as JSON with Content-Type: application/json."),
      400,
    );
  }
  // Unexpected: log what happened (never request bodies or headers), answer without details.
  log("error", "unhandled_error", {
    method: c.req.method,
    path: new URL(c.req.url).pathname,
    error: `${e.name}: ${e.message}`,
  });
  return c.json(errorBody("internal", "Something went wrong on our side; the error has been logged."), 500);
}
