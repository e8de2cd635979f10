/**
 * The Hono app: open routes (/health, /openapi.json, /docs), the /v1 middleware chain, every
 * resource's routes, and the one place where failures become HTTP responses.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import { registerAccountRoutes } from "./http/accounts";
import { registerAdminRoutes } from "./http/admin";
import type { HonoEnv } from "./http/context";
import { docsPage } from "./http/docs";
import { registerIntegrationRoutes } from "./http/integrations";
import { parseJsonBody, requireAuth, requireConfig } from "./http/middleware";
import { jsonContent } from "./http/schemas";
import { registerSyncRoutes } from "./http/syncs";
import { AppError, ERROR_STATUS, type ErrorCode, type ErrorDetail, errorBody } from "./lib/errors";
import { log } from "./lib/log";

export const API_VERSION = "1.0.0";

/** zod issues → one `details` entry per failing field (its first problem), and a readable summary. */
export function validationError(error: ZodError, where: "body" | "query" | "path"): AppError {
  const details: ErrorDetail[] = [];
  const seen = new Set<string>();
  const add = (path: string, message: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    details.push({ path, message });
  };
  for (const issue of error.issues) {
    const base = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) add(base ? `${base}.${key}` : key, "is not a known field");
    } else {
      add(base || where, issue.message);
    }
  }
  const message = details.map((d) => `${d.path}: ${d.message}`).join("; ");
  return new AppError("validation_failed", message, details);
}

export function createApp() {
  const app = new OpenAPIHono<HonoEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const where = result.target === "json" ? "body" : result.target === "param" ? "path" : "query";
        throw validationError(result.error, where);
      }
    },
  });

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

  app.use("/v1/*", requireConfig, requireAuth, parseJsonBody);
  registerIntegrationRoutes(app);
  registerSyncRoutes(app);
  registerAccountRoutes(app);
  registerAdminRoutes(app);

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
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/openapi.json",
    tags: ["Meta"],
    summary: "This OpenAPI 3.1 document",
    security: [],
    responses: { 200: { description: "The OpenAPI document" } },
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/docs",
    tags: ["Meta"],
    summary: "The API reference rendered from /openapi.json",
    security: [],
    responses: { 200: { description: "HTML page" } },
  });

  app.notFound(() => {
    throw new AppError("not_found", "No such route.");
  });

  app.onError((e, c) => {
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
      error: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
    });
    return c.json(errorBody("internal", "Something went wrong on our side; the error has been logged."), 500);
  });

  return app;
}

export type App = ReturnType<typeof createApp>;

/** Makes sure every code the app can emit has a status (used in tests). */
export const statusOf = (code: ErrorCode) => ERROR_STATUS[code];
