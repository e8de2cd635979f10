-- Optional sources read by each sync beside the members (docs/sources.md): the audit log (who made
-- each membership change), the account's API tokens (non-human access) and SSO connectors.

-- The change feed also carries API-token events and, once the audit log names them, the actor of
-- a membership change. SQLite cannot widen a CHECK constraint in place, so the table is rebuilt.
-- account_id holds the subject's id (a membership id, or an API token id for api_token.* events);
-- email holds the member's email, or the token's name.
CREATE TABLE events_new (
  integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
  occurred_at TEXT NOT NULL,
  ordinal INTEGER NOT NULL DEFAULT 0,
  id TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('account.added', 'account.updated', 'account.removed', 'account.restored',
                                     'api_token.added', 'api_token.updated', 'api_token.removed')),
  account_id TEXT NOT NULL,
  email TEXT NOT NULL,
  changes TEXT,
  sync_id TEXT NOT NULL,
  -- JSON {email, type, context, tokenName, ip} from the audit entry that made the change; NULL until found.
  actor TEXT,
  audit_log_id TEXT,
  PRIMARY KEY (integration_id, occurred_at, ordinal)
) WITHOUT ROWID;
INSERT INTO events_new (integration_id, occurred_at, ordinal, id, type, account_id, email, changes, sync_id)
  SELECT integration_id, occurred_at, ordinal, id, type, account_id, email, changes, sync_id FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;

-- Per source: {"members": {"state", "message"}, "auditLog": …, "apiTokens": …, "sso": …}, from the latest sync.
ALTER TABLE integrations ADD COLUMN sources TEXT;
-- {"enabled": bool, "emailDomains": [...]} from the SSO connectors, or NULL when never read.
ALTER TABLE integrations ADD COLUMN sso TEXT;
-- The audit log has been read up to this time (the next read overlaps it, for entries that arrive late).
ALTER TABLE integrations ADD COLUMN audit_watermark TEXT;

-- Invitation time and inviter from the audit log (pending members).
ALTER TABLE user_accounts ADD COLUMN invited_at TEXT;
ALTER TABLE user_accounts ADD COLUMN invited_by TEXT;

-- Requests and outcome per source of each run: {"members": {"requests"}, "auditLog": {"requests", "state", "entries", "matched", "skipped"}, …}.
ALTER TABLE sync_runs ADD COLUMN source_stats TEXT;

-- The account's API tokens, diffed like members. Secrets are never returned by Cloudflare, never stored.
CREATE TABLE api_tokens (
  integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  issued_on TEXT,
  modified_on TEXT,
  expires_on TEXT,
  last_used_on TEXT,
  ip_restricted INTEGER NOT NULL DEFAULT 0,
  -- Policies reduced like a member's (effect, permission groups, resource scopes), JSON.
  policies TEXT NOT NULL DEFAULT '[]',
  first_seen_at TEXT NOT NULL,
  removed_at TEXT,
  PRIMARY KEY (integration_id, id)
) WITHOUT ROWID;
CREATE INDEX api_tokens_list ON api_tokens (integration_id, name, id);
CREATE INDEX api_tokens_all ON api_tokens (name, id, integration_id);
