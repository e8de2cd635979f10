/** The Hono environment shared by every route: bindings plus what middleware puts on the context. */
import type { AppEnv, Config } from "../config";

export type Role = "admin" | "read";

export interface HonoEnv {
  Bindings: AppEnv;
  Variables: { config: Config; role: Role };
}
