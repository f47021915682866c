-- Dead letters: a message past its gestionale's delivery limits is no longer claimed but kept,
-- listed for operators (by state, Ente and date) and replayable; a replay restarts its budget.
ALTER TABLE outbox ADD COLUMN dead_at_us BIGINT;
ALTER TABLE outbox ADD COLUMN retrying_since_us BIGINT;
CREATE INDEX outbox_dead ON outbox (id) WHERE dead_at_us IS NOT NULL;
CREATE INDEX outbox_ente ON outbox (ente, id);
