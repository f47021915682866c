//! Bank statements and their credits, and what each credit matched (a flow it marks cashed).

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::{RecState, limit};
use crate::model::{
    BankStatement, CreditMatch, CreditReference, FlowId, FlowStatus, StatementStored, StatementSummary, StoredCredit,
};
use crate::ports::{CreditQuery, Page, StorageError};
use crate::value::EnteId;

impl RecState {
    pub(super) fn store_statement(
        &mut self,
        statement: &BankStatement,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<StatementStored, StorageError> {
        if let Some((summary, _)) = self
            .statements
            .values()
            .find(|(summary, _)| summary.ente == statement.ente && summary.digest == statement.digest)
        {
            return Ok(StatementStored::Duplicate(summary.clone()));
        }
        let id = self.id();
        let summary = StatementSummary {
            id,
            ente: statement.ente.clone(),
            format: statement.format,
            digest: statement.digest.clone(),
            statement_id: statement.statement_id.clone(),
            credits: statement.credits.len() as u64,
            total_cents: statement.credits.iter().map(|credit| credit.amount_cents).sum(),
            uploaded_at: now,
            uploaded_by: actor.to_owned(),
        };
        let mut credits = Vec::with_capacity(statement.credits.len());
        for credit in &statement.credits {
            let stored = StoredCredit {
                id: self.id(),
                statement: id,
                ente: statement.ente.clone(),
                reference: CreditReference::parse(&credit.remittance),
                credit: credit.clone(),
                matched: CreditMatch::Unmatched,
            };
            self.credits.insert(stored.id, stored.clone());
            credits.push(stored);
        }
        self.statements.insert(id, (summary.clone(), statement.raw.clone()));
        Ok(StatementStored::New { summary, credits })
    }

    pub(super) fn statements(&self, ente: &EnteId) -> Result<Vec<StatementSummary>, StorageError> {
        Ok(self
            .statements
            .values()
            .rev()
            .filter(|(summary, _)| &summary.ente == ente)
            .map(|(summary, _)| summary.clone())
            .collect())
    }

    pub(super) fn credits(&self, query: &CreditQuery) -> Result<Page<StoredCredit, u64>, StorageError> {
        let limit = limit(query.limit);
        let found: Vec<StoredCredit> = self
            .credits
            .range(query.after.map_or(0, |after| after + 1)..)
            .map(|(_, credit)| credit)
            .filter(|c| query.ente.as_ref().is_none_or(|ente| &c.ente == ente))
            .filter(|c| query.statement.is_none_or(|statement| c.statement == statement))
            .filter(|c| !query.unmatched_only || c.matched == CreditMatch::Unmatched)
            .take(limit + 1)
            .cloned()
            .collect();
        Ok(Page::from_overfetch(found, limit, |credit| credit.id))
    }

    pub(super) fn credits_for_flows(
        &self,
        ente: &EnteId,
        flow_ids: &[FlowId],
    ) -> Result<Vec<StoredCredit>, StorageError> {
        let wanted: HashSet<&FlowId> = flow_ids.iter().collect();
        Ok(self
            .credits
            .values()
            .filter(|c| &c.ente == ente && matches!(&c.reference, CreditReference::Flow(id) if wanted.contains(id)))
            .cloned()
            .collect())
    }

    pub(super) fn save_credit_matches(
        &mut self,
        ente: &EnteId,
        matches: &[(u64, CreditMatch)],
        _now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        for (id, found) in matches {
            let Some(credit) = self.credits.get_mut(id).filter(|credit| &credit.ente == ente) else {
                return Err(StorageError::NotFound(format!("credit {id}")));
            };
            let before = std::mem::replace(&mut credit.matched, found.clone());
            if let CreditMatch::Flow { key } = &before
                && before != *found
                && let Some(entry) = self.current_mut(key)
                && entry.stored.summary.credit_id == Some(*id)
            {
                entry.stored.summary.credit_id = None;
                entry.stored.summary.status = entry.matched_status;
            }
            if let CreditMatch::Flow { key } = found
                && let Some(entry) = self.current_mut(key)
            {
                entry.stored.summary.credit_id = Some(*id);
                entry.stored.summary.status = FlowStatus::Cashed;
            }
        }
        Ok(())
    }
}
