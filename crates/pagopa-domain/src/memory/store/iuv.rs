//! IUV counters in memory, one per Ente and notice layout.

use async_trait::async_trait;

use super::MemoryStore;
use crate::ports::{IuvAllocator, StorageError};
use crate::value::{EnteId, NoticeLayout};

#[async_trait]
impl IuvAllocator for MemoryStore {
    async fn next_base(&self, ente: &EnteId, layout: NoticeLayout) -> Result<u64, StorageError> {
        let mut state = self.state();
        let counter = state
            .iuv
            .entry((ente.clone(), layout.aux_digit(), layout.code()))
            .or_insert(0);
        *counter += 1;
        Ok(*counter)
    }

    async fn next_bases(&self, ente: &EnteId, layout: NoticeLayout, count: u64) -> Result<Vec<u64>, StorageError> {
        let mut state = self.state();
        let counter = state
            .iuv
            .entry((ente.clone(), layout.aux_digit(), layout.code()))
            .or_insert(0);
        let first = *counter + 1;
        *counter += count;
        Ok((first..=*counter).collect())
    }
}
