/**
 * The admin console (docs/console.md): server-rendered pages at `/` over the same store and write
 * functions as the API. Mounted by app.ts after the API routes; every page but /sign-in and the
 * stylesheet needs a session.
 */
import { Hono } from "hono";
import { consoleConfig, consoleSession } from "./auth";
import type { ConsoleEnv } from "./context";
import { integrationRoutes } from "./integration-routes";
import { listRoutes } from "./list-routes";
import { signInRoutes } from "./pages/sign-in";
import { CONSOLE_CSS } from "./style";

/** Where the console's pages live (each route below is under one of these). */
const CONSOLE_PATHS = [
  "/",
  "/sign-in",
  "/sign-out",
  "/accounts",
  "/accounts.csv",
  "/findings",
  "/people",
  "/people/*",
  "/integrations",
  "/integrations/*",
];

export function consoleRoutes() {
  const app = new Hono<ConsoleEnv>();
  // Cached by browsers for an hour: it holds no data, and the pages are never cached.
  app.get("/console.css", (c) =>
    c.body(CONSOLE_CSS, 200, {
      "Content-Type": "text/css; charset=utf-8",
      "Cache-Control": "public, max-age=3600",
    }),
  );
  // Only on the console's own paths: an unknown path keeps the API's JSON 404.
  for (const path of CONSOLE_PATHS) app.use(path, consoleConfig, consoleSession);
  app.route("/", signInRoutes);
  app.route("/", integrationRoutes);
  app.route("/", listRoutes);
  return app;
}
