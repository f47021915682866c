-- Amounts are 64-bit integer cents; instants are microseconds since the Unix epoch, UTC
-- (columns ending in _us); dates are ISO text (YYYY-MM-DD), which sorts as dates do.
-- A payment option is keyed by its IUV, unique per Ente by pagoPA's rules; a notice number
-- is looked up through the IUV it carries.
-- `document` columns hold the whole aggregate as JSON; the other columns are what is searched,
-- joined or reported on.

CREATE TABLE entes (
    id TEXT PRIMARY KEY NOT NULL,
    document TEXT NOT NULL,
    updated_at_us BIGINT NOT NULL
);

CREATE TABLE catalogue_services (
    ente TEXT NOT NULL REFERENCES entes (id),
    code TEXT NOT NULL,
    demand_service_id TEXT,
    active BOOLEAN NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (ente, code)
);
CREATE UNIQUE INDEX catalogue_services_demand ON catalogue_services (ente, demand_service_id)
    WHERE demand_service_id IS NOT NULL;

CREATE TABLE positions (
    ente TEXT NOT NULL,
    iupd TEXT NOT NULL,
    debtor TEXT,
    status TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at_us BIGINT NOT NULL,
    updated_at_us BIGINT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (ente, iupd)
);
CREATE INDEX positions_debtor ON positions (debtor);
CREATE INDEX positions_status ON positions (status, ente, iupd);

CREATE TABLE payment_options (
    ente TEXT NOT NULL,
    notice_number TEXT NOT NULL,
    iuv TEXT NOT NULL,
    iupd TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    due_date TEXT NOT NULL,
    instalment INTEGER,
    paid_receipt_id TEXT,
    PRIMARY KEY (ente, iuv),
    FOREIGN KEY (ente, iupd) REFERENCES positions (ente, iupd) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX payment_options_due_date ON payment_options (due_date);

CREATE TABLE transfers (
    ente TEXT NOT NULL,
    iuv TEXT NOT NULL,
    transfer_id INTEGER NOT NULL,
    beneficiary TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    iban TEXT,
    category TEXT NOT NULL,
    PRIMARY KEY (ente, iuv, transfer_id),
    FOREIGN KEY (ente, iuv) REFERENCES payment_options (ente, iuv) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE iuv_sequences (
    ente TEXT NOT NULL,
    aux_digit INTEGER NOT NULL,
    code INTEGER NOT NULL,
    last_base BIGINT NOT NULL,
    PRIMARY KEY (ente, aux_digit, code)
) WITHOUT ROWID;

CREATE TABLE receipts (
    recipient TEXT NOT NULL,
    receipt_id TEXT NOT NULL,
    ente TEXT NOT NULL,
    notice_number TEXT NOT NULL,
    iuv TEXT NOT NULL,
    debtor TEXT,
    amount_cents BIGINT NOT NULL,
    disposition TEXT NOT NULL,
    needs_review BOOLEAN NOT NULL,
    paid_at_us BIGINT NOT NULL,
    received_at_us BIGINT NOT NULL,
    raw_message TEXT,
    document TEXT NOT NULL,
    PRIMARY KEY (recipient, receipt_id)
);
CREATE INDEX receipts_notice ON receipts (ente, notice_number);
CREATE INDEX receipts_debtor ON receipts (debtor);
CREATE INDEX receipts_review ON receipts (recipient, receipt_id) WHERE needs_review;

CREATE TABLE carts (
    id TEXT PRIMARY KEY NOT NULL,
    status TEXT NOT NULL,
    citizen TEXT,
    version BIGINT NOT NULL,
    created_at_us BIGINT NOT NULL,
    updated_at_us BIGINT NOT NULL,
    document TEXT NOT NULL
);

CREATE TABLE cart_items (
    cart_id TEXT NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    ente TEXT NOT NULL,
    notice_number TEXT NOT NULL,
    PRIMARY KEY (cart_id, ente, notice_number)
) WITHOUT ROWID;
CREATE INDEX cart_items_notice ON cart_items (ente, notice_number);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    dedup_key TEXT NOT NULL UNIQUE,
    ente TEXT NOT NULL,
    event TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    available_at_us BIGINT NOT NULL,
    created_at_us BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until_us BIGINT,
    last_error TEXT,
    delivered_at_us BIGINT
);
CREATE INDEX outbox_pending ON outbox (available_at_us, id) WHERE delivered_at_us IS NULL;

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    at_us BIGINT NOT NULL,
    entity TEXT NOT NULL,
    entity_key TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_key, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
