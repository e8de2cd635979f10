/** The Hono environment shared by every route: bindings plus what middleware puts on the context. */
import type { AppEnv, Config } from "../config";
import { AppError } from "../lib/errors";
import { getIntegrationRow, type IntegrationRow } from "../store/integrations";

export type Role = "admin" | "read";

export interface HonoEnv {
  Bindings: AppEnv;
  Variables: { config: Config; role: Role };
}

/** The integration row, or 404 `not_found` for every route that names one. */
export async function requireIntegration(db: D1Database, id: string): Promise<IntegrationRow> {
  const row = await getIntegrationRow(db, id);
  if (!row) throw new AppError("not_found", "No integration with this id.");
  return row;
}
