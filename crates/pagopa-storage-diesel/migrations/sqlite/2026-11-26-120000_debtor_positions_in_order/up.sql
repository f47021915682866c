-- A debtor's positions are read in (ente, iupd) order: with those columns in the index the
-- rows come out sorted, without a temporary B-tree holding every document.
DROP INDEX positions_debtor;
CREATE INDEX positions_debtor ON positions (debtor, ente, iupd);
