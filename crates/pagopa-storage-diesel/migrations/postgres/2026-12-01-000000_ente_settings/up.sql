-- Enti are configured (file or operator API): each change is audited with who made it and the
-- settings before and after. The logo is kept beside the settings, not in the document the
-- Node's every call reads.
ALTER TABLE entes ADD COLUMN logo_format TEXT;
ALTER TABLE entes ADD COLUMN logo BYTEA;
ALTER TABLE audit_log ADD COLUMN actor TEXT;
ALTER TABLE audit_log ADD COLUMN before_doc TEXT;
ALTER TABLE audit_log ADD COLUMN after_doc TEXT;
