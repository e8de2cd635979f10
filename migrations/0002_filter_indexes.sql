-- Indexes that serve the account-list filters in list order (email, id), so a filtered page is a
-- range walk, not a scan. Role and text filters are substring tests, evaluated on the ordered walk.
CREATE INDEX user_accounts_by_status ON user_accounts (integration_id, status, email, id);
CREATE INDEX user_accounts_by_two_factor ON user_accounts (integration_id, two_factor_enabled, email, id);
-- Retention finds long-removed members without scanning every current one.
CREATE INDEX user_accounts_removed ON user_accounts (removed_at) WHERE removed_at IS NOT NULL;
