-- Retention: delivered messages older than `[outbox] retention_days` are deleted, oldest first;
-- pending messages and dead letters stay.
CREATE INDEX outbox_delivered ON outbox (delivered_at_us) WHERE delivered_at_us IS NOT NULL AND dead_at_us IS NULL;
