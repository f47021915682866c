//! Quarantined messages in memory, newest first.

use async_trait::async_trait;

use super::MemoryStore;
use crate::model::{QuarantineEntry, QuarantinedMessage};
use crate::ports::{Page, Quarantine, QuarantineQuery, StorageError};

#[async_trait]
impl Quarantine for MemoryStore {
    async fn keep(&self, entry: &QuarantineEntry) -> Result<u64, StorageError> {
        let mut state = self.state();
        let id = state.quarantine.keys().next_back().map_or(1, |last| last + 1);
        state.quarantine.insert(
            id,
            QuarantinedMessage {
                id,
                entry: entry.clone(),
            },
        );
        Ok(id)
    }

    async fn list(&self, query: &QuarantineQuery) -> Result<Page<QuarantinedMessage, u64>, StorageError> {
        let limit = query.page_size();
        let items: Vec<QuarantinedMessage> = self
            .state()
            .quarantine
            .values()
            .rev()
            .filter(|m| query.before.is_none_or(|before| m.id < before))
            .filter(|m| query.ente.is_none() || m.entry.ente == query.ente)
            .take(limit + 1)
            .cloned()
            .collect();
        Ok(Page::from_overfetch(items, limit, |m| m.id))
    }
}
