DROP INDEX positions_expiry;
ALTER TABLE positions DROP COLUMN expires_on;
