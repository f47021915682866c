-- Bulk loads: one row per load, its record as a JSON document beside the columns that find it
-- (the same file again, the loads still to run, the worker holding one).
CREATE TABLE imports (
    id TEXT PRIMARY KEY NOT NULL,
    ente TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    dry_run BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    worker TEXT,
    lease_until_us BIGINT,
    created_at_us BIGINT NOT NULL,
    document TEXT NOT NULL
);
CREATE INDEX imports_digest ON imports (ente, sha256, dry_run, created_at_us);
CREATE INDEX imports_status ON imports (status, created_at_us);
