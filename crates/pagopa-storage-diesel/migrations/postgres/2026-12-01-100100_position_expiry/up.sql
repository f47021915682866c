-- The first Italian day on which a position that expires after its due dates counts as
-- expired (the day after its last due date); NULL for the others. The expiry job finds the
-- due ones through it.
ALTER TABLE positions ADD COLUMN expires_on TEXT;
UPDATE positions p SET expires_on = (
    SELECT to_char(MAX(o.due_date)::date + 1, 'YYYY-MM-DD') FROM payment_options o
    WHERE o.ente = p.ente AND o.iupd = p.iupd
) WHERE (p.document::jsonb ->> 'expires_after_due_date')::boolean;
CREATE INDEX positions_expiry ON positions (expires_on) WHERE status = 'valid' AND expires_on IS NOT NULL;
