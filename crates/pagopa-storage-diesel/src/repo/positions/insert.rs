//! Writing prepared rows: multi-row INSERT statements SQLite keeps prepared, `COPY` on
//! PostgreSQL.

use diesel::prelude::*;

use super::rows::Rows;
use crate::db::DbError;
use crate::schema::{payment_options, positions, transfers};

/// Rows per INSERT statement: well inside SQLite's 32 766 and PostgreSQL's 65 535 binds.
pub(super) const ROWS_PER_STATEMENT: usize = 500;
/// The smaller statement SQLite keeps prepared, for what is left after the large ones.
pub(super) const ROWS_PER_SMALL_STATEMENT: usize = 50;

/// Writing prepared rows: the one place the backends differ for positions.
pub(super) trait InsertRows {
    fn insert_rows(&mut self, rows: Rows) -> Result<(), DbError>;
    /// Readies the connection for a large import.
    fn prepare_import(&mut self) -> Result<(), DbError>;
}

impl InsertRows for diesel::sqlite::SqliteConnection {
    /// A 64 MiB page cache on this connection: an import touches every index page many times.
    fn prepare_import(&mut self) -> Result<(), DbError> {
        use diesel::connection::SimpleConnection;
        Ok(self.batch_execute("PRAGMA cache_size = -65536")?)
    }

    /// Multi-row INSERT statements, prepared once per connection (see [`insert_prepared`]).
    fn insert_rows(&mut self, rows: Rows) -> Result<(), DbError> {
        insert_prepared!(self, positions::table, rows.positions);
        insert_prepared!(self, payment_options::table, rows.options);
        insert_prepared!(self, transfers::table, rows.transfers);
        Ok(())
    }
}

/// Inserts the rows `$rows` into `$table` on SQLite with statements the connection prepares
/// once and keeps: chunks of [`ROWS_PER_STATEMENT`] rows, then of [`ROWS_PER_SMALL_STATEMENT`],
/// as fixed-size arrays (diesel caches a multi-row INSERT only for those; one of any other
/// length is parsed again each time, which took a sixth of a bulk load's writer), then what is
/// left in one statement.
macro_rules! insert_prepared {
    ($conn:expr, $table:expr, $rows:expr) => {{
        let mut large = $rows.chunks_exact(ROWS_PER_STATEMENT);
        for chunk in &mut large {
            match <&[_; ROWS_PER_STATEMENT]>::try_from(chunk) {
                Ok(array) => diesel::insert_into($table).values(array).execute($conn)?,
                Err(_) => diesel::insert_into($table).values(chunk).execute($conn)?,
            };
        }
        let mut small = large.remainder().chunks_exact(ROWS_PER_SMALL_STATEMENT);
        for chunk in &mut small {
            match <&[_; ROWS_PER_SMALL_STATEMENT]>::try_from(chunk) {
                Ok(array) => diesel::insert_into($table).values(array).execute($conn)?,
                Err(_) => diesel::insert_into($table).values(chunk).execute($conn)?,
            };
        }
        let rest = small.remainder();
        if !rest.is_empty() {
            diesel::insert_into($table).values(rest).execute($conn)?;
        }
    }};
}
use insert_prepared;

impl InsertRows for diesel::pg::PgConnection {
    fn prepare_import(&mut self) -> Result<(), DbError> {
        Ok(())
    }

    /// `COPY … FROM STDIN` in binary format: PostgreSQL's fastest load path, still inside the
    /// caller's transaction and still checked against every constraint.
    fn insert_rows(&mut self, rows: Rows) -> Result<(), DbError> {
        diesel::copy_from(positions::table)
            .from_insertable(&rows.positions)
            .execute(self)?;
        diesel::copy_from(payment_options::table)
            .from_insertable(&rows.options)
            .execute(self)?;
        diesel::copy_from(transfers::table)
            .from_insertable(&rows.transfers)
            .execute(self)?;
        Ok(())
    }
}
