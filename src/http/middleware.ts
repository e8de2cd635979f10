/**
 * Middleware: response headers on every response (docs/security.md#response-headers), and in
 * front of every /v1 route configuration (503), bearer auth (401/403), the 64 KiB body limit
 * (413, before any parsing) and JSON parsing (400 invalid_json).
 */
import { createMiddleware } from "hono/factory";
import { loadConfig } from "../config";
import { equalBytes } from "../lib/constant-time";
import { AppError } from "../lib/errors";
import type { ApiRole, HonoEnv } from "./context";
import { docsContentSecurityPolicy } from "./docs";

/**
 * The console's policy (docs/console.md#security): no script at all, styles only from its own
 * stylesheet, forms posting only to this origin, never framed.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Headers every response gets, errors included, set once here after the route (or the error
 * mapper) has answered: no MIME sniffing anywhere; never framed; nothing under /v1 (member lists,
 * CSV) and no console page kept by a browser or proxy cache (only the console's stylesheet is);
 * /docs limited to its own script and style, every other response to the console's policy.
 */
export const securityHeaders = createMiddleware<HonoEnv>(async (c, next) => {
  await next();
  const headers = c.res.headers;
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("X-Frame-Options", "DENY");
  const path = new URL(c.req.url).pathname;
  if (path === "/docs") {
    headers.set("Content-Security-Policy", await docsContentSecurityPolicy());
    return;
  }
  headers.set("Content-Security-Policy", CONSOLE_CSP);
  const isApi = path === "/v1" || path.startsWith("/v1/");
  if (isApi || (!headers.has("Cache-Control") && path !== "/openapi.json" && path !== "/health")) {
    headers.set("Cache-Control", "no-store");
  }
});

/** Bodies over 64 KiB are refused before parsing (docs/api.md#limits). */
export const MAX_BODY_BYTES = 64 * 1024;

export const requireConfig = createMiddleware<HonoEnv>(async (c, next) => {
  const config = await loadConfig(c.env);
  if (!config.ok) throw new AppError("not_configured", `The connector is not configured: ${config.error}.`);
  c.set("config", config.value);
  await next();
});

const encoder = new TextEncoder();

const sha256 = (text: string) => crypto.subtle.digest("SHA-256", encoder.encode(text));

/** Digests of the configured tokens, computed once per isolate (they change only with a deploy). */
const configuredDigests = new Map<string, Promise<ArrayBuffer>>();
function configuredDigest(token: string): Promise<ArrayBuffer> {
  let digest = configuredDigests.get(token);
  if (!digest) {
    digest = sha256(token);
    configuredDigests.set(token, digest);
  }
  return digest;
}

/**
 * Which role a presented bearer token has. Tokens are compared as SHA-256 digests with
 * timingSafeEqual, so the time depends on neither the content nor the length of a secret, and
 * against every configured token regardless of early matches, so timing does not reveal which
 * one matched.
 */
export async function roleOf(
  presented: string,
  admin: string,
  readTokens: string[],
): Promise<ApiRole | null> {
  const [mine, adminDigest, ...readDigests] = await Promise.all([
    sha256(presented),
    configuredDigest(admin),
    ...readTokens.map(configuredDigest),
  ]);
  const isAdmin = equalBytes(mine, adminDigest);
  const reads = readDigests.map((d) => equalBytes(mine, d));
  if (isAdmin) return "admin";
  return reads.some(Boolean) ? "read" : null;
}

const READ_METHODS = new Set(["GET", "HEAD"]);

export const requireAuth = createMiddleware<HonoEnv>(async (c, next) => {
  const header = c.req.header("Authorization") ?? "";
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  const config = c.get("config");
  const role = match ? await roleOf(match[1]!, config.adminToken, config.readTokens) : null;
  if (!role) {
    c.header("WWW-Authenticate", 'Bearer realm="cloudflare-connector"');
    throw new AppError("unauthorized", "Send Authorization: Bearer <token> with a valid API token.");
  }
  if (role === "read" && !READ_METHODS.has(c.req.method)) {
    throw new AppError("forbidden", "This token is read-only; use the admin API_TOKEN for changes.");
  }
  c.set("role", role);
  await next();
});

/**
 * Reads the body once with a hard byte cap (also when Content-Length is absent or lies), then
 * checks it is JSON. Handlers and validators read the cached body afterwards.
 */
export const parseJsonBody = createMiddleware<HonoEnv>(async (c, next) => {
  if (READ_METHODS.has(c.req.method) || c.req.method === "DELETE") return next();
  // The roster upload reads its own body, under its own limit and media types (http/roster.ts).
  if (c.req.method === "PUT" && c.req.path === "/v1/roster") return next();
  const text = await readBodyText(c.req.raw, MAX_BODY_BYTES);
  // Hand the already-read text to Hono's body cache so validators never read the used stream.
  (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve(text);
  if (text.trim() === "") return next();
  const type = c.req.header("Content-Type") ?? "";
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(type)) {
    throw new AppError("invalid_json", "Send the body as JSON with Content-Type: application/json.");
  }
  try {
    JSON.parse(text);
  } catch {
    throw new AppError("invalid_json", "The request body is not valid JSON.");
  }
  await next();
});

function tooLarge(max: number): AppError {
  const limit = max >= 1024 * 1024 ? `${max / 1024 / 1024} MiB` : `${max / 1024} KiB`;
  return new AppError(
    "payload_too_large",
    `Request bodies are limited to ${limit}${max === MAX_BODY_BYTES ? "" : " on this route"}.`,
  );
}

/**
 * The body as UTF-8 text, refused (413) past `max` bytes before reading it all: by its declared
 * Content-Length, else while streaming (also when the header is absent or lies).
 */
export async function readBodyText(request: Request, max: number): Promise<string> {
  const declared = Number(request.headers.get("Content-Length") ?? "0");
  if (declared > max) throw tooLarge(max);
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw tooLarge(max);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    // JSON text is UTF-8 (RFC 8259): bytes that are not are refused, never stored as U+FFFD.
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new AppError("invalid_json", "The request body is not valid UTF-8.");
  }
}
