/** Admin routes: credential rotation after a new key is prepended to ENCRYPTION_KEYS (docs/api.md#credential-rotation). */
import { createRoute, z } from "@hono/zod-openapi";
import { AppError } from "../lib/errors";
import { log } from "../lib/log";
import {
  countIntegrationsUnderKey,
  listIntegrationsNotUnderKey,
  setCredentialKeyId,
} from "../store/integrations";
import { rotateCredential } from "../vault/credentials";
import { createRouter } from "./context";
import { commonErrors, jsonContent } from "./schemas";

/** KV: at most 1,000 operations per invocation; each rotation is a get and a put. */
export const ROTATE_BATCH_MAX = 400;

const RotateResult = z
  .object({
    rotated: z.number().int(),
    alreadyCurrent: z.number().int(),
    failed: z.number().int(),
    remaining: z.number().int().openapi({ description: "Credentials still to rotate: call again until 0." }),
    failures: z.array(z.object({ integrationId: z.string(), message: z.string() })),
  })
  .openapi("RotateResult", {
    example: { rotated: 12, alreadyCurrent: 3, failed: 0, remaining: 0, failures: [] },
  });

export const adminRoutes = createRouter();

adminRoutes.openapi(
  createRoute({
    method: "post",
    path: "/v1/admin/rotate-credentials",
    tags: ["Admin"],
    summary: "Re-encrypt every credential with the first key of ENCRYPTION_KEYS",
    description: `Admin token only. Rotates up to ${ROTATE_BATCH_MAX} credentials per call; repeat while remaining > 0.`,
    responses: { 200: jsonContent(RotateResult, "Rotation counts"), ...commonErrors },
  }),
  async (c) => {
    if (c.get("role") !== "admin") throw new AppError("forbidden", "Rotation needs the admin API_TOKEN.");
    const { keyring } = c.get("config");
    const primary = keyring.primary.id;
    const todo = await listIntegrationsNotUnderKey(c.env.DB, primary, ROTATE_BATCH_MAX + 1);
    let rotated = 0;
    const failures: { integrationId: string; message: string }[] = [];
    for (const id of todo.slice(0, ROTATE_BATCH_MAX)) {
      const rotation = await rotateCredential(c.env.CREDENTIALS, keyring, id);
      if (!rotation.ok) {
        failures.push({ integrationId: id, message: rotation.error.message });
        continue;
      }
      await setCredentialKeyId(c.env.DB, id, rotation.value.kid);
      if (rotation.value.outcome === "rotated") rotated++;
    }
    // Everything under the primary key now that was not rotated by this call.
    const alreadyCurrent = (await countIntegrationsUnderKey(c.env.DB, primary)) - rotated;
    const remaining = Math.max(0, todo.length - ROTATE_BATCH_MAX);
    log("info", "credentials_rotated", {
      keyId: primary,
      rotated,
      alreadyCurrent,
      failed: failures.length,
      remaining,
    });
    return c.json({ rotated, alreadyCurrent, failed: failures.length, remaining, failures }, 200);
  },
);
