/**
 * What every console module shares (docs/console.md): the Hono environment of the console's
 * routes, and answering with a whole HTML page.
 */
import type { Context } from "hono";
import type { AppEnv, Config } from "../config";
import type { Session } from "./session";

export interface ConsoleEnv {
  Bindings: AppEnv;
  Variables: {
    config: Config;
    session: Session | null;
    /** The posted form, read once (with the body limit) by the CSRF check. */
    form: Record<string, string>;
  };
}

export type ConsoleContext = Context<ConsoleEnv>;

/** A signed-in request's session (the routes that call this run behind requireSignIn). */
export const sessionOf = (c: ConsoleContext): Session => c.get("session")!;

/** True when the session may change things (shows write controls). */
export const canWrite = (c: ConsoleContext): boolean => c.get("session")?.role === "admin";
