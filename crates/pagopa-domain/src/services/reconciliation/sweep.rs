//! The sweeps for what should have arrived by now: receipts no flow reported, flows whose bank
//! credit did not come.

use chrono::Duration;

use super::Reconciliation;
use crate::error::DomainError;
use crate::model::{AnomalyCode, AnomalyDraft, AnomalyLinks, AnomalyScope, AnomalySync, calendar::italian_date};
use crate::value::EnteId;

/// What a sweep found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SweepReport {
    /// Receipts no flow reported in time.
    pub receipts_without_flow: AnomalySync,
    /// Flows whose credit did not come.
    pub flows_not_cashed: AnomalySync,
}

impl Reconciliation {
    /// Looks for what should have arrived by now: receipts no flow reported within the grace
    /// days, flows whose credit did not come.
    pub async fn sweep(&self, ente: &EnteId) -> Result<SweepReport, DomainError> {
        let now = self.clock.now();
        let before = now - Duration::days(i64::from(self.settings.receipt_grace_days));
        let since = now - Duration::days(i64::from(self.settings.sweep_lookback_days));
        let unreported = self.repo.unreported_receipts(ente, since, before).await?;
        let drafts: Vec<AnomalyDraft> = unreported
            .iter()
            .map(|receipt| AnomalyDraft {
                code: AnomalyCode::ReceiptWithoutFlow,
                key: format!("receipt/{}", receipt.receipt_id),
                day: italian_date(receipt.paid_at),
                psp: Some(receipt.psp.clone()),
                amount_cents: Some(receipt.amount_cents),
                links: AnomalyLinks {
                    iuv: Some(receipt.iuv.clone()),
                    iur: Some(receipt.receipt_id.as_str().to_owned()),
                    receipt_id: Some(receipt.receipt_id.clone()),
                    ..AnomalyLinks::default()
                },
                detail: format!(
                    "receipt {} of {} (IUV {}, {} cents, PSP {}) is in no flow after {} days",
                    receipt.receipt_id,
                    receipt.paid_at.format("%Y-%m-%d %H:%M"),
                    receipt.iuv,
                    receipt.amount_cents,
                    receipt.psp,
                    self.settings.receipt_grace_days
                ),
            })
            .collect();
        let receipts_without_flow = self
            .repo
            .sync_anomalies(ente, &AnomalyScope::ReceiptsWithoutFlow, &drafts, now)
            .await?;
        let settled_before = italian_date(now) - Duration::days(i64::from(self.settings.credit_grace_days));
        let waiting = self.repo.flows_awaiting_credit(ente, settled_before).await?;
        let drafts: Vec<AnomalyDraft> = waiting
            .iter()
            .map(|flow| AnomalyDraft {
                code: AnomalyCode::FlowNotCashed,
                key: format!("flow/{}/{}", flow.key.psp, flow.key.flow_id),
                day: flow.regulation_date,
                psp: Some(flow.key.psp.clone()),
                amount_cents: Some(flow.lines_total_cents),
                links: AnomalyLinks {
                    flow_id: Some(flow.key.flow_id.clone()),
                    flow_revision: Some(flow.revision),
                    ..AnomalyLinks::default()
                },
                detail: format!(
                    "flow {} of PSP {} ({} cents, settled {}) has no bank credit after {} days",
                    flow.key.flow_id,
                    flow.key.psp,
                    flow.lines_total_cents,
                    flow.regulation_date,
                    self.settings.credit_grace_days
                ),
            })
            .collect();
        let flows_not_cashed = self
            .repo
            .sync_anomalies(ente, &AnomalyScope::FlowsNotCashed, &drafts, now)
            .await?;
        Ok(SweepReport {
            receipts_without_flow,
            flows_not_cashed,
        })
    }
}
