//! Bulk loads: their records, and the batches that write their positions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use pagopa_domain::ports::{ImportRepository, ImportWrite, StorageError};
use pagopa_domain::{DebtPosition, EnteId, ImportId, ImportRecord};

use super::positions::NewPositions;
use super::{OutboxStore, PositionStore};
use crate::DieselStore;
use crate::db::{Backend, DbError, from_json, impl_for_both, to_json, to_us, with_conn, with_write_conn};
use crate::schema::imports;

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = imports, treat_none_as_null = true)]
struct ImportRow<'a> {
    id: &'a str,
    ente: &'a str,
    sha256: &'a str,
    dry_run: bool,
    status: &'a str,
    worker: Option<&'a str>,
    lease_until_us: Option<i64>,
    created_at_us: i64,
    document: String,
}

fn row(record: &ImportRecord) -> Result<ImportRow<'_>, DbError> {
    Ok(ImportRow {
        id: record.id.as_str(),
        ente: record.ente.as_str(),
        sha256: &record.sha256,
        dry_run: record.dry_run,
        status: record.status.as_str(),
        worker: record.worker.as_deref(),
        lease_until_us: record.lease_until.map(to_us),
        created_at_us: to_us(record.created_at),
        document: to_json(record)?,
    })
}

/// The writes of one batch, each in its own savepoint: the batch as a whole first (one
/// multi-row insert for the new positions), one by one only if that failed.
trait ImportWrites {
    fn write_batch(
        &mut self,
        writes: &[ImportWrite],
        new: NewPositions,
        at: DateTime<Utc>,
    ) -> Result<Vec<Result<(), StorageError>>, DbError>;
    fn claim(&mut self, id: &str, worker: &str, now: i64, until: i64) -> Result<Option<ImportRecord>, DbError>;
}

/// Whether a failure belongs to one position (a taken key, a moved version) rather than to the
/// database.
fn is_position_failure(error: &DbError) -> bool {
    match error {
        DbError::Port(StorageError::Duplicate(_) | StorageError::Conflict(_) | StorageError::NotFound(_)) => true,
        DbError::Diesel(diesel::result::Error::DatabaseError(kind, _)) => matches!(
            kind,
            diesel::result::DatabaseErrorKind::UniqueViolation
                | diesel::result::DatabaseErrorKind::SerializationFailure
        ),
        _ => false,
    }
}

impl_for_both!(ImportWrites {
    fn write_batch(&mut self, writes: &[ImportWrite], new: NewPositions, at: DateTime<Utc>) -> Result<Vec<Result<(), StorageError>>, DbError> {
        let all_at_once = self.write(|c| {
            c.insert_new_positions(new, at)?;
            for write in writes {
                match write {
                    ImportWrite::Create(_) => {}
                    ImportWrite::Update(p) => {
                        c.update_position(p, at)?;
                    }
                    ImportWrite::Cancel(p, event) => {
                        c.update_position(p, at)?;
                        c.enqueue_events(std::slice::from_ref(event), at)?;
                    }
                }
            }
            Ok(())
        });
        match all_at_once {
            Ok(()) => return Ok(writes.iter().map(|_| Ok(())).collect()),
            Err(error) if !is_position_failure(&error) => return Err(error),
            Err(_) => {}
        }
        // Some position could not be written: each on its own, so the others go in.
        let mut results = Vec::with_capacity(writes.len());
        for write in writes {
            let one = self.write(|c| match write {
                ImportWrite::Create(p) => c.insert_positions(std::slice::from_ref(p), at),
                ImportWrite::Update(p) => c.update_position(p, at).map(|_| ()),
                ImportWrite::Cancel(p, event) => {
                    c.update_position(p, at)?;
                    c.enqueue_events(std::slice::from_ref(event), at)
                }
            });
            match one {
                Ok(stored) => results.push(Ok(stored)),
                Err(error) if is_position_failure(&error) => results.push(Err(StorageError::from(error))),
                Err(error) => return Err(error),
            }
        }
        Ok(results)
    }

    fn claim(&mut self, id: &str, worker: &str, now: i64, until: i64) -> Result<Option<ImportRecord>, DbError> {
        self.write(|c| {
            let found: Option<String> = imports::table
                .find(id)
                .filter(imports::status.eq_any(["queued", "running"]))
                .filter(
                    imports::worker
                        .eq(worker)
                        .or(imports::lease_until_us.is_null())
                        .or(imports::lease_until_us.le(now)),
                )
                .select(imports::document)
                .first(c)
                .optional()?;
            let Some(document) = found else { return Ok(None) };
            // Taken only if nobody took it since it was read (the lease columns are the check).
            let taken = diesel::update(imports::table.find(id))
                .filter(
                    imports::worker
                        .eq(worker)
                        .or(imports::lease_until_us.is_null())
                        .or(imports::lease_until_us.le(now)),
                )
                .set((imports::worker.eq(worker), imports::lease_until_us.eq(until)))
                .execute(c)?;
            if taken == 0 {
                return Ok(None);
            }
            let mut record: ImportRecord = from_json(&document)?;
            record.worker = Some(worker.to_owned());
            record.lease_until = DateTime::from_timestamp_micros(until);
            diesel::update(imports::table.find(id)).set(imports::document.eq(to_json(&record)?)).execute(c)?;
            Ok(Some(record))
        })
    }
});

#[async_trait]
impl ImportRepository for DieselStore {
    async fn create_import(&self, record: &ImportRecord) -> Result<(), StorageError> {
        let record = record.clone();
        with_write_conn!(self, |conn| {
            diesel::insert_into(imports::table)
                .values(row(&record)?)
                .execute(conn)?;
            Ok(())
        })
    }

    async fn import(&self, id: &ImportId) -> Result<Option<ImportRecord>, StorageError> {
        let id = id.clone();
        with_conn!(self, |conn| {
            let document: Option<String> = imports::table
                .find(id.as_str())
                .select(imports::document)
                .first(conn)
                .optional()?;
            document.map(|d| from_json(&d)).transpose()
        })
    }

    async fn import_by_digest(
        &self,
        ente: &EnteId,
        sha256: &str,
        dry_run: bool,
    ) -> Result<Option<ImportRecord>, StorageError> {
        let (ente, sha256) = (ente.clone(), sha256.to_owned());
        with_conn!(self, |conn| {
            let document: Option<String> = imports::table
                .filter(imports::ente.eq(ente.as_str()))
                .filter(imports::sha256.eq(&sha256))
                .filter(imports::dry_run.eq(dry_run))
                .order(imports::created_at_us)
                .select(imports::document)
                .first(conn)
                .optional()?;
            document.map(|d| from_json(&d)).transpose()
        })
    }

    async fn unfinished_imports(&self) -> Result<Vec<ImportRecord>, StorageError> {
        with_conn!(self, |conn| {
            let documents: Vec<String> = imports::table
                .filter(imports::status.eq_any(["queued", "running"]))
                .order(imports::created_at_us)
                .select(imports::document)
                .load(conn)?;
            documents.iter().map(|d| from_json(d)).collect()
        })
    }

    async fn claim_import(
        &self,
        id: &ImportId,
        worker: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<ImportRecord>, StorageError> {
        let (id, worker) = (id.clone(), worker.to_owned());
        let (now, until) = (to_us(now), to_us(until));
        with_write_conn!(self, |conn| { conn.claim(id.as_str(), &worker, now, until) })
    }

    async fn save_import(&self, record: &ImportRecord) -> Result<(), StorageError> {
        let record = record.clone();
        with_write_conn!(self, |conn| {
            let changed = diesel::update(imports::table.find(record.id.as_str()))
                .set(row(&record)?)
                .execute(conn)?;
            if changed == 0 {
                return Err(StorageError::NotFound(format!("import {}", record.id)).into());
            }
            Ok(())
        })
    }

    async fn commit_import_batch(&self, writes: &[ImportWrite]) -> Result<Vec<Result<(), StorageError>>, StorageError> {
        // The new positions' rows (their JSON documents above all) are built here, on the
        // caller's thread while the writer is still busy with the previous batch.
        let creates: Vec<DebtPosition> = writes
            .iter()
            .filter_map(|w| match w {
                ImportWrite::Create(p) => Some(p.clone()),
                ImportWrite::Update(_) | ImportWrite::Cancel(..) => None,
            })
            .collect();
        let new = NewPositions::of(&creates).map_err(StorageError::from)?;
        let writes = writes.to_vec();
        let at = writes.iter().map(|w| w.position().updated_at).max().unwrap_or_default();
        with_write_conn!(self, |conn| { conn.write_batch(&writes, new, at) })
    }
}
