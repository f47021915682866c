//! Flows: every revision with its lines and raw documents, one current per flow; the lines'
//! matches; the flows matching and the sweeps look for.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};

use super::{FlowEntry, RecState, limit};
use crate::model::{
    FlowId, FlowKey, FlowOrigin, FlowRevision, FlowStatus, FlowStored, FlowSummary, LineMatch, RawDocument, ReceiptId,
    StoredFlow,
};
use crate::ports::{FlowCursor, FlowQuery, Page, StorageError};
use crate::value::EnteId;

impl RecState {
    pub(super) fn store_flow(
        &mut self,
        flow: &FlowRevision,
        origin: FlowOrigin,
        raw: &[RawDocument],
        now: DateTime<Utc>,
    ) -> Result<FlowStored, StorageError> {
        if self.flows.contains_key(&(flow.key.clone(), flow.revision)) {
            return Ok(FlowStored::AlreadyStored);
        }
        let current = self.current(&flow.key).map(|entry| entry.stored.summary.revision);
        let becomes_current = current.is_none_or(|current| flow.revision > current);
        if let Some(current) = current
            && becomes_current
            && let Some(previous) = self.flows.get_mut(&(flow.key.clone(), current))
        {
            previous.stored.summary.current = false;
            previous.stored.summary.status = FlowStatus::Superseded;
        }
        let entry = FlowEntry {
            stored: StoredFlow {
                summary: FlowSummary::of(flow, origin, becomes_current, now),
                flow: flow.clone(),
                matches: Vec::new(),
            },
            raw: raw.to_vec(),
            matched_status: FlowStatus::Received,
        };
        self.flows.insert((flow.key.clone(), flow.revision), entry);
        Ok(match current {
            Some(current) if !becomes_current => FlowStored::Older { current },
            superseded => FlowStored::New { superseded },
        })
    }

    pub(super) fn flow(&self, key: &FlowKey, revision: Option<u32>) -> Result<Option<StoredFlow>, StorageError> {
        Ok(match revision {
            Some(revision) => self.flows.get(&(key.clone(), revision)),
            None => self.current(key),
        }
        .map(|entry| entry.stored.clone()))
    }

    pub(super) fn flow_documents(&self, key: &FlowKey, revision: u32) -> Result<Vec<RawDocument>, StorageError> {
        Ok(self
            .flows
            .get(&(key.clone(), revision))
            .map(|entry| entry.raw.clone())
            .unwrap_or_default())
    }

    pub(super) fn flow_revisions(&self, key: &FlowKey) -> Result<Vec<FlowSummary>, StorageError> {
        Ok(self
            .flows
            .range((key.clone(), 0)..=(key.clone(), u32::MAX))
            .rev()
            .map(|(_, entry)| entry.stored.summary.clone())
            .collect())
    }

    pub(super) fn flows(&self, query: &FlowQuery) -> Result<Page<FlowSummary, FlowCursor>, StorageError> {
        let mut found: Vec<FlowSummary> = self
            .flows
            .values()
            .map(|entry| &entry.stored.summary)
            .filter(|s| query.ente.as_ref().is_none_or(|ente| &s.key.ente == ente))
            .filter(|s| query.psp.as_ref().is_none_or(|psp| &s.key.psp == psp))
            .filter(|s| query.status.is_none_or(|status| s.status == status))
            .filter(|s| query.from.is_none_or(|from| s.regulation_date >= from))
            .filter(|s| query.to.is_none_or(|to| s.regulation_date <= to))
            .filter(|s| !query.current_only || s.current)
            .cloned()
            .collect();
        // Newest settlement first, then key and revision.
        let order = |s: &FlowSummary| (std::cmp::Reverse(s.regulation_date), s.key.clone(), s.revision);
        found.sort_by_key(order);
        if let Some(after) = &query.after {
            let after = (
                std::cmp::Reverse(after.regulation_date),
                after.key.clone(),
                after.revision,
            );
            found.retain(|s| order(s) > after);
        }
        let limit = limit(query.limit);
        found.truncate(limit + 1);
        Ok(Page::from_overfetch(found, limit, |s| FlowCursor {
            regulation_date: s.regulation_date,
            key: s.key.clone(),
            revision: s.revision,
        }))
    }

    pub(super) fn save_flow_matching(
        &mut self,
        key: &FlowKey,
        revision: u32,
        matches: &[LineMatch],
        status: FlowStatus,
    ) -> Result<(), StorageError> {
        let entry = self
            .flows
            .get_mut(&(key.clone(), revision))
            .ok_or_else(|| StorageError::NotFound(format!("flow {key} revision {revision}")))?;
        if matches.len() != entry.stored.flow.lines.len() {
            return Err(StorageError::Conflict(format!(
                "flow {key} revision {revision}: {} matches for {} lines",
                matches.len(),
                entry.stored.flow.lines.len()
            )));
        }
        entry.stored.matches = matches.to_vec();
        entry.stored.summary.status = status;
        if status != FlowStatus::Cashed {
            entry.matched_status = status;
        }
        Ok(())
    }

    pub(super) fn flows_awaiting_receipt(&self, ente: &EnteId, iur: &ReceiptId) -> Result<Vec<FlowKey>, StorageError> {
        Ok(self
            .flows
            .iter()
            .filter(|((key, _), entry)| &key.ente == ente && entry.stored.summary.current)
            .filter(|(_, entry)| {
                entry
                    .stored
                    .flow
                    .lines
                    .iter()
                    .zip(&entry.stored.matches)
                    .any(|(line, found)| line.iur == iur.as_str() && found.receipt().is_none())
            })
            .map(|((key, _), _)| key.clone())
            .collect())
    }

    pub(super) fn current_flows(&self, ente: &EnteId, flow_ids: &[FlowId]) -> Result<Vec<FlowSummary>, StorageError> {
        let wanted: HashSet<&FlowId> = flow_ids.iter().collect();
        Ok(self
            .flows
            .iter()
            .filter(|((key, _), entry)| {
                &key.ente == ente && entry.stored.summary.current && wanted.contains(&key.flow_id)
            })
            .map(|(_, entry)| entry.stored.summary.clone())
            .collect())
    }

    pub(super) fn flows_awaiting_credit(
        &self,
        ente: &EnteId,
        settled_before: NaiveDate,
    ) -> Result<Vec<FlowSummary>, StorageError> {
        Ok(self
            .flows
            .values()
            .map(|entry| &entry.stored.summary)
            .filter(|s| {
                &s.key.ente == ente
                    && s.current
                    && s.credit_id.is_none()
                    && s.lines_count > 0
                    && s.regulation_date < settled_before
            })
            .cloned()
            .collect())
    }
}
