//! Bulk-load records and batches in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemoryStore;
use crate::model::{ImportId, ImportRecord};
use crate::ports::{ImportRepository, ImportWrite, StorageError};
use crate::value::EnteId;

#[async_trait]
impl ImportRepository for MemoryStore {
    async fn create_import(&self, record: &ImportRecord) -> Result<(), StorageError> {
        let mut state = self.state();
        if state.imports.contains_key(&record.id) {
            return Err(StorageError::Duplicate(format!("import {}", record.id)));
        }
        state.imports.insert(record.id.clone(), record.clone());
        Ok(())
    }

    async fn import(&self, id: &ImportId) -> Result<Option<ImportRecord>, StorageError> {
        Ok(self.state().imports.get(id).cloned())
    }

    async fn import_by_digest(
        &self,
        ente: &EnteId,
        sha256: &str,
        dry_run: bool,
    ) -> Result<Option<ImportRecord>, StorageError> {
        Ok(self
            .state()
            .imports
            .values()
            .filter(|r| &r.ente == ente && r.sha256 == sha256 && r.dry_run == dry_run)
            .min_by_key(|r| r.created_at)
            .cloned())
    }

    async fn unfinished_imports(&self) -> Result<Vec<ImportRecord>, StorageError> {
        let mut list: Vec<ImportRecord> = self
            .state()
            .imports
            .values()
            .filter(|r| !r.status.is_finished())
            .cloned()
            .collect();
        list.sort_by_key(|r| r.created_at);
        Ok(list)
    }

    async fn claim_import(
        &self,
        id: &ImportId,
        worker: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<ImportRecord>, StorageError> {
        let mut state = self.state();
        let Some(record) = state.imports.get_mut(id) else {
            return Ok(None);
        };
        let free = record.worker.as_deref() == Some(worker) || record.lease_until.is_none_or(|t| t <= now);
        if record.status.is_finished() || !free {
            return Ok(None);
        }
        record.worker = Some(worker.to_owned());
        record.lease_until = Some(until);
        Ok(Some(record.clone()))
    }

    async fn save_import(&self, record: &ImportRecord) -> Result<(), StorageError> {
        let mut state = self.state();
        match state.imports.get_mut(&record.id) {
            Some(stored) => {
                *stored = record.clone();
                Ok(())
            }
            None => Err(StorageError::NotFound(format!("import {}", record.id))),
        }
    }

    async fn commit_import_batch(&self, writes: &[ImportWrite]) -> Result<Vec<Result<(), StorageError>>, StorageError> {
        let mut state = self.state();
        let results = writes
            .iter()
            .map(|write| match write {
                ImportWrite::Create(position) => state.insert_position(position),
                ImportWrite::Update(position) => state.update_position(position).map(|_| ()),
                ImportWrite::Cancel(position, event) => state.update_position(position).map(|_| {
                    state.enqueue(std::slice::from_ref(event), position.updated_at);
                }),
            })
            .collect();
        Ok(results)
    }
}
