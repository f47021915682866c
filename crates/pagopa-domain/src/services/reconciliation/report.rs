//! The office's reads: the status per day and the export of collected payments.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};

use super::Reconciliation;
use crate::error::DomainError;
use crate::model::calendar::{italian_date, italian_midnight};
use crate::model::{CollectedPayment, DayStatus};
use crate::ports::{MAX_PAGE, ReceiptLinks, ReceiptLinksCursor};
use crate::value::EnteId;

/// The longest period one status or export covers, in days.
pub const MAX_PERIOD_DAYS: i64 = 366;

/// One page of the export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportPage {
    /// The rows: one per transfer to the Ente of each receipt.
    pub rows: Vec<CollectedPayment>,
    /// Where the next page starts, `None` on the last.
    pub next: Option<ReceiptLinksCursor>,
}

fn check_period(from: NaiveDate, to: NaiveDate) -> Result<(), DomainError> {
    if to < from {
        return Err(DomainError::Semantic(format!(
            "the period ends ({to}) before it starts ({from})"
        )));
    }
    if (to - from).num_days() >= MAX_PERIOD_DAYS {
        return Err(DomainError::Semantic(format!(
            "a period covers at most {MAX_PERIOD_DAYS} days"
        )));
    }
    Ok(())
}

/// The rows of one receipt: each of its transfers credited to the Ente with the line that
/// reports it. Digital stamps are not money of the Ente's accounts and never in a flow: they
/// have no row.
fn rows(ente: &EnteId, links: &ReceiptLinks) -> Vec<CollectedPayment> {
    let receipt = &links.receipt.receipt;
    receipt
        .transfers
        .iter()
        .filter(|transfer| transfer.is_credited_to(ente))
        .map(|transfer| {
            let line = links
                .lines
                .iter()
                .find(|line| line.transfer_id == Some(transfer.id))
                .or_else(|| links.lines.iter().find(|line| line.transfer_id.is_none()));
            CollectedPayment {
                ente: transfer.ente.clone(),
                receipt_id: receipt.receipt_id.clone(),
                iuv: receipt.creditor_reference_id.as_str().to_owned(),
                notice_number: receipt.notice_number.as_str().to_owned(),
                transfer_id: transfer.id,
                amount_cents: transfer.amount.cents() as i64,
                category: transfer.category.to_string(),
                remittance: transfer.remittance.to_string(),
                paid_at: receipt.paid_at(),
                psp: receipt.psp.id.clone(),
                flow_id: line.map(|line| line.flow.flow_id.clone()),
                flow_revision: line.map(|line| line.revision),
                regulation_date: line.map(|line| line.regulation_date),
                credit_id: line.and_then(|line| line.credit.map(|(id, _)| id)),
                credit_date: line.and_then(|line| line.credit.map(|(_, day)| day)),
            }
        })
        .collect()
}

impl Reconciliation {
    /// The status of each day in `[from, to]` (payment days, Europe/Rome) that had receipts
    /// or anomalies, in day order.
    pub async fn status(&self, ente: &EnteId, from: NaiveDate, to: NaiveDate) -> Result<Vec<DayStatus>, DomainError> {
        check_period(from, to)?;
        let mut days: BTreeMap<NaiveDate, DayStatus> = BTreeMap::new();
        let start = italian_midnight(from);
        let end = italian_midnight(to + Duration::days(1));
        let mut after = None;
        loop {
            let page = self
                .repo
                .receipts_with_links(ente, start, end, after.as_ref(), MAX_PAGE)
                .await?;
            for links in &page.items {
                for row in rows(ente, links) {
                    let day = italian_date(row.paid_at);
                    let status = days.entry(day).or_insert_with(|| DayStatus {
                        day,
                        ..DayStatus::default()
                    });
                    status.receipts.add(row.amount_cents);
                    if row.flow_id.is_some() {
                        status.reported.add(row.amount_cents);
                    }
                    if row.credit_id.is_some() {
                        status.cashed.add(row.amount_cents);
                    }
                }
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        for (day, code, count) in self.repo.anomaly_counts(ente, from, to).await? {
            let status = days.entry(day).or_insert_with(|| DayStatus {
                day,
                ..DayStatus::default()
            });
            *status.anomalies.entry(code.as_str().to_owned()).or_default() += count;
        }
        Ok(days.into_values().collect())
    }

    /// One page of the export of the payments collected in `[from, to]` (payment days):
    /// every transfer to the Ente with its receipt, flow and credit.
    pub async fn export(
        &self,
        ente: &EnteId,
        from: NaiveDate,
        to: NaiveDate,
        after: Option<&ReceiptLinksCursor>,
        limit: u32,
    ) -> Result<ExportPage, DomainError> {
        check_period(from, to)?;
        let page = self
            .repo
            .receipts_with_links(
                ente,
                italian_midnight(from),
                italian_midnight(to + Duration::days(1)),
                after,
                limit.clamp(1, MAX_PAGE),
            )
            .await?;
        Ok(ExportPage {
            rows: page.items.iter().flat_map(|links| rows(ente, links)).collect(),
            next: page.next,
        })
    }
}
