//! The positions a flow reports: a paid position whose receipt a flow reports whole moves to
//! `Reported`.

use std::collections::BTreeSet;

use super::Reconciliation;
use crate::error::DomainError;
use crate::model::Ente;
use crate::ports::StorageError;

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
        let now = self.clock.now();
        let mut moved = 0;
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
            if !whole || !stored.disposition.pays_position() {
                continue;
            }
            let Some(mut position) = self.positions.find_by_notice(&ente.id, &receipt.notice_number).await? else {
                continue;
            };
            if position.status != crate::model::PositionStatus::Paid
                || position
                    .transition(crate::model::PositionStatus::Reported, now)
                    .is_err()
            {
                continue;
            }
            match self.positions.update(&position).await {
                Ok(_) => moved += 1,
                Err(StorageError::Conflict(_)) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(moved)
    }
}
