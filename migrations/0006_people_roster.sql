-- People across integrations and the organisation's roster (docs/people.md).

-- One person is every membership with the same email, compared case-insensitively. These two
-- indexes serve GET /v1/people a page at a time in lower(email) order (all integrations, or one),
-- and the roster findings' lookups, without grouping the whole table. Members without an email
-- are nobody's: the indexes leave them out.
CREATE INDEX user_accounts_person ON user_accounts (lower(email), integration_id, id) WHERE email <> '';
CREATE INDEX user_accounts_person_by_integration ON user_accounts (integration_id, lower(email)) WHERE email <> '';

-- Each PUT /v1/roster stages its people under a new upload, in as many batches as it needs; one
-- UPDATE then makes it the current roster (and retires the previous one), so readers never see a
-- half-written roster. Retired and abandoned uploads' people are deleted afterwards.
CREATE TABLE roster_uploads (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('staging', 'current', 'retired')),
  created_at TEXT NOT NULL,
  -- When it became the current roster.
  activated_at TEXT,
  people INTEGER NOT NULL,
  leavers INTEGER NOT NULL
);
-- At most one current roster.
CREATE UNIQUE INDEX roster_uploads_current ON roster_uploads (state) WHERE state = 'current';

CREATE TABLE roster_people (
  upload_id TEXT NOT NULL,
  -- Trimmed and lower-cased.
  email TEXT NOT NULL,
  name TEXT,
  status TEXT NOT NULL CHECK (status IN ('active', 'leaver')),
  PRIMARY KEY (upload_id, email)
) WITHOUT ROWID;
CREATE INDEX roster_people_by_status ON roster_people (upload_id, status, email);

-- Roster findings are about a person (leaver_with_access): the subject kinds gain 'person'.
-- SQLite cannot change a CHECK constraint, so the table is rebuilt with its rows, indexes and
-- feed triggers (migrations/0005_findings.sql) as they were.
CREATE TABLE findings_rebuilt (
  id TEXT PRIMARY KEY,
  integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  severity TEXT NOT NULL CHECK (severity IN ('high', 'medium', 'low')),
  subject_kind TEXT NOT NULL CHECK (subject_kind IN ('account', 'api_token', 'integration', 'person')),
  subject_id TEXT NOT NULL,
  subject_email TEXT,
  title TEXT NOT NULL,
  detail TEXT NOT NULL,
  remediation TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
  opened_at TEXT NOT NULL,
  resolved_at TEXT
);
INSERT INTO findings_rebuilt
  SELECT id, integration_id, type, severity, subject_kind, subject_id, subject_email, title, detail,
         remediation, status, opened_at, resolved_at
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
