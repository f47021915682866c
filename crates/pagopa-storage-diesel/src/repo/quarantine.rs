//! The quarantine: raw messages the Node sent that could not be read, newest first.

use async_trait::async_trait;
use diesel::prelude::*;
use pagopa_domain::ports::{Page, Quarantine, QuarantineQuery, StorageError};
use pagopa_domain::{QuarantineEntry, QuarantinedMessage};

use crate::DieselStore;
use crate::db::{Backend, DbError, from_us, to_i64, to_u64, to_us, with_read_conn, with_write_conn};
use crate::schema::quarantine;

#[derive(QueryableByName)]
struct LastId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// The id the connection's last insert generated (SQLite has no `RETURNING` in our diesel
/// build; both statements read the connection's own last value, never another session's).
trait LastInsertId {
    fn last_insert_id(&mut self) -> Result<i64, DbError>;
}

impl LastInsertId for diesel::sqlite::SqliteConnection {
    fn last_insert_id(&mut self) -> Result<i64, DbError> {
        let row: LastId = diesel::sql_query("SELECT last_insert_rowid() AS id").get_result(self)?;
        Ok(row.id)
    }
}

impl LastInsertId for diesel::pg::PgConnection {
    fn last_insert_id(&mut self) -> Result<i64, DbError> {
        let row: LastId = diesel::sql_query("SELECT lastval() AS id").get_result(self)?;
        Ok(row.id)
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = quarantine)]
struct Row {
    id: i64,
    received_at_us: i64,
    peer: Option<String>,
    operation: Option<String>,
    ente: Option<String>,
    reason: String,
    raw: String,
    size: Option<i64>,
    truncated: bool,
}

impl Row {
    fn into_message(self) -> Result<QuarantinedMessage, DbError> {
        let ente = self
            .ente
            .map(|e| e.parse().map_err(|_| DbError::Corrupt(format!("quarantine Ente {e}"))))
            .transpose()?;
        Ok(QuarantinedMessage {
            id: to_u64(self.id)?,
            entry: QuarantineEntry {
                received_at: from_us(self.received_at_us)?,
                peer: self.peer,
                operation: self.operation,
                ente,
                reason: self.reason,
                raw: self.raw,
                size: self.size.map(to_u64).transpose()?,
                truncated: self.truncated,
            },
        })
    }
}

#[async_trait]
impl Quarantine for DieselStore {
    async fn keep(&self, entry: &QuarantineEntry) -> Result<u64, StorageError> {
        let entry = entry.clone();
        with_write_conn!(self, |conn| {
            conn.write(|c| {
                diesel::insert_into(quarantine::table)
                    .values((
                        quarantine::received_at_us.eq(to_us(entry.received_at)),
                        quarantine::peer.eq(entry.peer.as_deref()),
                        quarantine::operation.eq(entry.operation.as_deref()),
                        quarantine::ente.eq(entry.ente.as_ref().map(|e| e.as_str())),
                        quarantine::reason.eq(&entry.reason),
                        quarantine::raw.eq(&entry.raw),
                        quarantine::size.eq(entry.size.map(to_i64).transpose()?),
                        quarantine::truncated.eq(entry.truncated),
                    ))
                    .execute(c)?;
                to_u64(c.last_insert_id()?)
            })
        })
    }

    async fn list(&self, query: &QuarantineQuery) -> Result<Page<QuarantinedMessage, u64>, StorageError> {
        let query = query.clone();
        let limit = query.page_size();
        with_read_conn!(self, |conn| {
            let mut select = quarantine::table.select(Row::as_select()).into_boxed();
            if let Some(ente) = &query.ente {
                select = select.filter(quarantine::ente.eq(ente.as_str().to_owned()));
            }
            if let Some(before) = query.before {
                select = select.filter(quarantine::id.lt(to_i64(before)?));
            }
            let rows: Vec<Row> = select
                .order(quarantine::id.desc())
                .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
                .load(conn)?;
            let items = rows.into_iter().map(Row::into_message).collect::<Result<Vec<_>, _>>()?;
            Ok(Page::from_overfetch(items, limit, |m| m.id))
        })
    }
}
