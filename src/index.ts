/**
 * Worker entry: HTTP API (fetch), sync fan-out (scheduled) and one integration's sync, or the
 * roster findings recomputation, per queue message (queue). Nothing else lives here: workerd treats every named export of this module as
 * an entrypoint, so constants must not be exported from it.
 */
import { createApp } from "./app";
import { type AppEnv, loadConfig } from "./config";
import { log } from "./lib/log";
import { abandonRun } from "./store/sync-runs";
import { DEAD_LETTER_QUEUE, isRosterFindingsMessage, type QueueMessage } from "./sync/enqueue";
import { recomputeRosterFindings } from "./sync/roster";
import { runSync } from "./sync/run";
import { runScheduledTick } from "./sync/schedule";
import { deliverWebhook, WEBHOOK_QUEUE, type WebhookMessage, wakeWebhooksAfterCommit } from "./sync/webhooks";

const app = createApp();

/** An unexpected error redelivers the message after this long rather than at once. */
const ERROR_RETRY_DELAY_SECONDS = 30;

export default {
  fetch: app.fetch,

  async scheduled(controller, env, ctx) {
    const config = await loadConfig(env);
    if (!config.ok) {
      log("error", "cron_not_configured", { message: `The connector is not configured: ${config.error}.` });
      return;
    }
    ctx.waitUntil(
      runScheduledTick(
        { db: env.DB, queue: env.SYNC_QUEUE, webhookQueue: env.WEBHOOK_QUEUE, config: config.value },
        controller.scheduledTime,
      ),
    );
  },

  async queue(batch, env, _ctx) {
    if (batch.queue === WEBHOOK_QUEUE) {
      await deliverWebhooks(batch as MessageBatch<unknown> as MessageBatch<WebhookMessage>, env);
      return;
    }
    if (batch.queue === DEAD_LETTER_QUEUE) {
      for (const message of batch.messages) {
        const body = message.body;
        if (isRosterFindingsMessage(body)) {
          log("error", "roster_findings_dead_lettered", { requestedAt: body.requestedAt });
        } else {
          await abandonRun(env.DB, body.runId, Date.now());
          log("warn", "sync_dead_lettered", { integrationId: body.integrationId, runId: body.runId });
        }
        message.ack();
      }
      return;
    }
    const config = await loadConfig(env);
    if (!config.ok) {
      log("error", "sync_not_configured", { message: `The connector is not configured: ${config.error}.` });
      batch.retryAll({ delaySeconds: 300 });
      return;
    }
    for (const message of batch.messages) {
      const body = message.body;
      try {
        if (isRosterFindingsMessage(body)) {
          await recomputeRosterFindings(env.DB);
          await wakeWebhooksAfterCommit(env.DB, env.WEBHOOK_QUEUE);
          message.ack();
          continue;
        }
        const outcome = await runSync(
          { db: env.DB, kv: env.CREDENTIALS, config: config.value, webhookQueue: env.WEBHOOK_QUEUE },
          body,
          message.attempts,
        );
        if (outcome.kind === "retry") message.retry({ delaySeconds: outcome.delaySeconds });
        else if (outcome.kind === "continue") await sendContinuation(env, message, outcome.delaySeconds);
        else message.ack();
      } catch (e) {
        const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
        if (isRosterFindingsMessage(body)) log("error", "roster_findings_crashed", { error });
        else log("error", "sync_crashed", { integrationId: body.integrationId, runId: body.runId, error });
        message.retry({ delaySeconds: ERROR_RETRY_DELAY_SECONDS });
      }
    }
  },
} satisfies ExportedHandler<AppEnv, QueueMessage>;

/**
 * A staged sync's next delivery is a new message, so its attempts start at 1 again: continuations
 * are not rate-limited retries (docs/sync.md#continuation). If the send fails, the retry carries
 * the run instead (and the cron tick resends it if that is lost too).
 */
async function sendContinuation(env: AppEnv, message: Message<QueueMessage>, delaySeconds: number) {
  try {
    await env.SYNC_QUEUE.send(message.body, { delaySeconds });
    message.ack();
  } catch {
    message.retry({ delaySeconds });
  }
}

/** The webhook queue (docs/webhooks.md#delivery): each message wakes one endpoint. */
async function deliverWebhooks(batch: MessageBatch<WebhookMessage>, env: AppEnv) {
  const config = await loadConfig(env);
  if (!config.ok) {
    log("error", "webhooks_not_configured", { message: `The connector is not configured: ${config.error}.` });
    batch.retryAll({ delaySeconds: 300 });
    return;
  }
  const deps = {
    db: env.DB,
    queue: env.WEBHOOK_QUEUE,
    keyring: config.value.keyring,
    timeoutMs: config.value.webhookTimeoutMs,
  };
  // Each message is another endpoint (or a repeat that waits for the lease): side by side, so a
  // receiver that answers slowly holds up no other endpoint in the batch.
  const deliver = async (message: Message<WebhookMessage>) => {
    try {
      const outcome = await deliverWebhook(deps, message.body);
      if (outcome.kind === "retry") message.retry({ delaySeconds: outcome.delaySeconds });
      else message.ack();
    } catch (e) {
      log("error", "webhook_delivery_crashed", {
        webhookId: message.body.webhookId,
        error: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
      });
      message.retry({ delaySeconds: ERROR_RETRY_DELAY_SECONDS });
    }
  };
  await Promise.all(batch.messages.map(deliver));
}
