-- Reconciliation: flows (every revision kept, one current), their lines and how each matched,
-- their raw documents, bank statements and credits, the anomalies work list, and each Ente's
-- scheduled fetch.
CREATE TABLE rec_flows (
    ente TEXT NOT NULL,
    psp TEXT NOT NULL,
    flow_id TEXT NOT NULL,
    revision BIGINT NOT NULL,
    is_current BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    -- What matching said, to return to when a credit is taken back.
    matched_status TEXT NOT NULL,
    regulation_date TEXT NOT NULL,
    lines_count BIGINT NOT NULL,
    credit_id BIGINT,
    summary TEXT NOT NULL,
    header TEXT NOT NULL,
    PRIMARY KEY (ente, psp, flow_id, revision)
);
CREATE INDEX rec_flows_listing ON rec_flows (ente, regulation_date);
CREATE INDEX rec_flows_id ON rec_flows (ente, flow_id) WHERE is_current;

CREATE TABLE rec_flow_lines (
    ente TEXT NOT NULL,
    psp TEXT NOT NULL,
    flow_id TEXT NOT NULL,
    revision BIGINT NOT NULL,
    line_index BIGINT NOT NULL,
    is_current BOOLEAN NOT NULL,
    iuv TEXT NOT NULL,
    iur TEXT NOT NULL,
    transfer_id INTEGER,
    amount_cents BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    outcome_date TEXT NOT NULL,
    match_kind TEXT,
    receipt_id TEXT,
    receipt_cents BIGINT,
    PRIMARY KEY (ente, psp, flow_id, revision, line_index)
);
CREATE INDEX rec_lines_receipt ON rec_flow_lines (ente, receipt_id) WHERE is_current AND receipt_id IS NOT NULL;
CREATE INDEX rec_lines_iur ON rec_flow_lines (ente, iur) WHERE is_current AND receipt_id IS NULL;

CREATE TABLE rec_flow_documents (
    ente TEXT NOT NULL,
    psp TEXT NOT NULL,
    flow_id TEXT NOT NULL,
    revision BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    part TEXT NOT NULL,
    media_type TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (ente, psp, flow_id, revision, seq)
);

CREATE TABLE rec_statements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ente TEXT NOT NULL,
    digest TEXT NOT NULL,
    summary TEXT NOT NULL,
    raw TEXT NOT NULL,
    UNIQUE (ente, digest)
);

CREATE TABLE rec_credits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    statement BIGINT NOT NULL,
    ente TEXT NOT NULL,
    reference_kind TEXT NOT NULL,
    reference_value TEXT,
    match_kind TEXT NOT NULL,
    matched TEXT NOT NULL,
    credit TEXT NOT NULL
);
CREATE INDEX rec_credits_statement ON rec_credits (statement);
CREATE INDEX rec_credits_reference ON rec_credits (ente, reference_kind, reference_value);

CREATE TABLE rec_anomalies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ente TEXT NOT NULL,
    scope TEXT NOT NULL,
    code TEXT NOT NULL,
    akey TEXT NOT NULL,
    day TEXT NOT NULL,
    psp TEXT,
    amount_cents BIGINT,
    links TEXT NOT NULL,
    detail TEXT NOT NULL,
    status TEXT NOT NULL,
    first_seen_us BIGINT NOT NULL,
    last_seen_us BIGINT NOT NULL,
    sync_gen BIGINT NOT NULL,
    resolved_by TEXT,
    resolved_at_us BIGINT,
    note TEXT,
    UNIQUE (ente, code, akey)
);
CREATE INDEX rec_anomalies_scope ON rec_anomalies (ente, scope, status);
CREATE INDEX rec_anomalies_day ON rec_anomalies (ente, status, day);

CREATE TABLE rec_fetch (
    ente TEXT PRIMARY KEY NOT NULL,
    cursor_us BIGINT,
    next_at_us BIGINT NOT NULL,
    failures BIGINT NOT NULL,
    last_error TEXT,
    last_success_us BIGINT,
    lease_owner TEXT,
    lease_until_us BIGINT
);

-- The receipts of an Ente by payment time (status, export, sweep) and by IUV (bank credits).
CREATE INDEX receipts_paid ON receipts (recipient, paid_at_us, receipt_id);
CREATE INDEX receipts_iuv ON receipts (recipient, iuv);
