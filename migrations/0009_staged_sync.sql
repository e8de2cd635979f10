-- Staged syncs (docs/sync.md#staged-sync): an account above STAGED_SYNC_MIN_PAGES pages is listed
-- into D1 page by page, across queue deliveries, then diffed in id-ordered chunks and switched
-- into user_accounts in one transaction. Nothing here is served: readers only see user_accounts.

-- Every member a staged run has listed, normalised, once (the first page that lists it wins).
CREATE TABLE sync_staging (
  run_id TEXT NOT NULL,
  id TEXT NOT NULL,
  page INTEGER NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, id)
) WITHOUT ROWID;

-- The pages a staged run has listed: its checkpoint. A page is recorded in the same batch as its
-- members, so after a crash the next delivery asks only for the pages missing here.
CREATE TABLE sync_staged_pages (
  run_id TEXT NOT NULL,
  page INTEGER NOT NULL,
  members INTEGER NOT NULL,
  total_count INTEGER,
  PRIMARY KEY (run_id, page)
) WITHOUT ROWID;

-- What the chunked diff decided, for the switch to apply set-wise: rows to upsert, update or mark
-- removed, and events (tag), in order (seq). `value` is read as the bulk statements read json_each.
CREATE TABLE sync_staged_writes (
  run_id TEXT NOT NULL,
  tag TEXT NOT NULL,
  seq INTEGER NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, tag, seq)
) WITHOUT ROWID;

-- A staged run's progress: pages listed so far and expected (from page 1's totals), the page size
-- served, when its continuation is due (epoch ms), and its pacer's bucket between deliveries.
ALTER TABLE sync_runs ADD COLUMN staged_pages_expected INTEGER;
ALTER TABLE sync_runs ADD COLUMN staged_per_page INTEGER;
ALTER TABLE sync_runs ADD COLUMN pages_listed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN resume_at INTEGER;
ALTER TABLE sync_runs ADD COLUMN pacer_state TEXT;
