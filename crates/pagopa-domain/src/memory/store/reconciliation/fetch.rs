//! Each Ente's scheduled fetch: its cursor, when it is due, its failures, and the lease that
//! keeps it to one worker at a time.

use chrono::{DateTime, Utc};

use super::RecState;
use crate::model::FetchState;
use crate::ports::StorageError;
use crate::value::EnteId;

impl RecState {
    pub(super) fn claim_fetch(
        &mut self,
        ente: &EnteId,
        worker: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        force: bool,
    ) -> Result<Option<FetchState>, StorageError> {
        let (fetch, lease) = self.fetch.entry(ente.clone()).or_insert_with(|| {
            (
                FetchState {
                    ente: ente.clone(),
                    cursor: None,
                    next_at: now,
                    failures: 0,
                    last_error: None,
                    last_success: None,
                },
                None,
            )
        });
        let held = lease.as_ref().is_some_and(|(_, until)| *until > now);
        if held || (!force && fetch.next_at > now) {
            return Ok(None);
        }
        *lease = Some((worker.to_owned(), until));
        Ok(Some(fetch.clone()))
    }

    pub(super) fn finish_fetch(&mut self, fetch: &FetchState, worker: &str) -> Result<bool, StorageError> {
        let Some((stored, lease)) = self.fetch.get_mut(&fetch.ente) else {
            return Ok(false);
        };
        if lease.as_ref().is_none_or(|(owner, _)| owner != worker) {
            return Ok(false);
        }
        *stored = fetch.clone();
        *lease = None;
        Ok(true)
    }

    pub(super) fn fetch_state(&self, ente: &EnteId) -> Result<Option<FetchState>, StorageError> {
        Ok(self.fetch.get(ente).map(|(fetch, _)| fetch.clone()))
    }
}
