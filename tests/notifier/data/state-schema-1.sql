-- The state database schema of the first release (schema 1, clausewise 0.1.0 at e633555), frozen
-- so that the upgrade test starts from a database as that release made it.
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS customers (
        customer_id TEXT NOT NULL,
        agreement TEXT NOT NULL,
        name TEXT NOT NULL,
        email TEXT NOT NULL,
        language TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (customer_id, agreement));
CREATE INDEX IF NOT EXISTS customers_agreement ON customers (agreement, version);
CREATE TABLE IF NOT EXISTS campaigns (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('version', 'assignment')),
        agreement TEXT NOT NULL,
        from_versions TEXT,
        to_version INTEGER NOT NULL,
        effective TEXT NOT NULL,
        notice_days INTEGER NOT NULL,
        send_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        summary TEXT NOT NULL,
        clause_label TEXT,
        clause_text TEXT,
        new_party TEXT,
        short_notice_reason TEXT);
CREATE TABLE IF NOT EXISTS notices (
        campaign_id TEXT NOT NULL REFERENCES campaigns (id),
        customer_id TEXT NOT NULL,
        agreement TEXT NOT NULL,
        name TEXT NOT NULL,
        email TEXT NOT NULL,
        language TEXT NOT NULL,
        accepted_version INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        claimed_by TEXT,
        claimed_at TEXT,
        created_at TEXT NOT NULL,
        message_id TEXT,
        sha256 TEXT,
        reply TEXT,
        sent_at TEXT,
        date_header TEXT,
        last_error TEXT,
        PRIMARY KEY (campaign_id, customer_id));
CREATE INDEX IF NOT EXISTS notices_status ON notices (status, campaign_id, customer_id);
CREATE INDEX IF NOT EXISTS notices_customer ON notices (customer_id);
