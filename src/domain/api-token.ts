/**
 * An account-owned API token as the connector stores and serves it (docs/sources.md#api-tokens):
 * non-human access to the account. Its access uses the same grants as a member's.
 */
import type { MemberPolicy } from "./member";

export interface ApiToken {
  id: string;
  name: string;
  status: string;
  issuedOn: string | null;
  modifiedOn: string | null;
  expiresOn: string | null;
  lastUsedOn: string | null;
  /** The token has a client IP address filter (`condition.request_ip`). */
  ipRestricted: boolean;
  /** Policies reduced like a member's, so accessOf() reads both the same way. */
  policies: MemberPolicy[];
}

/** Fields whose change is an `api_token.updated` event (lastUsedOn changes with every use: not one). */
export const TRACKED_TOKEN_FIELDS = [
  "name",
  "status",
  "expiresOn",
  "ipRestricted",
  "policies",
] as const satisfies readonly (keyof ApiToken)[];
