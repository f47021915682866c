DROP INDEX outbox_ente;
DROP INDEX outbox_dead;
ALTER TABLE outbox DROP COLUMN retrying_since_us;
ALTER TABLE outbox DROP COLUMN dead_at_us;
