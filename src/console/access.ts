/**
 * Cloudflare Access sign-in (docs/console.md#cloudflare-access). With ACCESS_TEAM_DOMAIN and
 * ACCESS_AUD set, Access sits in front of the Worker and adds `Cf-Access-Jwt-Assertion` to every
 * request: an RS256 JWT signed by the team's keys (published at
 * `https://<team>/cdn-cgi/access/certs`), issued by `https://<team>`, for the application's
 * audience tag. A valid one signs the user in; anything else is ignored, so the token sign-in
 * stays available (the header alone never grants anything).
 */
import { createRemoteJWKSet, jwtVerify } from "jose";
// The one class, not jose's `errors` namespace, which keeps every error class in the bundle.
import { JOSEError } from "jose/errors";
import type { AccessConfig } from "../config";
import { log } from "../lib/log";

export const ACCESS_JWT_HEADER = "Cf-Access-Jwt-Assertion";
/** Access rotates its signing keys every six weeks; re-reading them every ten minutes is plenty. */
const JWKS_CACHE_MS = 10 * 60_000;
/** Clocks of Access and the Worker may disagree by a little. */
const CLOCK_TOLERANCE_SECONDS = 30;

// One key set per team per isolate: jose caches the fetched keys and refetches on an unknown kid.
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function keySetOf(teamDomain: string) {
  let keySet = keySets.get(teamDomain);
  if (!keySet) {
    keySet = createRemoteJWKSet(new URL(`https://${teamDomain}/cdn-cgi/access/certs`), {
      cacheMaxAge: JWKS_CACHE_MS,
    });
    keySets.set(teamDomain, keySet);
  }
  return keySet;
}

/** The signed-in email of a valid Access JWT, or null (logged without the token). */
export async function verifyAccessJwt(access: AccessConfig, jwt: string): Promise<string | null> {
  try {
    const { payload } = await jwtVerify(jwt, keySetOf(access.teamDomain), {
      algorithms: ["RS256"],
      issuer: `https://${access.teamDomain}`,
      audience: access.audience,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ["exp", "email"],
    });
    return typeof payload.email === "string" && payload.email !== "" ? payload.email.toLowerCase() : null;
  } catch (e) {
    log("warn", "access_jwt_refused", { error: describeRefusal(e) });
    return null;
  }
}

/**
 * jose's stable error code (ERR_JWT_EXPIRED, …) rather than its class name: the deployed bundle
 * does not keep function names (wrangler.jsonc "keep_names"), so `name` would be a minified letter.
 */
function describeRefusal(e: unknown): string {
  if (e instanceof JOSEError) return `${e.code}: ${e.message}`;
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
