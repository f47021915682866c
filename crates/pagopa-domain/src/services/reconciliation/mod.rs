//! Reconciliation: taking flows in (fetched or uploaded), matching their lines to receipts and
//! bank credits to flows, keeping the anomalies work list, and the office's reports.
//!
//! Every matching pass is idempotent and re-runnable: a pass replaces what it found before
//! ([`ReconciliationRepository::sync_anomalies`]), so a receipt, a flow or a credit that
//! arrives late clears the anomaly it caused, and an anomaly never ends anything.

mod fetch;
mod matching;
mod recovery;
mod report;
mod reported;
mod statements;
mod sweep;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use fetch::{FetchOutcome, FetchSchedule};
pub use recovery::{ReceiptRecovery, RecoveryOutcome, RecoverySettings};
pub use report::{ExportPage, MAX_PERIOD_DAYS};
pub use statements::StatementReport;
pub use sweep::SweepReport;

use crate::error::DomainError;
use crate::model::{
    Anomaly, AnomalyCode, AnomalyScope, AnomalySync, Ente, FetchedFlow, FlowKey, FlowOrigin, FlowStatus, FlowStored,
    ReceiptId,
};
use crate::ports::{AnomalyQuery, Clock, EnteRepository, MAX_PAGE, Page, PositionRepository, ReconciliationRepository};
use crate::value::EnteId;

/// How long reconciliation waits before it calls something missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReconciliationSettings {
    /// Days after the payment before a receipt no flow reports is an anomaly (flows come by
    /// D+2 operating days).
    pub receipt_grace_days: u32,
    /// Days after a flow's settlement date before a flow with no credit is an anomaly.
    pub credit_grace_days: u32,
    /// How far back the sweep for unreported receipts looks, in days.
    pub sweep_lookback_days: u32,
}

impl Default for ReconciliationSettings {
    fn default() -> Self {
        Self {
            receipt_grace_days: 5,
            credit_grace_days: 3,
            sweep_lookback_days: 120,
        }
    }
}

/// What taking one flow revision in did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct IngestReport {
    /// Which flow.
    pub key: FlowKey,
    /// The revision.
    pub revision: u32,
    /// `new`, `already_stored` or `older` (stored, not current).
    pub stored: &'static str,
    /// The revision it superseded, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded: Option<u32>,
    /// The status after matching (for `new`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<FlowStatus>,
    /// Lines matched to their receipt.
    pub matched: u64,
    /// The anomalies of the flow's matching.
    pub anomalies: AnomalySync,
}

/// The reconciliation use cases.
#[derive(Clone)]
pub struct Reconciliation {
    repo: Arc<dyn ReconciliationRepository>,
    entes: Arc<dyn EnteRepository>,
    positions: Arc<dyn PositionRepository>,
    clock: Arc<dyn Clock>,
    settings: ReconciliationSettings,
}

impl std::fmt::Debug for Reconciliation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reconciliation")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Reconciliation {
    /// The use cases over a repository; `positions` become `Reported` once every transfer of
    /// theirs to the Ente is in a flow.
    pub fn new(
        repo: Arc<dyn ReconciliationRepository>,
        entes: Arc<dyn EnteRepository>,
        positions: Arc<dyn PositionRepository>,
        clock: Arc<dyn Clock>,
        settings: ReconciliationSettings,
    ) -> Self {
        Self {
            repo,
            entes,
            positions,
            clock,
            settings,
        }
    }

    /// The repository, for reads the API serves as they are.
    pub fn repository(&self) -> &Arc<dyn ReconciliationRepository> {
        &self.repo
    }

    async fn ente(&self, id: &EnteId) -> Result<Ente, DomainError> {
        self.entes
            .get(id)
            .await?
            .ok_or_else(|| DomainError::UnknownEnte(id.clone()))
    }

    /// Takes a flow revision in: checks it, stores it with its raw documents, and, when it is
    /// the new current revision, matches it and re-matches the credits that name it.
    pub async fn ingest(&self, fetched: &FetchedFlow, origin: FlowOrigin) -> Result<IngestReport, DomainError> {
        let flow = &fetched.flow;
        flow.check()?;
        let ente = self
            .entes
            .get(&flow.key.ente)
            .await?
            .ok_or_else(|| crate::model::FlowError::UnknownEnte(flow.key.ente.clone()))?;
        let previous = self.repo.flow(&flow.key, None).await?;
        let stored = self
            .repo
            .store_flow(flow, origin, &fetched.raw, self.clock.now())
            .await?;
        let mut report = IngestReport {
            key: flow.key.clone(),
            revision: flow.revision,
            stored: "new",
            superseded: None,
            status: None,
            matched: 0,
            anomalies: AnomalySync::default(),
        };
        match stored {
            FlowStored::AlreadyStored => {
                report.stored = "already_stored";
                return Ok(report);
            }
            FlowStored::Older { .. } => {
                report.stored = "older";
                return Ok(report);
            }
            FlowStored::New { superseded } => report.superseded = superseded,
        }
        if let Some(previous) = previous.filter(|previous| previous.flow.revision < flow.revision) {
            let change = matching::revision_change(&previous.flow, previous.summary.status, flow);
            let scope = AnomalyScope::FlowRevisions {
                psp: flow.key.psp.clone(),
                flow_id: flow.key.flow_id.clone(),
            };
            // Kept with the revisions' scope: a later re-match of the same revision keeps it.
            if let Some(change) = change {
                self.repo
                    .sync_anomalies(&ente.id, &scope, &[change], self.clock.now())
                    .await?;
            }
        }
        let (status, matched, anomalies) = self.match_revision(&ente, flow, false).await?;
        report.status = Some(status);
        report.matched = matched;
        report.anomalies = anomalies;
        self.rematch_statements_naming(&ente.id, std::slice::from_ref(&flow.key.flow_id))
            .await?;
        Ok(report)
    }

    /// Matches the current revision of a flow again (after a receipt arrived, or on request).
    async fn match_current(&self, ente: &Ente, key: &FlowKey) -> Result<(FlowStatus, u64, AnomalySync), DomainError> {
        let stored = self
            .repo
            .flow(key, None)
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("flow {key}")))?;
        // A cashed flow stays cashed: its credit did not go away.
        let cashed = stored.summary.credit_id.is_some() && stored.summary.status == FlowStatus::Cashed;
        self.match_revision(ente, &stored.flow, cashed).await
    }

    /// Matches one stored revision, records the matches and its status, and syncs the
    /// anomalies of the flow's scope.
    async fn match_revision(
        &self,
        ente: &Ente,
        flow: &crate::model::FlowRevision,
        cashed: bool,
    ) -> Result<(FlowStatus, u64, AnomalySync), DomainError> {
        let key = &flow.key;
        let iuvs: Vec<String> = flow
            .lines
            .iter()
            .map(|line| line.iuv.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let receipts = self.repo.receipts_by_iuvs(&ente.id, &iuvs).await?;
        let found = matching::match_flow(flow, ente.notice_layout, &receipts);
        let status = if cashed { FlowStatus::Cashed } else { found.status };
        self.repo
            .save_flow_matching(key, flow.revision, &found.matches, status)
            .await?;
        let scope = AnomalyScope::Flow {
            psp: key.psp.clone(),
            flow_id: key.flow_id.clone(),
        };
        let sync = self
            .repo
            .sync_anomalies(&ente.id, &scope, &found.anomalies, self.clock.now())
            .await?;
        let matched = found.matches.iter().filter(|m| m.receipt().is_some()).count() as u64;
        self.mark_reported(ente, flow, &found.matches, &receipts).await?;
        Ok((status, matched, sync))
    }

    /// Re-matches the flows that listed a receipt before it arrived. Called after a receipt
    /// is recorded; cheap when no flow waits for it.
    pub async fn receipt_arrived(&self, recipient: &EnteId, receipt: &ReceiptId) -> Result<u64, DomainError> {
        let waiting = self.repo.flows_awaiting_receipt(recipient, receipt).await?;
        if waiting.is_empty() {
            return Ok(0);
        }
        let ente = self.ente(recipient).await?;
        for key in &waiting {
            self.match_current(&ente, key).await?;
        }
        Ok(waiting.len() as u64)
    }

    /// Matches again the flows whose lines wait for a receipt that has arrived since: the
    /// open `line_without_receipt` anomalies whose IUR is now a stored receipt. Cheap when
    /// none is open; the scheduled job runs it every round.
    pub async fn rematch_waiting(&self, ente: &EnteId) -> Result<u64, DomainError> {
        // The IUV of each waiting line, and the flow it is in.
        let mut waiting: Vec<(String, FlowKey)> = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .repo
                .anomalies(&AnomalyQuery {
                    ente: Some(ente.clone()),
                    code: Some(AnomalyCode::LineWithoutReceipt),
                    status: Some(crate::model::AnomalyStatus::Open),
                    after,
                    limit: MAX_PAGE,
                    ..AnomalyQuery::default()
                })
                .await?;
            for anomaly in &page.items {
                let links = &anomaly.draft.links;
                if let (Some(iuv), Some(flow_id), Some(psp)) = (&links.iuv, &links.flow_id, &anomaly.draft.psp) {
                    let key = FlowKey {
                        ente: ente.clone(),
                        psp: psp.clone(),
                        flow_id: flow_id.clone(),
                    };
                    waiting.push((iuv.clone(), key));
                }
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        if waiting.is_empty() {
            return Ok(0);
        }
        let iuvs: Vec<String> = waiting
            .iter()
            .map(|(iuv, _)| iuv.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let arrived: BTreeSet<String> = self
            .repo
            .receipts_by_iuvs(ente, &iuvs)
            .await?
            .into_iter()
            .map(|stored| stored.receipt.creditor_reference_id.as_str().to_owned())
            .collect();
        let flows: BTreeSet<FlowKey> = waiting
            .into_iter()
            .filter(|(iuv, _)| arrived.contains(iuv))
            .map(|(_, key)| key)
            .collect();
        if flows.is_empty() {
            return Ok(0);
        }
        let served = self.ente(ente).await?;
        for key in &flows {
            self.match_current(&served, key).await?;
        }
        Ok(flows.len() as u64)
    }

    /// Matches a flow's current revision again, on an operator's request.
    pub async fn rematch(&self, key: &FlowKey) -> Result<(FlowStatus, u64, AnomalySync), DomainError> {
        let ente = self.ente(&key.ente).await?;
        self.match_current(&ente, key).await
    }

    /// A page of the work list.
    pub async fn anomalies(&self, query: &AnomalyQuery) -> Result<Page<Anomaly, u64>, DomainError> {
        Ok(self.repo.anomalies(query).await?)
    }

    /// Marks an anomaly resolved with an operator's note.
    pub async fn resolve(&self, ente: &EnteId, id: u64, actor: &str, note: &str) -> Result<Anomaly, DomainError> {
        let note = note.trim();
        if note.is_empty() || note.chars().count() > 2000 {
            return Err(DomainError::Semantic(
                "a resolution needs a note of 1 to 2000 characters".into(),
            ));
        }
        self.repo
            .resolve_anomaly(ente, id, actor, note, self.clock.now())
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("anomaly {id}")))
    }

    /// Now, from the clock.
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
