/**
 * Admin routes: credential rotation after a new key is prepended to ENCRYPTION_KEYS
 * (docs/api.md#credential-rotation): the integrations' API tokens in KV and the webhook signing
 * secrets in D1.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { AppError } from "../lib/errors";
import { log } from "../lib/log";
import {
  countIntegrationsUnderKey,
  listIntegrationsNotUnderKey,
  setCredentialKeyId,
} from "../store/integrations";
import {
  countWebhooksUnderKey,
  listWebhookSecretsNotUnderKey,
  replaceWebhookSecret,
} from "../store/webhooks";
import { rotateCredential } from "../vault/credentials";
import type { Keyring } from "../vault/keyring";
import { resealWebhookSecret } from "../vault/webhook-secrets";
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
    webhookSecrets: z
      .object({
        rotated: z.number().int(),
        alreadyCurrent: z.number().int(),
        failed: z.number().int(),
        remaining: z.number().int(),
        failures: z.array(z.object({ webhookId: z.string(), message: z.string() })),
      })
      .openapi({ description: "The same counts for the webhook endpoints' signing secrets" }),
  })
  .openapi("RotateResult", {
    example: {
      rotated: 12,
      alreadyCurrent: 3,
      failed: 0,
      remaining: 0,
      failures: [],
      webhookSecrets: { rotated: 2, alreadyCurrent: 0, failed: 0, remaining: 0, failures: [] },
    },
  });

/** Re-seals up to ROTATE_BATCH_MAX webhook secrets under the primary key (D1 only, no KV). */
async function rotateWebhookSecrets(db: D1Database, keyring: Keyring) {
  const primary = keyring.primary.id;
  const todo = await listWebhookSecretsNotUnderKey(db, primary, ROTATE_BATCH_MAX + 1);
  let rotated = 0;
  const failures: { webhookId: string; message: string }[] = [];
  for (const { id, secret_sealed } of todo.slice(0, ROTATE_BATCH_MAX)) {
    const resealed = await resealWebhookSecret(keyring, id, secret_sealed);
    if (!resealed.ok) {
      failures.push({ webhookId: id, message: resealed.error.message });
      continue;
    }
    // Changed meanwhile (deleted, or rotated by a concurrent call): nothing to count.
    if (resealed.value && (await replaceWebhookSecret(db, id, secret_sealed, resealed.value))) rotated++;
  }
  const alreadyCurrent = (await countWebhooksUnderKey(db, primary)) - rotated;
  const remaining = Math.max(0, todo.length - ROTATE_BATCH_MAX);
  return { rotated, alreadyCurrent, failed: failures.length, remaining, failures };
}

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
    const webhookSecrets = await rotateWebhookSecrets(c.env.DB, keyring);
    log("info", "credentials_rotated", {
      keyId: primary,
      rotated,
      alreadyCurrent,
      failed: failures.length,
      remaining,
      webhookSecrets: { ...webhookSecrets, failures: undefined },
    });
    return c.json(
      { rotated, alreadyCurrent, failed: failures.length, remaining, failures, webhookSecrets },
      200,
    );
  },
);
