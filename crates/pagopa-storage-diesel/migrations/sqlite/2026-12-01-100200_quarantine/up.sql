-- What the Node sent that could not be read as a receipt (too broken to decode, or a notice
-- whose check digits are wrong): kept, size-capped, for operators to list.
CREATE TABLE quarantine (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    received_at_us BIGINT NOT NULL,
    peer TEXT,
    operation TEXT,
    ente TEXT,
    reason TEXT NOT NULL,
    raw TEXT NOT NULL,
    size BIGINT,
    truncated BOOLEAN NOT NULL
);
CREATE INDEX quarantine_ente ON quarantine (ente, id);
