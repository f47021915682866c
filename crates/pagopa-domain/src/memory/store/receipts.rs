//! Receipts in memory: recorded once, with the position's update and the outbox events.

use async_trait::async_trait;

use super::MemoryStore;
use crate::model::{ReceiptId, StoredReceipt};
use crate::ports::{Page, ReceiptCursor, ReceiptQuery, ReceiptRepository, ReceiptWrite, RecordOutcome, StorageError};
use crate::value::EnteId;

#[async_trait]
impl ReceiptRepository for MemoryStore {
    async fn record(&self, write: ReceiptWrite) -> Result<RecordOutcome, StorageError> {
        let mut state = self.state();
        let receipt = &write.receipt.receipt;
        let key = (receipt.delivery.recipient.clone(), receipt.receipt_id.clone());
        if let Some(existing) = state.receipts.get(&key) {
            return Ok(RecordOutcome::AlreadyRecorded(Box::new(existing.clone())));
        }
        if let Some(position) = &write.position {
            state.update_position(position)?;
        }
        state.receipts.insert(key, write.receipt.clone());
        state.enqueue(&write.outbox, receipt.delivery.received_at);
        Ok(RecordOutcome::Recorded)
    }

    async fn get(&self, recipient: &EnteId, receipt_id: &ReceiptId) -> Result<Option<StoredReceipt>, StorageError> {
        Ok(self
            .state()
            .receipts
            .get(&(recipient.clone(), receipt_id.clone()))
            .cloned())
    }

    async fn search(&self, query: &ReceiptQuery) -> Result<Page<StoredReceipt, ReceiptCursor>, StorageError> {
        let limit = query.page_size();
        let state = self.state();
        let items: Vec<StoredReceipt> = state
            .receipts
            .iter()
            .filter(|((recipient, id), stored)| {
                query
                    .after
                    .as_ref()
                    .is_none_or(|c| (recipient, id) > (&c.recipient, &c.receipt_id))
                    && query.recipient.as_ref().is_none_or(|r| recipient == r)
                    && query
                        .debtor
                        .as_ref()
                        .is_none_or(|d| stored.receipt.debtor.id.fiscal_code() == Some(d))
                    && query
                        .notice_number
                        .as_ref()
                        .is_none_or(|n| &stored.receipt.notice_number == n)
                    && (!query.needs_review || stored.disposition.needs_review())
            })
            .take(limit + 1)
            .map(|(_, stored)| stored.clone())
            .collect();
        Ok(Page::from_overfetch(items, limit, ReceiptCursor::after))
    }
}
