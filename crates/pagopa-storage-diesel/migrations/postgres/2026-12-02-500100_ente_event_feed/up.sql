-- The pull feed of each Ente: every outbox message gets a per-Ente sequence number taken from
-- a counter row updated in the writing transaction. The row lock serialises writers of one
-- Ente until they commit, so sequence numbers become visible in commit order: a reader that
-- saw N never later finds a smaller one (an id from a sequence may commit after a larger id).
ALTER TABLE outbox ADD COLUMN feed_seq BIGINT;
UPDATE outbox SET feed_seq = numbered.seq
FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY ente ORDER BY id) AS seq FROM outbox) AS numbered
WHERE outbox.id = numbered.id;
CREATE UNIQUE INDEX outbox_feed ON outbox (ente, feed_seq);
CREATE TABLE feed_counters (
    ente TEXT PRIMARY KEY NOT NULL,
    last_seq BIGINT NOT NULL
);
INSERT INTO feed_counters (ente, last_seq) SELECT ente, MAX(feed_seq) FROM outbox GROUP BY ente;
