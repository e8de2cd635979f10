/** The shapes of an API-token inventory diff (computed in sync/api-token-diff.ts, written by store/). */
import type { ApiToken } from "./api-token";

export interface StoredApiToken extends ApiToken {
  removedAt: string | null;
}

export type TokenChanges = Partial<Record<keyof ApiToken, { from: unknown; to: unknown }>>;

export interface TokenDiff {
  /** New tokens, and tokens listed again after they were removed. */
  added: ApiToken[];
  updated: { token: ApiToken; changes: TokenChanges }[];
  /** Only a use or issue time changed: written, no event. */
  touched: ApiToken[];
  removed: StoredApiToken[];
  unchanged: number;
}
