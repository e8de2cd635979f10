#!/usr/bin/env node
// A small webhook receiver for the demo (README, step 8): prints every delivery it gets, after
// checking its Standard Webhooks signature with WEBHOOK_SECRET (the `secret` POST /v1/webhooks
// returned), and answers 204 — or 401 when the signature or timestamp does not hold.
// Usage: WEBHOOK_SECRET=whsec_… node scripts/webhook-receiver.mjs   (RECEIVER_PORT, default 8789)
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";

const PORT = Number(process.env.RECEIVER_PORT ?? 8789);
/** Standard Webhooks: refuse timestamps more than 5 minutes away (replayed or delayed messages). */
const TOLERANCE_SECONDS = 300;
const secret = process.env.WEBHOOK_SECRET ?? "";
if (!secret.startsWith("whsec_")) {
  console.error("Set WEBHOOK_SECRET to the secret that POST /v1/webhooks returned (whsec_…).");
  process.exit(1);
}
const key = Buffer.from(secret.slice("whsec_".length), "base64");

/** True when one of the `v1,<base64>` signatures is the HMAC-SHA256 of `{id}.{timestamp}.{body}`. */
function verified(headers, body) {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  if (!id || !timestamp || Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) return false;
  const expected = Buffer.from(
    createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64"),
  );
  return String(headers["webhook-signature"] ?? "")
    .split(" ")
    .some((candidate) => {
      const [version, value = ""] = candidate.split(",");
      const given = Buffer.from(value);
      return version === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
    });
}

createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    const ok = verified(request.headers, body);
    let shown = body;
    try {
      shown = JSON.stringify(JSON.parse(body), null, 2);
    } catch {
      // not JSON: print as received
    }
    console.log(
      `${ok ? "signature verified" : "SIGNATURE REJECTED"} · webhook-id ${request.headers["webhook-id"]}\n${shown}`,
    );
    response.writeHead(ok ? 204 : 401).end();
  });
}).listen(PORT, "127.0.0.1", () => {
  console.log(`Webhook receiver listening on http://127.0.0.1:${PORT}/ (Ctrl-C stops it)`);
});
