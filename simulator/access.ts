// Cloudflare Access, as far as the connector's console needs it: the team's signing keys at
// `GET /cdn-cgi/access/certs` (any host: the Worker asks `https://<team>/cdn-cgi/access/certs`), and
// a control route that mints the `Cf-Access-Jwt-Assertion` Access would add to a signed-in user's
// requests (RS256, `iss` https://<team>, `aud`, `email`, `exp`). Real Access publishes the same
// JWKS shape (`keys`, plus `public_cert`/`public_certs`, which the connector does not read).

import { Hono } from "hono";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { z } from "zod";
import { jsonResponse } from "./envelope.ts";

interface KeyPair {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function newKeyPair(kid: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

const tokenBody = z.object({
  team: z.string().min(1),
  aud: z.string().min(1),
  email: z.string().min(1),
  /** Seconds from now; negative for an expired token. Default one hour. */
  expiresIn: z.number().int().optional(),
  /** Sign with a key the JWKS does not publish (a forged token). */
  foreignKey: z.boolean().optional(),
});

/** `/cdn-cgi/access/certs` and `POST /__sim/access/token`, with one key pair per simulator. */
export function accessRoutes() {
  // Generated on first use: RSA key generation takes a moment, and most runs never need it.
  let keys: Promise<[KeyPair, KeyPair]> | undefined;
  const keyPairs = () => {
    keys ??= Promise.all([newKeyPair("sim-access-1"), newKeyPair("sim-foreign")]);
    return keys;
  };
  const app = new Hono();
  app.get("/cdn-cgi/access/certs", async () => {
    const [published] = await keyPairs();
    return jsonResponse(200, { keys: [published.jwk] });
  });
  app.post("/__sim/access/token", async (c) => {
    const parsed = tokenBody.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return jsonResponse(400, { error: "invalid body", issues: parsed.error.issues });
    const body = parsed.data;
    const [published, foreign] = await keyPairs();
    const key = body.foreignKey ? { ...foreign, kid: published.kid } : published;
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({ email: body.email, type: "app" })
      .setProtectedHeader({ alg: "RS256", kid: key.kid })
      .setIssuer(`https://${body.team}`)
      .setAudience([body.aud])
      .setSubject(crypto.randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + (body.expiresIn ?? 3600))
      .sign(key.privateKey);
    return jsonResponse(200, { token: jwt });
  });
  return app;
}
