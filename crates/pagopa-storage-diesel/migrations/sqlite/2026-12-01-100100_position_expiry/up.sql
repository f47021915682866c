-- The first Italian day on which a position that expires after its due dates counts as
-- expired (the day after its last due date); NULL for the others. The expiry job finds the
-- due ones through it.
ALTER TABLE positions ADD COLUMN expires_on TEXT;
UPDATE positions SET expires_on = (
    SELECT date(MAX(o.due_date), '+1 day') FROM payment_options o
    WHERE o.ente = positions.ente AND o.iupd = positions.iupd
) WHERE json_extract(document, '$.expires_after_due_date') = 1;
CREATE INDEX positions_expiry ON positions (expires_on) WHERE status = 'valid' AND expires_on IS NOT NULL;
