//! The receipts as reconciliation reads them: by id or IUV for matching, those no current
//! flow reports, and a page of them with the flow lines matched to each.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};

use super::{RecState, limit};
use crate::model::{ReceiptId, StoredReceipt, UnreportedReceipt};
use crate::ports::{LineLink, Page, ReceiptLinks, ReceiptLinksCursor, StorageError};
use crate::value::EnteId;

/// The store's receipts, per recipient and id.
pub(super) type Receipts = BTreeMap<(EnteId, ReceiptId), StoredReceipt>;

fn receipts_of<'a>(receipts: &'a Receipts, recipient: &'a EnteId) -> impl Iterator<Item = &'a StoredReceipt> + 'a {
    receipts
        .range((recipient.clone(), min_receipt_id())..)
        .take_while(move |((ente, _), _)| ente == recipient)
        .map(|(_, stored)| stored)
}

fn min_receipt_id() -> ReceiptId {
    // The smallest id in the identifiers' alphabet.
    "-".parse()
        .unwrap_or_else(|_| unreachable!("'-' is a valid receipt id"))
}

pub(super) fn receipts_by_ids(
    receipts: &Receipts,
    recipient: &EnteId,
    ids: &[ReceiptId],
) -> Result<Vec<StoredReceipt>, StorageError> {
    Ok(ids
        .iter()
        .filter_map(|id| receipts.get(&(recipient.clone(), id.clone())).cloned())
        .collect())
}

pub(super) fn receipts_by_iuvs(
    receipts: &Receipts,
    recipient: &EnteId,
    iuvs: &[String],
) -> Result<Vec<StoredReceipt>, StorageError> {
    let wanted: HashSet<&str> = iuvs.iter().map(String::as_str).collect();
    Ok(receipts_of(receipts, recipient)
        .filter(|stored| wanted.contains(stored.receipt.creditor_reference_id.as_str()))
        .cloned()
        .collect())
}

impl RecState {
    /// The matched lines of current revisions of `ente`, per receipt id.
    fn links(&self, ente: &EnteId) -> BTreeMap<ReceiptId, Vec<LineLink>> {
        let mut links: BTreeMap<ReceiptId, Vec<LineLink>> = BTreeMap::new();
        for ((key, revision), entry) in &self.flows {
            if &key.ente != ente || !entry.stored.summary.current {
                continue;
            }
            let credit = entry
                .stored
                .summary
                .credit_id
                .and_then(|id| self.credits.get(&id).map(|credit| (id, credit.credit.booking_date)));
            for (line, found) in entry.stored.flow.lines.iter().zip(&entry.stored.matches) {
                if let Some(receipt) = found.receipt() {
                    links.entry(receipt.clone()).or_default().push(LineLink {
                        transfer_id: line.transfer_id,
                        amount_cents: line.amount_cents,
                        flow: key.clone(),
                        revision: *revision,
                        regulation_date: entry.stored.summary.regulation_date,
                        credit,
                    });
                }
            }
        }
        links
    }

    pub(super) fn unreported_receipts(
        &self,
        receipts: &Receipts,
        ente: &EnteId,
        since: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<UnreportedReceipt>, StorageError> {
        let links = self.links(ente);
        let mut found: Vec<UnreportedReceipt> = receipts_of(receipts, ente)
            .filter(|stored| {
                let paid = stored.receipt.paid_at();
                paid >= since && paid < before && !links.contains_key(&stored.receipt.receipt_id)
            })
            .filter_map(|stored| UnreportedReceipt::of(stored, ente))
            .collect();
        found.sort_by(|a, b| (a.paid_at, &a.receipt_id).cmp(&(b.paid_at, &b.receipt_id)));
        Ok(found)
    }

    pub(super) fn receipts_with_links(
        &self,
        receipts: &Receipts,
        ente: &EnteId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        after: Option<&ReceiptLinksCursor>,
        limit_to: u32,
    ) -> Result<Page<ReceiptLinks, ReceiptLinksCursor>, StorageError> {
        let mut links = self.links(ente);
        let mut found: Vec<&StoredReceipt> = receipts_of(receipts, ente)
            .filter(|stored| {
                let paid = stored.receipt.paid_at();
                paid >= from && paid < to && after.is_none_or(|(at, id)| (paid, &stored.receipt.receipt_id) > (*at, id))
            })
            .collect();
        found.sort_by(|a, b| {
            (a.receipt.paid_at(), &a.receipt.receipt_id).cmp(&(b.receipt.paid_at(), &b.receipt.receipt_id))
        });
        let limit = limit(limit_to);
        found.truncate(limit + 1);
        let items = found
            .into_iter()
            .map(|stored| ReceiptLinks {
                lines: links.remove(&stored.receipt.receipt_id).unwrap_or_default(),
                receipt: stored.clone(),
            })
            .collect();
        Ok(Page::from_overfetch(items, limit, |links| {
            (
                links.receipt.receipt.paid_at(),
                links.receipt.receipt.receipt_id.clone(),
            )
        }))
    }
}
