DROP INDEX outbox_delivered;
