DROP INDEX positions_debtor;
CREATE INDEX positions_debtor ON positions (debtor);
