-- Idempotency keys of retried requests (POST …/requests, POST /carts): the first answer is kept
-- for a day, so a retry gets it again instead of a second position or cart.
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER,
    body TEXT,
    created_at_us BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at_us);
