/**
 * The difference between the stored API-token inventory and a complete fresh listing. Pure, like
 * the member diff; token lists are small, so both are held whole.
 */
import { type ApiToken, TRACKED_TOKEN_FIELDS } from "../domain/api-token";
import type { StoredApiToken, TokenChanges, TokenDiff } from "../domain/api-token-diff";

const same = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

export function diffApiTokens(stored: readonly StoredApiToken[], fetched: readonly ApiToken[]): TokenDiff {
  const byId = new Map(stored.map((s) => [s.id, s]));
  const diff: TokenDiff = { added: [], updated: [], touched: [], removed: [], unchanged: 0 };
  for (const token of fetched) {
    const before = byId.get(token.id);
    if (!before || before.removedAt !== null) {
      diff.added.push(token);
      continue;
    }
    const changes: TokenChanges = {};
    for (const field of TRACKED_TOKEN_FIELDS) {
      if (!same(before[field], token[field])) changes[field] = { from: before[field], to: token[field] };
    }
    if (Object.keys(changes).length > 0) diff.updated.push({ token, changes });
    // Use and issue times change without any change of access: stored, not an event.
    else if (
      before.lastUsedOn !== token.lastUsedOn ||
      before.issuedOn !== token.issuedOn ||
      before.modifiedOn !== token.modifiedOn
    ) {
      diff.touched.push(token);
    } else diff.unchanged++;
  }
  const listed = new Set(fetched.map((t) => t.id));
  diff.removed = stored.filter((s) => s.removedAt === null && !listed.has(s.id));
  return diff;
}
