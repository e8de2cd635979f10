-- Change webhooks (docs/webhooks.md): endpoints, the outbox their events are read from, and the
-- record of every delivery attempt.

-- One row per subscribed URL. The secret is sealed with ENCRYPTION_KEYS like the API tokens
-- (docs/security.md); the columns after secret_key_id are the delivery state: how far this
-- endpoint has got in the outbox, and the retry state of the event it is at.
CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  description TEXT,
  -- The patterns as given (JSON array), and the event types they stand for (matched by the
  -- outbox triggers below and by the sender).
  events TEXT NOT NULL,
  event_types TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
  secret_sealed TEXT NOT NULL,
  secret_key_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  disabled_at TEXT,
  disabled_reason TEXT,
  -- Every outbox row up to this seq is delivered or given up for this endpoint.
  cursor_seq INTEGER NOT NULL,
  -- Attempts made at the next event, the first one's time, and no attempt before next_attempt_at.
  attempts INTEGER NOT NULL DEFAULT 0,
  head_since INTEGER,
  next_attempt_at INTEGER,
  -- Time (epoch ms) of the first failed attempt since the last successful one.
  failing_since INTEGER,
  last_success_at TEXT,
  -- One delivering invocation at a time, so events leave in order and no attempt is made twice.
  lease_token TEXT,
  lease_until INTEGER
);

-- The outbox: one row per event some enabled endpoint subscribes to, written by the triggers
-- below in the same transaction as the event itself (so a sync's events are here exactly when its
-- batch committed, and a crash before the queue message is sent loses nothing: the cron finds
-- them). seq is the delivery order. The row points at the event; the body is built from the feed
-- row when it is sent.
CREATE TABLE webhook_outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  -- The id consumers see: the feed event's id, the finding event's ordinal, the failed run's id.
  event_id TEXT NOT NULL,
  integration_id TEXT,
  -- Where the feed row is: events (integration_id, ref_time, ref_ordinal), finding_events
  -- (ref_ordinal), sync_runs (event_id).
  ref_time TEXT,
  ref_ordinal INTEGER,
  created_at TEXT NOT NULL
);
CREATE INDEX webhook_outbox_age ON webhook_outbox (created_at);

-- Each attempt (and each test event) sent to an endpoint. The unique key makes recording the same
-- attempt twice impossible, whatever the queue redelivers.
CREATE TABLE webhook_deliveries (
  ordinal INTEGER PRIMARY KEY AUTOINCREMENT,
  webhook_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  attempted_at TEXT NOT NULL,
  status_code INTEGER,
  duration_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('delivered', 'retrying', 'failed')),
  next_attempt_at TEXT,
  error TEXT,
  UNIQUE (webhook_id, event_id, attempt)
);
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (webhook_id, ordinal);
CREATE INDEX webhook_deliveries_age ON webhook_deliveries (attempted_at);

-- Outbox rows only for types an enabled endpoint wants: no endpoint, no extra write.
CREATE TRIGGER webhook_outbox_events AFTER INSERT ON events
WHEN EXISTS (SELECT 1 FROM webhook_endpoints w, json_each(w.event_types) t
              WHERE w.enabled = 1 AND t.value = NEW.type)
BEGIN
  INSERT INTO webhook_outbox (type, event_id, integration_id, ref_time, ref_ordinal, created_at)
  VALUES (NEW.type, NEW.id, NEW.integration_id, NEW.occurred_at, NEW.ordinal, NEW.occurred_at);
END;

CREATE TRIGGER webhook_outbox_findings AFTER INSERT ON finding_events
WHEN EXISTS (SELECT 1 FROM webhook_endpoints w, json_each(w.event_types) t
              WHERE w.enabled = 1 AND t.value = NEW.type)
BEGIN
  INSERT INTO webhook_outbox (type, event_id, integration_id, ref_time, ref_ordinal, created_at)
  VALUES (NEW.type, CAST(NEW.ordinal AS TEXT), NEW.integration_id, NULL, NEW.ordinal, NEW.occurred_at);
END;

CREATE TRIGGER webhook_outbox_sync_failed AFTER UPDATE OF status ON sync_runs
WHEN NEW.status = 'failed' AND OLD.status IS NOT 'failed'
 AND EXISTS (SELECT 1 FROM webhook_endpoints w, json_each(w.event_types) t
              WHERE w.enabled = 1 AND t.value = 'sync.failed')
BEGIN
  INSERT INTO webhook_outbox (type, event_id, integration_id, ref_time, ref_ordinal, created_at)
  VALUES ('sync.failed', NEW.id, NEW.integration_id, NULL, NULL, COALESCE(NEW.finished_at, NEW.queued_at));
END;

-- The webhook_disabled finding names an endpoint: findings get the subject kind 'webhook' (and
-- 'person', which roster findings use). SQLite cannot change a CHECK in place, so the table is
-- rebuilt with the same columns, indexes and triggers (migrations/0005_findings.sql).
CREATE TABLE findings_rebuilt (
  id TEXT PRIMARY KEY,
  integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  severity TEXT NOT NULL CHECK (severity IN ('high', 'medium', 'low')),
  subject_kind TEXT NOT NULL CHECK (subject_kind IN ('account', 'api_token', 'integration', 'person', 'webhook')),
  subject_id TEXT NOT NULL,
  subject_email TEXT,
  title TEXT NOT NULL,
  detail TEXT NOT NULL,
  remediation TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
  opened_at TEXT NOT NULL,
  resolved_at TEXT
);
INSERT INTO findings_rebuilt (id, integration_id, type, severity, subject_kind, subject_id, subject_email,
                              title, detail, remediation, status, opened_at, resolved_at)
SELECT id, integration_id, type, severity, subject_kind, subject_id, subject_email,
       title, detail, remediation, status, opened_at, resolved_at
  FROM findings;
DROP TABLE findings;
ALTER TABLE findings_rebuilt RENAME TO findings;
CREATE INDEX findings_by_status ON findings (status, id);
CREATE INDEX findings_by_integration ON findings (integration_id, status, id);

CREATE TRIGGER findings_opened AFTER INSERT ON findings
BEGIN
  INSERT INTO finding_events (occurred_at, type, finding_id, integration_id, finding_type, severity,
                              subject_kind, subject_id, subject_email, title)
  VALUES (NEW.opened_at, 'finding.opened', NEW.id, NEW.integration_id, NEW.type, NEW.severity,
          NEW.subject_kind, NEW.subject_id, NEW.subject_email, NEW.title);
END;

CREATE TRIGGER findings_status AFTER UPDATE OF status ON findings
WHEN OLD.status IS NOT NEW.status
BEGIN
  INSERT INTO finding_events (occurred_at, type, finding_id, integration_id, finding_type, severity,
                              subject_kind, subject_id, subject_email, title)
  VALUES (CASE NEW.status WHEN 'open' THEN NEW.opened_at ELSE NEW.resolved_at END,
          CASE NEW.status WHEN 'open' THEN 'finding.opened' ELSE 'finding.resolved' END,
          NEW.id, NEW.integration_id, NEW.type, NEW.severity,
          NEW.subject_kind, NEW.subject_id, NEW.subject_email, NEW.title);
END;
