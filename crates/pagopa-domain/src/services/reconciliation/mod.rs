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

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

pub use fetch::{FetchOutcome, FetchSchedule};
pub use recovery::{ReceiptRecovery, RecoveryOutcome, RecoverySettings};
pub use report::{ExportPage, MAX_PERIOD_DAYS};

use crate::error::DomainError;
use crate::model::{
    Anomaly, AnomalyCode, AnomalyDraft, AnomalyLinks, AnomalyScope, AnomalySync, BankStatement, Ente, FetchedFlow,
    FlowKey, FlowOrigin, FlowStatus, FlowStored, ReceiptId, StatementStored, StatementSummary, StoredCredit,
    calendar::italian_date,
};
use crate::ports::{
    AnomalyQuery, Clock, CreditQuery, EnteRepository, MAX_PAGE, Page, PositionRepository, ReconciliationRepository,
    StorageError,
};
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

/// What an uploaded statement did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StatementReport {
    /// The statement.
    pub statement: StatementSummary,
    /// Whether the same file had been uploaded before (nothing was done again).
    pub duplicate: bool,
    /// Credits matched to a flow.
    pub flows: u64,
    /// Credits matched to a single payment.
    pub payments: u64,
    /// Credits that matched nothing.
    pub unmatched: u64,
    /// The anomalies of the statement's matching.
    pub anomalies: AnomalySync,
}

/// What matching a statement's credits counted.
#[derive(Clone, Copy, Debug)]
struct CreditTally {
    flows: u64,
    payments: u64,
    unmatched: u64,
    anomalies: AnomalySync,
}

/// What a sweep found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SweepReport {
    /// Receipts no flow reported in time.
    pub receipts_without_flow: AnomalySync,
    /// Flows whose credit did not come.
    pub flows_not_cashed: AnomalySync,
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

    /// Moves to `Reported` the paid positions whose receipts this flow reports whole: every
    /// transfer to the Ente matched, for its amount. A position changed meanwhile is left for
    /// the next matching of the flow.
    async fn mark_reported(
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
                    .filter(|transfer| transfer.ente == ente.id)
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

    /// Stores an uploaded statement and matches its credits.
    pub async fn upload_statement(
        &self,
        statement: &BankStatement,
        actor: &str,
    ) -> Result<StatementReport, DomainError> {
        self.ente(&statement.ente).await?;
        if statement.credits.len() > crate::model::reconciliation::MAX_STATEMENT_CREDITS {
            return Err(DomainError::Semantic(format!(
                "the statement holds {} credits, more than the {} taken",
                statement.credits.len(),
                crate::model::reconciliation::MAX_STATEMENT_CREDITS
            )));
        }
        match self.repo.store_statement(statement, actor, self.clock.now()).await? {
            StatementStored::Duplicate(summary) => Ok(StatementReport {
                statement: summary,
                duplicate: true,
                flows: 0,
                payments: 0,
                unmatched: 0,
                anomalies: AnomalySync::default(),
            }),
            StatementStored::New { summary, credits } => {
                let tally = self.match_statement(&statement.ente, summary.id, &credits).await?;
                Ok(StatementReport {
                    statement: summary,
                    duplicate: false,
                    flows: tally.flows,
                    payments: tally.payments,
                    unmatched: tally.unmatched,
                    anomalies: tally.anomalies,
                })
            }
        }
    }

    async fn match_statement(
        &self,
        ente: &EnteId,
        statement: u64,
        credits: &[StoredCredit],
    ) -> Result<CreditTally, DomainError> {
        let flow_ids: Vec<_> = credits
            .iter()
            .filter_map(|credit| match &credit.reference {
                crate::model::CreditReference::Flow(id) => Some(id.clone()),
                _ => None,
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let iuvs: Vec<String> = credits
            .iter()
            .filter_map(|credit| match &credit.reference {
                crate::model::CreditReference::Iuv(iuv) => Some(iuv.clone()),
                _ => None,
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let flows = self.repo.current_flows(ente, &flow_ids).await?;
        let receipts = self.repo.receipts_by_iuvs(ente, &iuvs).await?;
        let found = matching::match_credits(credits, &flows, &receipts);
        let now = self.clock.now();
        self.repo.save_credit_matches(ente, &found.matches, now).await?;
        let anomalies = self
            .repo
            .sync_anomalies(ente, &AnomalyScope::Statement(statement), &found.anomalies, now)
            .await?;
        let count = |kind: &str| found.matches.iter().filter(|(_, m)| m.as_str() == kind).count() as u64;
        Ok(CreditTally {
            flows: count("flow"),
            payments: count("payment"),
            unmatched: count("unmatched") + count("flow_amount_differs"),
            anomalies,
        })
    }

    /// Matches again every statement with a credit naming one of these flows (a flow, or a
    /// new revision of it, arrived after its credit).
    async fn rematch_statements_naming(
        &self,
        ente: &EnteId,
        flow_ids: &[crate::model::FlowId],
    ) -> Result<(), DomainError> {
        let naming = self.repo.credits_for_flows(ente, flow_ids).await?;
        let statements: BTreeSet<u64> = naming.iter().map(|credit| credit.statement).collect();
        for statement in statements {
            let credits = self.statement_credits(ente, statement).await?;
            self.match_statement(ente, statement, &credits).await?;
        }
        Ok(())
    }

    async fn statement_credits(&self, ente: &EnteId, statement: u64) -> Result<Vec<StoredCredit>, DomainError> {
        let mut credits = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .repo
                .credits(&CreditQuery {
                    ente: Some(ente.clone()),
                    statement: Some(statement),
                    unmatched_only: false,
                    after,
                    limit: MAX_PAGE,
                })
                .await?;
            credits.extend(page.items);
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(credits),
            }
        }
    }

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
