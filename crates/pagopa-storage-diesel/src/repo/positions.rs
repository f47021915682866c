//! Debt positions: the document plus one row per option and per transfer.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use pagopa_domain::ports::{Page, PositionCursor, PositionQuery, PositionRepository, StorageError};
use pagopa_domain::{DebtPosition, EnteId, FiscalCode, Iupd, NoticeNumber, OutboxEvent, TransferAccount};

use super::audit::{Audit, Change};
use crate::DieselStore;
use crate::db::{
    Backend, DbError, Filters, VersionedDocument, date_text, from_json, impl_for_both, to_i64, to_json, to_u64, to_us,
    with_conn, with_read_conn, with_write_conn,
};
use crate::schema::{payment_options, positions, transfers};

/// Rows per INSERT statement: well inside SQLite's 32 766 and PostgreSQL's 65 535 binds.
const ROWS_PER_STATEMENT: usize = 500;
/// The smaller statement SQLite keeps prepared, for what is left after the large ones.
const ROWS_PER_SMALL_STATEMENT: usize = 50;

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = positions, treat_none_as_default_value = false)]
pub(crate) struct PositionRow {
    ente: String,
    iupd: String,
    debtor: Option<String>,
    status: String,
    version: i64,
    created_at_us: i64,
    updated_at_us: i64,
    document: String,
    expires_on: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = payment_options, treat_none_as_default_value = false)]
pub(crate) struct OptionRow {
    ente: String,
    notice_number: String,
    iuv: String,
    iupd: String,
    amount_cents: i64,
    due_date: String,
    instalment: Option<i32>,
    paid_receipt_id: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = transfers, treat_none_as_default_value = false)]
pub(crate) struct TransferRow {
    ente: String,
    iuv: String,
    transfer_id: i32,
    beneficiary: String,
    amount_cents: i64,
    iban: Option<String>,
    category: String,
}

fn position_row(position: &DebtPosition) -> Result<PositionRow, DbError> {
    Ok(PositionRow {
        ente: position.ente.to_string(),
        iupd: position.iupd.to_string(),
        debtor: position.debtor.id.fiscal_code().map(|code| code.as_str().to_owned()),
        status: position.status.as_str().to_owned(),
        version: to_i64(position.version)?,
        created_at_us: to_us(position.created_at),
        updated_at_us: to_us(position.updated_at),
        document: to_json(position)?,
        expires_on: position.expires_on().map(date_text),
    })
}

fn child_rows(
    position: &DebtPosition,
    options: &mut Vec<OptionRow>,
    transfer_rows: &mut Vec<TransferRow>,
) -> Result<(), DbError> {
    for option in &position.options {
        options.push(OptionRow {
            ente: position.ente.to_string(),
            notice_number: option.notice_number.to_string(),
            iuv: option.notice_number.iuv().to_string(),
            iupd: position.iupd.to_string(),
            amount_cents: to_i64(option.amount.cents())?,
            due_date: date_text(option.due_date),
            instalment: option.instalment.map(|i| i32::from(i.number)),
            paid_receipt_id: option.payment.as_ref().map(|p| p.receipt_id.to_string()),
        });
        for transfer in &option.transfers {
            transfer_rows.push(TransferRow {
                ente: position.ente.to_string(),
                iuv: option.notice_number.iuv().to_string(),
                transfer_id: i32::from(transfer.id),
                beneficiary: transfer.ente.to_string(),
                amount_cents: to_i64(transfer.amount.cents())?,
                iban: match &transfer.account {
                    TransferAccount::Iban { iban, .. } => Some(iban.to_string()),
                    TransferAccount::Stamp(_) => None,
                },
                category: transfer.category.to_string(),
            });
        }
    }
    Ok(())
}

/// The rows of some positions, ready to insert.
pub(crate) struct Rows {
    positions: Vec<PositionRow>,
    options: Vec<OptionRow>,
    transfers: Vec<TransferRow>,
}

impl Rows {
    fn of(list: &[DebtPosition]) -> Result<Self, DbError> {
        let mut rows = Rows {
            positions: Vec::with_capacity(list.len()),
            options: Vec::new(),
            transfers: Vec::new(),
        };
        for position in list {
            rows.positions.push(position_row(position)?);
            child_rows(position, &mut rows.options, &mut rows.transfers)?;
        }
        Ok(rows)
    }
}

/// New positions turned into rows, with what the audit log will say of them: built before the
/// write (by a bulk load, off the SQLite writer thread, which then only inserts).
pub(crate) struct NewPositions {
    rows: Rows,
    created: Option<Created>,
}

impl NewPositions {
    pub(crate) fn of(list: &[DebtPosition]) -> Result<Self, DbError> {
        Ok(Self {
            rows: Rows::of(list)?,
            created: Created::of(list),
        })
    }
}

/// The audit entry of an insert: one per position for a single creation; one for the whole
/// batch of an import, which can hold a million positions (each keeps its own created_at).
pub(crate) struct Created {
    entity: &'static str,
    key: String,
    status: Option<&'static str>,
}

impl Created {
    fn of(list: &[DebtPosition]) -> Option<Self> {
        match list {
            [position] => Some(Self {
                entity: "position",
                key: format!("{}/{}", position.ente, position.iupd),
                status: Some(position.status.as_str()),
            }),
            [first, .., last] => Some(Self {
                entity: "import",
                key: format!(
                    "{}/{}..{}/{} ({} positions)",
                    first.ente,
                    first.iupd,
                    last.ente,
                    last.iupd,
                    list.len()
                ),
                status: None,
            }),
            [] => None,
        }
    }
}

fn decode(version: i64, document: &str) -> Result<DebtPosition, DbError> {
    let mut position: DebtPosition = from_json(document)?;
    position.version = to_u64(version)?;
    Ok(position)
}

/// Writing prepared rows: the one place the backends differ for positions.
pub(crate) trait InsertRows {
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

/// Position storage on one connection; the callers choose the transaction.
pub(crate) trait PositionStore {
    /// Inserts positions with their options and transfers, in statements of many rows.
    fn insert_positions(&mut self, positions: &[DebtPosition], at: DateTime<Utc>) -> Result<(), DbError>;
    /// Positions already turned into rows (see [`NewPositions`]).
    fn insert_new_positions(&mut self, new: NewPositions, at: DateTime<Utc>) -> Result<(), DbError>;
    /// The audit entry of an insert.
    fn audit_created(&mut self, created: &Option<Created>, at: DateTime<Utc>) -> Result<(), DbError>;
    /// One position.
    fn load_position(&mut self, ente: &str, iupd: &str) -> Result<Option<DebtPosition>, DbError>;
    /// The stored positions among `iupds` of one Ente.
    fn load_positions(&mut self, ente: &str, iupds: &[&str]) -> Result<Vec<DebtPosition>, DbError>;
    /// The position holding a notice.
    fn position_by_notice(&mut self, ente: &str, notice: &str) -> Result<Option<DebtPosition>, DbError>;
    /// Replaces a position if its version is unchanged; returns it at the next version.
    fn update_position(&mut self, position: &DebtPosition, at: DateTime<Utc>) -> Result<DebtPosition, DbError>;
}

impl_for_both!(PositionStore {
    fn insert_positions(&mut self, list: &[DebtPosition], at: DateTime<Utc>) -> Result<(), DbError> {
        if list.len() <= ROWS_PER_STATEMENT {
            self.insert_rows(Rows::of(list)?)?;
        } else {
            self.prepare_import()?;
            // A large import: one thread turns positions into rows (JSON documents, keys) while
            // this one writes the previous chunk, so both cores work.
            std::thread::scope(|scope| {
                let (sender, receiver) = std::sync::mpsc::sync_channel(2);
                scope.spawn(move || {
                    for chunk in list.chunks(ROWS_PER_STATEMENT) {
                        if sender.send(Rows::of(chunk)).is_err() {
                            break;
                        }
                    }
                });
                receiver.into_iter().try_for_each(|rows| self.insert_rows(rows?))
            })?;
        }
        self.audit_created(&Created::of(list), at)
    }

    fn insert_new_positions(&mut self, new: NewPositions, at: DateTime<Utc>) -> Result<(), DbError> {
        if new.rows.positions.len() > ROWS_PER_STATEMENT {
            self.prepare_import()?;
        }
        self.insert_rows(new.rows)?;
        self.audit_created(&new.created, at)
    }

    fn audit_created(&mut self, created: &Option<Created>, at: DateTime<Utc>) -> Result<(), DbError> {
        match created {
            Some(c) => self.audit(at, &[Change { entity: c.entity, key: &c.key, action: "created", from: None, to: c.status }]),
            None => Ok(()),
        }
    }

    fn load_position(&mut self, ente: &str, iupd: &str) -> Result<Option<DebtPosition>, DbError> {
        let row: Option<(i64, String)> = positions::table
            .find((ente, iupd))
            .select((positions::version, positions::document))
            .first(self)
            .optional()?;
        row.map(|(version, document)| decode(version, &document)).transpose()
    }

    fn load_positions(&mut self, ente: &str, iupds: &[&str]) -> Result<Vec<DebtPosition>, DbError> {
        let mut found = Vec::with_capacity(iupds.len());
        for chunk in iupds.chunks(ROWS_PER_STATEMENT) {
            let rows: Vec<(i64, String)> = positions::table
                .filter(positions::ente.eq(ente))
                .filter(positions::iupd.eq_any(chunk))
                .select((positions::version, positions::document))
                .load(self)?;
            for (version, document) in rows {
                found.push(decode(version, &document)?);
            }
        }
        Ok(found)
    }

    fn position_by_notice(&mut self, ente: &str, notice: &str) -> Result<Option<DebtPosition>, DbError> {
        let Ok(parsed) = notice.parse::<NoticeNumber>() else { return Ok(None) };
        let found: Option<(String, String)> = payment_options::table
            .find((ente, parsed.iuv().as_str()))
            .select((payment_options::iupd, payment_options::notice_number))
            .first(self)
            .optional()?;
        match found {
            // The IUV is the key; the whole notice must match too (aux digit 0 drops the
            // application code from the IUV).
            Some((iupd, stored)) if stored == notice => self.load_position(ente, &iupd),
            _ => Ok(None),
        }
    }

    fn update_position(&mut self, position: &DebtPosition, at: DateTime<Utc>) -> Result<DebtPosition, DbError> {
        let key = (position.ente.as_str(), position.iupd.as_str());
        let stored: Option<(i64, String)> = positions::table
            .find(key)
            .select((positions::version, positions::document))
            .first(self)
            .optional()?;
        let Some((stored_version, stored_document)) = stored else {
            return Err(StorageError::NotFound(format!("position {}", position.iupd)).into());
        };
        if stored_version != to_i64(position.version)? {
            return Err(StorageError::Conflict(format!("position {}", position.iupd)).into());
        }
        let before = decode(stored_version, &stored_document)?;
        let mut next = position.clone();
        next.version += 1;
        let row = position_row(&next)?;
        let changed = diesel::update(positions::table.find(key))
            .filter(positions::version.eq(stored_version))
            .set((
                positions::debtor.eq(row.debtor),
                positions::status.eq(row.status),
                positions::version.eq(row.version),
                positions::updated_at_us.eq(row.updated_at_us),
                positions::document.eq(&row.document),
                positions::expires_on.eq(&row.expires_on),
            ))
            .execute(self)?;
        if changed == 0 {
            return Err(StorageError::Conflict(format!("position {}", position.iupd)).into());
        }
        // The options and transfers are replaced, found by the IUVs the stored position had.
        let old_iuvs: Vec<String> = before.options.iter().map(|o| o.notice_number.iuv().to_string()).collect();
        diesel::delete(transfers::table.filter(transfers::ente.eq(key.0)).filter(transfers::iuv.eq_any(&old_iuvs)))
            .execute(self)?;
        diesel::delete(payment_options::table.filter(payment_options::ente.eq(key.0)).filter(payment_options::iuv.eq_any(&old_iuvs)))
            .execute(self)?;
        let mut options = Vec::new();
        let mut transfer_rows = Vec::new();
        child_rows(&next, &mut options, &mut transfer_rows)?;
        diesel::insert_into(payment_options::table).values(&options).execute(self)?;
        diesel::insert_into(transfers::table).values(&transfer_rows).execute(self)?;
        if before.status != next.status {
            let key = format!("{}/{}", next.ente, next.iupd);
            let change = Change {
                entity: "position",
                key: &key,
                action: "status",
                from: Some(before.status.as_str()),
                to: Some(next.status.as_str()),
            };
            self.audit(at, &[change])?;
        }
        Ok(next)
    }
});

/// The read-only queries, run outside any explicit transaction.
trait PositionQueries {
    fn positions_of_debtor(&mut self, debtor: &str) -> Result<Vec<DebtPosition>, DbError>;
    fn search_positions(&mut self, query: &PositionQuery) -> Result<Page<DebtPosition, PositionCursor>, DbError>;
}

impl_for_both!(PositionQueries {
    fn positions_of_debtor(&mut self, debtor: &str) -> Result<Vec<DebtPosition>, DbError> {
        let rows: Vec<(i64, String)> = positions::table
            .filter(positions::debtor.eq(debtor))
            .order((positions::ente, positions::iupd))
            .select((positions::version, positions::document))
            .load(self)?;
        rows.iter().map(|(version, document)| decode(*version, document)).collect()
    }

    fn search_positions(&mut self, query: &PositionQuery) -> Result<Page<DebtPosition, PositionCursor>, DbError> {
        let mut filters = Filters::default();
        if let Some(after) = &query.after {
            let ente = filters.bind(after.ente.as_str());
            let iupd = filters.bind(after.iupd.as_str());
            filters.and(&format!("(p.ente > {ente} OR (p.ente = {ente} AND p.iupd > {iupd}))"));
        }
        if let Some(ente) = &query.ente {
            let ente = filters.bind(ente.as_str());
            filters.and(&format!("p.ente = {ente}"));
        }
        if let Some(debtor) = &query.debtor {
            let debtor = filters.bind(debtor.as_str());
            filters.and(&format!("p.debtor = {debtor}"));
        }
        if let Some(status) = query.status {
            let status = filters.bind(status.as_str());
            filters.and(&format!("p.status = {status}"));
        }
        let mut option_filters = Filters { sql: String::new(), binds: std::mem::take(&mut filters.binds) };
        if let Some(notice) = &query.notice_number {
            let iuv = option_filters.bind(notice.iuv().as_str());
            let notice = option_filters.bind(notice.as_str());
            option_filters.and(&format!("o.iuv = {iuv} AND o.notice_number = {notice}"));
        }
        if let Some(iuv) = &query.iuv {
            let iuv = option_filters.bind(iuv.as_str());
            option_filters.and(&format!("o.iuv = {iuv}"));
        }
        if let Some(from) = query.due_from {
            let from = option_filters.bind(date_text(from));
            option_filters.and(&format!("o.due_date >= {from}"));
        }
        if let Some(to) = query.due_to {
            let to = option_filters.bind(date_text(to));
            option_filters.and(&format!("o.due_date <= {to}"));
        }
        if !option_filters.sql.is_empty() {
            filters.and(&format!(
                "EXISTS (SELECT 1 FROM payment_options o WHERE o.ente = p.ente AND o.iupd = p.iupd{})",
                option_filters.sql
            ));
        }
        let limit = query.page_size();
        let sql = format!(
            "SELECT p.version, p.document FROM positions p WHERE 1 = 1{} ORDER BY p.ente, p.iupd LIMIT {}",
            filters.sql,
            limit + 1
        );
        let mut statement = diesel::sql_query(sql).into_boxed();
        for value in option_filters.binds {
            statement = statement.bind::<Text, _>(value);
        }
        let rows: Vec<VersionedDocument> = statement.load(self)?;
        let items = rows.iter().map(|r| decode(r.version, &r.document)).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, limit, PositionCursor::after))
    }
});

#[async_trait]
impl PositionRepository for DieselStore {
    async fn insert(&self, position: &DebtPosition) -> Result<DebtPosition, StorageError> {
        let position = position.clone();
        with_write_conn!(self, |conn| {
            let at = position.created_at;
            conn.write(|c| c.insert_positions(std::slice::from_ref(&position), at))?;
            Ok(position)
        })
    }

    async fn insert_batch(&self, list: &[DebtPosition]) -> Result<u64, StorageError> {
        let list = list.to_vec();
        with_write_conn!(self, |conn| {
            let at = list.iter().map(|p| p.created_at).max().unwrap_or_default();
            conn.write(|c| c.insert_positions(&list, at))?;
            Ok(list.len() as u64)
        })
    }

    async fn get(&self, ente: &EnteId, iupd: &Iupd) -> Result<Option<DebtPosition>, StorageError> {
        let (ente, iupd) = (ente.clone(), iupd.clone());
        with_read_conn!(self, |conn| { conn.load_position(ente.as_str(), iupd.as_str()) })
    }

    async fn get_many(&self, ente: &EnteId, iupds: &[Iupd]) -> Result<Vec<DebtPosition>, StorageError> {
        let ente = ente.clone();
        let iupds: Vec<String> = iupds.iter().map(|i| i.as_str().to_owned()).collect();
        with_read_conn!(self, |conn| {
            let keys: Vec<&str> = iupds.iter().map(String::as_str).collect();
            conn.load_positions(ente.as_str(), &keys)
        })
    }

    async fn find_by_notice(&self, ente: &EnteId, notice: &NoticeNumber) -> Result<Option<DebtPosition>, StorageError> {
        let (ente, notice) = (ente.clone(), notice.clone());
        with_read_conn!(self, |conn| { conn.position_by_notice(ente.as_str(), notice.as_str()) })
    }

    async fn list_by_debtor(&self, debtor: &FiscalCode) -> Result<Vec<DebtPosition>, StorageError> {
        let debtor = debtor.clone();
        with_read_conn!(self, |conn| { conn.positions_of_debtor(debtor.as_str()) })
    }

    async fn update(&self, position: &DebtPosition) -> Result<DebtPosition, StorageError> {
        let position = position.clone();
        with_write_conn!(self, |conn| {
            let at = position.updated_at;
            conn.write(|c| c.update_position(&position, at))
        })
    }

    async fn update_with_events(
        &self,
        position: &DebtPosition,
        events: &[OutboxEvent],
    ) -> Result<DebtPosition, StorageError> {
        use super::OutboxStore;
        let (position, events) = (position.clone(), events.to_vec());
        with_write_conn!(self, |conn| {
            let at = position.updated_at;
            conn.write(|c| {
                let updated = c.update_position(&position, at)?;
                c.enqueue_events(&events, at)?;
                Ok(updated)
            })
        })
    }

    async fn search(&self, query: &PositionQuery) -> Result<Page<DebtPosition, PositionCursor>, StorageError> {
        let query = query.clone();
        with_conn!(self, |conn| { conn.search_positions(&query) })
    }

    async fn expire_due(
        &self,
        today: NaiveDate,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DebtPosition>, StorageError> {
        use super::ExpiryStore;
        with_write_conn!(self, |conn| { conn.expire_due_positions(today, now, limit) })
    }
}
