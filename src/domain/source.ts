/** What a sync reads besides the members, and the state each source can be in (docs/sources.md). */
export type SourceName = "auditLog" | "apiTokens" | "sso";
export type SourceState = "ok" | "permission_missing" | "unavailable" | "disabled";
/** A source's state as an integration shows it: `pending` until the first sync has read it. */
export type ShownSourceState = SourceState | "pending";
