-- Findings: what is wrong right now in each connected account (docs/findings.md), recomputed from
-- stored data at the end of each successful sync's batch (and sync_stale when a run fails).

-- Email domains the organisation owns, lower-cased, JSON array; empty turns external_member off.
ALTER TABLE integrations ADD COLUMN allowed_email_domains TEXT NOT NULL DEFAULT '[]';

-- One row per type and subject, kept across its lifecycle: open → resolved → open again (a new
-- opened_at). id is `<type>:<integration id>:<subject kind>:<subject id>`, stable for a consumer.
CREATE TABLE findings (
  id TEXT PRIMARY KEY,
  integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  severity TEXT NOT NULL CHECK (severity IN ('high', 'medium', 'low')),
  subject_kind TEXT NOT NULL CHECK (subject_kind IN ('account', 'api_token', 'integration')),
  subject_id TEXT NOT NULL,
  subject_email TEXT,
  title TEXT NOT NULL,
  detail TEXT NOT NULL,
  remediation TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
  opened_at TEXT NOT NULL,
  resolved_at TEXT
);
-- The list routes walk these in id order: all integrations by status, or one integration.
CREATE INDEX findings_by_status ON findings (status, id);
CREATE INDEX findings_by_integration ON findings (integration_id, status, id);

-- The findings feed: one row each time a finding opens or resolves, written by the triggers
-- below so it can never disagree with the findings table. ordinal orders the feed (insertion order).
CREATE TABLE finding_events (
  ordinal INTEGER PRIMARY KEY AUTOINCREMENT,
  occurred_at TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('finding.opened', 'finding.resolved')),
  finding_id TEXT NOT NULL,
  integration_id TEXT NOT NULL,
  finding_type TEXT NOT NULL,
  severity TEXT NOT NULL,
  subject_kind TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  subject_email TEXT,
  title TEXT NOT NULL
);
CREATE INDEX finding_events_time ON finding_events (occurred_at);
CREATE INDEX finding_events_integration ON finding_events (integration_id);

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
