//! Bank statements: an uploaded statement stored once, its credits matched to flows and single
//! payments, and matched again when a flow they name arrives.

use std::collections::BTreeSet;

use super::Reconciliation;
use super::matching;
use crate::error::DomainError;
use crate::model::{AnomalyScope, AnomalySync, BankStatement, StatementStored, StatementSummary, StoredCredit};
use crate::ports::{CreditQuery, MAX_PAGE};
use crate::value::EnteId;

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

impl Reconciliation {
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
    pub(super) async fn rematch_statements_naming(
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
}
