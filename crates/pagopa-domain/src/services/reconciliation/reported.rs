//! The positions a flow reports: a paid position whose receipt a flow reports whole moves to
//! `Reported`.

use std::collections::BTreeSet;

use super::Reconciliation;
use crate::error::DomainError;
use crate::model::{Ente, PositionStatus};
use crate::ports::StorageError;

/// Positions read and written per call: one transaction each.
const REPORTED_CHUNK: usize = 1_000;

impl Reconciliation {
    /// Moves to `Reported` the paid positions whose receipts this flow reports whole: every
    /// transfer credited to the Ente's accounts matched, for its amount (a digital stamp is
    /// never in a flow, and not waited for). A position changed meanwhile is left for the next
    /// matching of the flow.
    pub(super) async fn mark_reported(
        &self,
        ente: &Ente,
        flow: &crate::model::FlowRevision,
        matches: &[crate::model::LineMatch],
        receipts: &[crate::model::StoredReceipt],
    ) -> Result<u64, DomainError> {
        use std::collections::BTreeMap;
        let mut reported: BTreeMap<&str, BTreeSet<Option<u8>>> = BTreeMap::new();
        for (line, found) in flow.lines.iter().zip(matches) {
            if let crate::model::LineMatch::Matched { receipt_id } = found {
                reported
                    .entry(receipt_id.as_str())
                    .or_default()
                    .insert(line.transfer_id);
            }
        }
        // The notices whose receipts this flow reports whole.
        let mut notices = Vec::new();
        for stored in receipts {
            let receipt = &stored.receipt;
            let Some(lines) = reported.get(receipt.receipt_id.as_str()) else {
                continue;
            };
            let whole = lines.contains(&None)
                || receipt
                    .transfers
                    .iter()
                    .filter(|transfer| transfer.is_credited_to(&ente.id))
                    .all(|transfer| lines.contains(&Some(transfer.id)));
            if whole && stored.disposition.pays_position() {
                notices.push(receipt.notice_number.clone());
            }
        }
        // Their positions read and written a chunk at a time.
        let now = self.clock.now();
        let mut moved = 0;
        for chunk in notices.chunks(REPORTED_CHUNK) {
            let mut positions = self.positions.find_by_notices(&ente.id, chunk).await?;
            positions.retain_mut(|position| {
                position.status == PositionStatus::Paid && position.transition(PositionStatus::Reported, now).is_ok()
            });
            if positions.is_empty() {
                continue;
            }
            for result in self.positions.update_many(&positions).await? {
                match result {
                    Ok(_) => moved += 1,
                    // Changed meanwhile: left for the next matching of the flow.
                    Err(StorageError::Conflict(_) | StorageError::NotFound(_)) => {}
                    Err(error) => return Err(error.into()),
                }
            }
        }
        Ok(moved)
    }
}
