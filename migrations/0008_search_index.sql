-- Search index for `q=` on the account lists and on people (docs/storage.md#search-index): a
-- trigram full-text index over each member's email and "first last" name, so a search finds its
-- rows from the index instead of testing every row of the list.

-- Each integration's search rows live in their own rowid range, search_key × 2^32 … + 2^32 - 1,
-- so one integration's search never reads another's hits. Keys stay below 2^21, which keeps every
-- rowid below 2^53 (exact as a JavaScript number).
ALTER TABLE integrations ADD COLUMN search_key INTEGER;
UPDATE integrations SET search_key = k.n
  FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM integrations) AS k
 WHERE k.id = integrations.id;
CREATE UNIQUE INDEX integrations_search_key ON integrations (search_key);

-- The member's rowid in the search index, assigned once when the row is inserted (never changed),
-- and the lookup from an index hit back to the row. Unique: a clash fails the sync's batch.
ALTER TABLE user_accounts ADD COLUMN search_rowid INTEGER;
CREATE UNIQUE INDEX user_accounts_search ON user_accounts (search_rowid);

-- Contentless (the text stays in user_accounts only) and without per-document sizes (no ranking
-- is done): a member costs its index entries and nothing else. Case-insensitive by default.
CREATE VIRTUAL TABLE user_account_search USING fts5 (
  email, name, content = '', columnsize = 0, tokenize = 'trigram'
);

-- Kept by triggers, so every statement that writes user_accounts — a sync's batch, retention, an
-- integration's deletion — changes the index in the same transaction. Only a change of email or
-- name touches it; a contentless table is told the old text to remove it.
CREATE TRIGGER user_accounts_search_insert AFTER INSERT ON user_accounts
  WHEN new.search_rowid IS NOT NULL
BEGIN
  INSERT INTO user_account_search (rowid, email, name)
    VALUES (new.search_rowid, new.email, ifnull(new.first_name, '') || ' ' || ifnull(new.last_name, ''));
END;

CREATE TRIGGER user_accounts_search_update AFTER UPDATE OF email, first_name, last_name, search_rowid ON user_accounts
  WHEN old.email IS NOT new.email OR old.first_name IS NOT new.first_name
    OR old.last_name IS NOT new.last_name OR old.search_rowid IS NOT new.search_rowid
BEGIN
  INSERT INTO user_account_search (user_account_search, rowid, email, name)
    SELECT 'delete', old.search_rowid, old.email, ifnull(old.first_name, '') || ' ' || ifnull(old.last_name, '')
     WHERE old.search_rowid IS NOT NULL;
  INSERT INTO user_account_search (rowid, email, name)
    SELECT new.search_rowid, new.email, ifnull(new.first_name, '') || ' ' || ifnull(new.last_name, '')
     WHERE new.search_rowid IS NOT NULL;
END;

CREATE TRIGGER user_accounts_search_delete AFTER DELETE ON user_accounts
  WHEN old.search_rowid IS NOT NULL
BEGIN
  INSERT INTO user_account_search (user_account_search, rowid, email, name)
    VALUES ('delete', old.search_rowid, old.email, ifnull(old.first_name, '') || ' ' || ifnull(old.last_name, ''));
END;

-- Existing rows: numbered within their integration; the update trigger indexes each one.
UPDATE user_accounts SET search_rowid = k.search_rowid
  FROM (SELECT u.integration_id, u.id,
               i.search_key * 4294967296 + row_number() OVER (PARTITION BY u.integration_id ORDER BY u.id) AS search_rowid
          FROM user_accounts u JOIN integrations i ON i.id = u.integration_id) AS k
 WHERE k.integration_id = user_accounts.integration_id AND k.id = user_accounts.id;
