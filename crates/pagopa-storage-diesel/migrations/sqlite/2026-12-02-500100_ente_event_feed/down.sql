DROP TABLE feed_counters;
DROP INDEX outbox_feed;
ALTER TABLE outbox DROP COLUMN feed_seq;
