//! Debt positions: the document plus one row per option and per transfer.
//!
//! The rows are built in `rows`, written by `insert` (the one place the backends differ) and
//! searched in `search`; this module holds the position store and the port.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use pagopa_domain::ports::{Page, PositionCursor, PositionQuery, PositionRepository, StorageError};
use pagopa_domain::{DebtPosition, EnteId, FiscalCode, Iupd, NoticeNumber, OutboxEvent};

use super::audit::{Audit, Change};
use crate::DieselStore;
use crate::db::{
    Backend, DbError, from_json, impl_for_both, to_i64, to_u64, with_conn, with_read_conn, with_write_conn,
};
use crate::schema::{payment_options, positions, transfers};

mod insert;
mod rows;
mod search;

use insert::{InsertRows, ROWS_PER_STATEMENT};
pub(crate) use rows::NewPositions;
use rows::{Created, Rows, child_rows, position_row};
use search::PositionQueries;

fn decode(version: i64, document: &str) -> Result<DebtPosition, DbError> {
    let mut position: DebtPosition = from_json(document)?;
    position.version = to_u64(version)?;
    Ok(position)
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
    /// The positions holding any of `notices`, each once.
    fn positions_by_notices(&mut self, ente: &str, notices: &[NoticeNumber]) -> Result<Vec<DebtPosition>, DbError>;
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

    fn positions_by_notices(&mut self, ente: &str, notices: &[NoticeNumber]) -> Result<Vec<DebtPosition>, DbError> {
        let mut iupds = std::collections::BTreeSet::new();
        for chunk in notices.chunks(ROWS_PER_STATEMENT) {
            let iuvs: Vec<String> = chunk.iter().map(|notice| notice.iuv().to_string()).collect();
            let rows: Vec<(String, String)> = payment_options::table
                .filter(payment_options::ente.eq(ente))
                .filter(payment_options::iuv.eq_any(&iuvs))
                .select((payment_options::iupd, payment_options::notice_number))
                .load(self)?;
            // As for one notice: the whole notice must match, not only its IUV.
            let wanted: std::collections::HashSet<&str> = chunk.iter().map(NoticeNumber::as_str).collect();
            iupds.extend(rows.into_iter().filter(|(_, stored)| wanted.contains(stored.as_str())).map(|(iupd, _)| iupd));
        }
        let keys: Vec<&str> = iupds.iter().map(String::as_str).collect();
        self.load_positions(ente, &keys)
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
        // The options and transfers are replaced, found by the IUVs the stored position had,
        // unless their rows are the same (a change of status alone).
        let mut options = Vec::new();
        let mut transfer_rows = Vec::new();
        child_rows(&next, &mut options, &mut transfer_rows)?;
        let (mut old_options, mut old_transfers) = (Vec::new(), Vec::new());
        child_rows(&before, &mut old_options, &mut old_transfers)?;
        if options != old_options || transfer_rows != old_transfers {
            let old_iuvs: Vec<String> = before.options.iter().map(|o| o.notice_number.iuv().to_string()).collect();
            diesel::delete(transfers::table.filter(transfers::ente.eq(key.0)).filter(transfers::iuv.eq_any(&old_iuvs)))
                .execute(self)?;
            diesel::delete(payment_options::table.filter(payment_options::ente.eq(key.0)).filter(payment_options::iuv.eq_any(&old_iuvs)))
                .execute(self)?;
            diesel::insert_into(payment_options::table).values(&options).execute(self)?;
            diesel::insert_into(transfers::table).values(&transfer_rows).execute(self)?;
        }
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

    async fn find_by_notices(
        &self,
        ente: &EnteId,
        notices: &[NoticeNumber],
    ) -> Result<Vec<DebtPosition>, StorageError> {
        let (ente, notices) = (ente.clone(), notices.to_vec());
        with_read_conn!(self, |conn| { conn.positions_by_notices(ente.as_str(), &notices) })
    }

    /// One transaction for all: a stale or missing position is found before anything of it is
    /// written, so it fails alone and the others commit.
    async fn update_many(
        &self,
        positions: &[DebtPosition],
    ) -> Result<Vec<Result<DebtPosition, StorageError>>, StorageError> {
        if positions.is_empty() {
            return Ok(Vec::new());
        }
        let positions = positions.to_vec();
        with_write_conn!(self, |conn| {
            conn.write(|c| {
                let mut results = Vec::with_capacity(positions.len());
                for position in &positions {
                    match c.update_position(position, position.updated_at) {
                        Ok(stored) => results.push(Ok(stored)),
                        Err(DbError::Port(error @ (StorageError::Conflict(_) | StorageError::NotFound(_)))) => {
                            results.push(Err(error));
                        }
                        Err(other) => return Err(other),
                    }
                }
                Ok(results)
            })
        })
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
