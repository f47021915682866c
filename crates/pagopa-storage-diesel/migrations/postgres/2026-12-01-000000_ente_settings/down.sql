ALTER TABLE audit_log DROP COLUMN after_doc;
ALTER TABLE audit_log DROP COLUMN before_doc;
ALTER TABLE audit_log DROP COLUMN actor;
ALTER TABLE entes DROP COLUMN logo;
ALTER TABLE entes DROP COLUMN logo_format;
