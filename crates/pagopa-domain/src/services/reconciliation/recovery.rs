//! Receipt recovery: the flow lines that report a payment whose `paSendRT` never reached us
//! (open `line_without_receipt` anomalies) are asked of pagoPA's receipts service, within its
//! throttle, and a receipt found is recorded as the Node would have delivered it. The flows
//! waiting for it are matched again, which clears the anomaly.
//!
//! pagoPA allows about 10 calls an hour per subscription, and the subscription is shared by
//! every Ente served here: the budget is one for the whole process. A line pagoPA has no
//! receipt for is not asked again before [`RecoverySettings::retry_after`]; any failure (a
//! 429, a timeout, a refused key) pauses recovery for [`RecoverySettings::pause`].

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

use super::Reconciliation;
use crate::error::DomainError;
use crate::model::{AnomalyCode, AnomalyStatus, Delivery, PrimitiveVersion};
use crate::ports::{AnomalyQuery, MAX_PAGE, ReceiptSource};
use crate::services::NodeOperations;
use crate::value::EnteId;

/// How hard recovery may use pagoPA's receipts service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecoverySettings {
    /// Calls in any 60 minutes, for every Ente together (pagoPA's throttle is 10).
    pub calls_per_hour: u32,
    /// How long before a line pagoPA had no receipt for is asked about again.
    pub retry_after: Duration,
    /// How long recovery stops after a call failed.
    pub pause: Duration,
}

impl Default for RecoverySettings {
    fn default() -> Self {
        Self {
            calls_per_hour: 10,
            retry_after: Duration::hours(24),
            pause: Duration::hours(1),
        }
    }
}

/// What one recovery round did for one Ente.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RecoveryOutcome {
    /// Open lines without their receipt.
    pub waiting: u64,
    /// Calls made.
    pub asked: u64,
    /// Receipts found and recorded.
    pub recovered: u64,
    /// Lines pagoPA has no receipt for (asked again after `retry_after`).
    pub not_found: u64,
    /// Lines left for a later round: the budget was spent, recovery is paused, or they were
    /// asked about recently.
    pub deferred: u64,
    /// Flows matched again after their receipts were recorded.
    pub rematched: u64,
    /// Answers that were of another payment than asked for (not recorded).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mismatched: Vec<String>,
    /// Why the round stopped early (recovery is then paused), if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The calls made and the lines asked about, shared by every Ente.
#[derive(Debug, Default)]
struct Budget {
    calls: VecDeque<DateTime<Utc>>,
    asked: HashMap<(EnteId, String, String), DateTime<Utc>>,
    paused_until: Option<DateTime<Utc>>,
}

impl Budget {
    /// Whether a call may be made at `now`, forgetting the calls older than an hour.
    fn may_call(&mut self, now: DateTime<Utc>, per_hour: u32) -> bool {
        while self.calls.front().is_some_and(|at| *at <= now - Duration::hours(1)) {
            self.calls.pop_front();
        }
        self.paused_until.is_none_or(|until| until <= now) && self.calls.len() < per_hour as usize
    }
}

/// Receipt recovery over a [`ReceiptSource`]. Cloning shares the budget.
#[derive(Clone)]
pub struct ReceiptRecovery {
    source: Arc<dyn ReceiptSource>,
    node: NodeOperations,
    reconciliation: Reconciliation,
    settings: RecoverySettings,
    budget: Arc<Mutex<Budget>>,
}

impl std::fmt::Debug for ReceiptRecovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiptRecovery")
            .field("source", &self.source.name())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl ReceiptRecovery {
    /// Recovery from `source`, recording receipts through `node` and matching again through
    /// `reconciliation`.
    pub fn new(
        source: Arc<dyn ReceiptSource>,
        node: NodeOperations,
        reconciliation: Reconciliation,
        settings: RecoverySettings,
    ) -> Self {
        Self {
            source,
            node,
            reconciliation,
            settings,
            budget: Arc::default(),
        }
    }

    /// The settings.
    pub fn settings(&self) -> RecoverySettings {
        self.settings
    }

    /// One round for `ente`: the open lines without their receipt asked of pagoPA, oldest
    /// anomaly first, as far as the budget goes.
    pub async fn run(&self, ente: &EnteId) -> Result<RecoveryOutcome, DomainError> {
        let waiting = self.waiting(ente).await?;
        let mut outcome = RecoveryOutcome {
            waiting: waiting.len() as u64,
            ..RecoveryOutcome::default()
        };
        if waiting.is_empty() {
            return Ok(outcome);
        }
        let served = self.reconciliation.ente(ente).await?;
        {
            // Forget what is no longer recent.
            let now = self.reconciliation.clock.now();
            let mut budget = self.budget.lock().unwrap_or_else(PoisonError::into_inner);
            budget.asked.retain(|_, at| *at > now - self.settings.retry_after);
        }
        for (iuv, iur) in waiting {
            let now = self.reconciliation.clock.now();
            let key = (ente.clone(), iuv.clone(), iur.clone());
            {
                let mut budget = self.budget.lock().unwrap_or_else(PoisonError::into_inner);
                let recent = budget
                    .asked
                    .get(&key)
                    .is_some_and(|at| *at > now - self.settings.retry_after);
                if recent || !budget.may_call(now, self.settings.calls_per_hour) {
                    continue;
                }
                budget.calls.push_back(now);
                budget.asked.insert(key, now);
            }
            outcome.asked += 1;
            let delivery = Delivery {
                recipient: ente.clone(),
                broker_id: served.broker_id.clone(),
                station_id: served.station_id.clone(),
                version: PrimitiveVersion::V2,
                received_at: now,
                raw_message: None,
                recovered: true,
            };
            match self.source.receipt(ente, &iur, &iuv, delivery).await {
                Ok(Some(receipt)) if receipt.creditor_reference_id.as_str() == iuv && &receipt.ente == ente => {
                    if let Err(error) = self.node.record_recovered(receipt).await {
                        // Found but not recorded: asked again next round, not in a day.
                        let mut budget = self.budget.lock().unwrap_or_else(PoisonError::into_inner);
                        budget.asked.remove(&(ente.clone(), iuv, iur));
                        return Err(error);
                    }
                    outcome.recovered += 1;
                }
                Ok(Some(receipt)) => {
                    // Not what was asked for: never recorded against this line.
                    outcome.not_found += 1;
                    outcome.mismatched.push(format!(
                        "asked for IUV {iuv} IUR {iur} of {ente}, got IUV {} of {}",
                        receipt.creditor_reference_id, receipt.ente
                    ));
                }
                Ok(None) => outcome.not_found += 1,
                Err(error) => {
                    let mut budget = self.budget.lock().unwrap_or_else(PoisonError::into_inner);
                    budget.paused_until = Some(now + self.settings.pause);
                    outcome.error = Some(format!("{}: {}", self.source.name(), error.message));
                    break;
                }
            }
        }
        outcome.deferred = outcome.waiting - outcome.asked;
        if outcome.recovered > 0 {
            outcome.rematched = self.reconciliation.rematch_waiting(ente).await?;
        }
        Ok(outcome)
    }

    /// The (IUV, IUR) of every open `line_without_receipt` anomaly of `ente`, once each.
    async fn waiting(&self, ente: &EnteId) -> Result<Vec<(String, String)>, DomainError> {
        let mut waiting = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut after = None;
        loop {
            let page = self
                .reconciliation
                .repo
                .anomalies(&AnomalyQuery {
                    ente: Some(ente.clone()),
                    code: Some(AnomalyCode::LineWithoutReceipt),
                    status: Some(AnomalyStatus::Open),
                    after,
                    limit: MAX_PAGE,
                    ..AnomalyQuery::default()
                })
                .await?;
            for anomaly in &page.items {
                let links = &anomaly.draft.links;
                if let (Some(iuv), Some(iur)) = (&links.iuv, &links.iur)
                    && seen.insert((iuv.clone(), iur.clone()))
                {
                    waiting.push((iuv.clone(), iur.clone()));
                }
            }
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(waiting),
            }
        }
    }
}
