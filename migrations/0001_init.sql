-- Cloudflare connector schema. Documented in docs/storage.md.

-- One connected Cloudflare account. The API token itself is in KV (credential:<id>), sealed.
CREATE TABLE integrations (
  id TEXT PRIMARY KEY,
  label TEXT NOT NULL,
  organization_name TEXT NOT NULL,
  account_id TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ok', 'error')),
  token_kind TEXT NOT NULL CHECK (token_kind IN ('user', 'account')),
  -- Id of the key that sealed the credential, so rotation knows what is left without reading KV.
  credential_key_id TEXT NOT NULL,
  enforce_two_factor INTEGER,
  token_expires_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  -- Latest SyncRun (any status). A new run is created only while this one is finished, in the
  -- same transaction that points here, so an integration never has two queued or running runs.
  last_sync_id TEXT,
  -- Finish time of the latest successful sync.
  last_successful_sync_at TEXT,
  -- Current (not removed) user accounts, kept by each successful sync's batch.
  account_count INTEGER NOT NULL DEFAULT 0
);
-- Same Cloudflare account under the same label twice is a conflict (labels compared case-insensitively).
CREATE UNIQUE INDEX integrations_account_label ON integrations (account_id, label COLLATE NOCASE);

-- Cloudflare members, keyed by membership id within an integration (the same account may be
-- connected twice under different labels).
CREATE TABLE user_accounts (
  integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  user_id TEXT,
  email TEXT NOT NULL,
  first_name TEXT,
  last_name TEXT,
  status TEXT NOT NULL,
  roles TEXT NOT NULL DEFAULT '[]',
  policies TEXT NOT NULL DEFAULT '[]',
  two_factor_enabled INTEGER,
  -- Lower-cased role names and policy permission-group names, '\n'-delimited (role filter).
  access_names TEXT NOT NULL DEFAULT '',
  first_seen_at TEXT NOT NULL,
  -- Only meaningful once removed: current members were seen by the integration's last successful sync.
  last_seen_at TEXT NOT NULL,
  removed_at TEXT,
  PRIMARY KEY (integration_id, id)
) WITHOUT ROWID;
CREATE INDEX user_accounts_list ON user_accounts (integration_id, email, id);
CREATE INDEX user_accounts_all ON user_accounts (email, id, integration_id);

CREATE TABLE sync_runs (
  id TEXT PRIMARY KEY,
  integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
  trigger TEXT NOT NULL CHECK (trigger IN ('cron', 'manual', 'create')),
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  queued_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  api_requests INTEGER NOT NULL DEFAULT 0,
  pages INTEGER NOT NULL DEFAULT 0,
  seen INTEGER NOT NULL DEFAULT 0,
  added INTEGER NOT NULL DEFAULT 0,
  updated INTEGER NOT NULL DEFAULT 0,
  removed INTEGER NOT NULL DEFAULT 0,
  unchanged INTEGER NOT NULL DEFAULT 0,
  error_code TEXT,
  error_message TEXT,
  -- Lease: the attempt holding it writes; an expired lease can be taken over.
  lease_token TEXT,
  lease_until INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sync_runs_by_integration ON sync_runs (integration_id, queued_at DESC, id DESC);
CREATE INDEX sync_runs_age ON sync_runs (queued_at);

-- Change history. Clustered by feed order (integration, time, position in its run's batch) with
-- no secondary index: an event costs D1 one row write, and the feed is one primary-key range.
CREATE TABLE events (
  integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
  occurred_at TEXT NOT NULL,
  ordinal INTEGER NOT NULL DEFAULT 0,
  id TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('account.added', 'account.updated', 'account.removed', 'account.restored')),
  account_id TEXT NOT NULL,
  email TEXT NOT NULL,
  changes TEXT,
  sync_id TEXT NOT NULL,
  PRIMARY KEY (integration_id, occurred_at, ordinal)
) WITHOUT ROWID;
