/**
 * What every route module shares: the Hono environment (bindings plus what middleware puts on the
 * context), the router factory each resource builds its routes on, and the 404 for an unknown
 * integration id.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv, Config } from "../config";
import { AppError } from "../lib/errors";
import { getIntegrationRow, type IntegrationRow } from "../store/integrations";
import { validationError } from "./validation";

/** What a bearer token may do on this API (docs/api.md#authentication). */
export type ApiRole = "admin" | "read";

export interface HonoEnv {
  Bindings: AppEnv;
  Variables: { config: Config; role: ApiRole };
}

/**
 * A router for one resource's routes, mounted by app.ts with `app.route()`. Request validation
 * failures become one 400 `validation_failed` naming each field, whichever router they hit.
 */
export function createRouter() {
  return new OpenAPIHono<HonoEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const where = result.target === "json" ? "body" : result.target === "param" ? "path" : "query";
        throw validationError(result.error, where);
      }
    },
  });
}

/** The integration row, or 404 `not_found` for every route that names one. */
export async function requireIntegration(db: D1Database, id: string): Promise<IntegrationRow> {
  const row = await getIntegrationRow(db, id);
  if (!row) throw new AppError("not_found", "No integration with this id.");
  return row;
}
