DROP INDEX outbox_undelivered;
DROP INDEX outbox_position_pending;
ALTER TABLE outbox DROP COLUMN position_key;
