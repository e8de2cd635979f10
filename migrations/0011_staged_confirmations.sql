-- Churn during a staged listing (docs/sync.md#churn-during-a-staged-listing): a stored member that
-- the pages did not list is asked for by its own request before the switch may mark it removed.
-- A member Cloudflare still has joins sync_staging (page 0); one it no longer has is recorded
-- here, so a delivery that continues the run asks only about the members not answered yet.
CREATE TABLE sync_staged_gone (
  run_id TEXT NOT NULL,
  id TEXT NOT NULL,
  PRIMARY KEY (run_id, id)
) WITHOUT ROWID;
