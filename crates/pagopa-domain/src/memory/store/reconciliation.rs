//! Flows, statements, anomalies and the fetch schedule in memory.

use std::collections::{BTreeMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::MemoryStore;
use crate::model::{
    Anomaly, AnomalyCode, AnomalyDraft, AnomalyScope, AnomalyStatus, AnomalySync, BankStatement, CreditMatch,
    CreditReference, FetchState, FlowId, FlowKey, FlowOrigin, FlowRevision, FlowStatus, FlowStored, FlowSummary,
    LineMatch, RawDocument, ReceiptId, Resolution, StatementStored, StatementSummary, StoredCredit, StoredFlow,
    StoredReceipt, UnreportedReceipt,
};
use crate::ports::{
    AnomalyQuery, CreditQuery, FlowCursor, FlowQuery, LineLink, MAX_PAGE, Page, ReceiptLinks, ReceiptLinksCursor,
    ReconciliationRepository, StorageError,
};
use crate::value::EnteId;

/// Everything reconciliation keeps.
#[derive(Debug, Default)]
pub(super) struct RecState {
    flows: BTreeMap<(FlowKey, u32), FlowEntry>,
    statements: BTreeMap<u64, (StatementSummary, String)>,
    credits: BTreeMap<u64, StoredCredit>,
    anomalies: BTreeMap<u64, Anomaly>,
    fetch: BTreeMap<EnteId, (FetchState, Option<Lease>)>,
    next_id: u64,
}

/// Who holds a fetch, until when.
type Lease = (String, DateTime<Utc>);

#[derive(Debug)]
struct FlowEntry {
    stored: StoredFlow,
    raw: Vec<RawDocument>,
    /// The status matching gave, to return to when a credit is taken back.
    matched_status: FlowStatus,
}

impl RecState {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn current(&self, key: &FlowKey) -> Option<&FlowEntry> {
        self.flows
            .range((key.clone(), 0)..=(key.clone(), u32::MAX))
            .map(|(_, entry)| entry)
            .find(|entry| entry.stored.summary.current)
    }

    fn current_mut(&mut self, key: &FlowKey) -> Option<&mut FlowEntry> {
        self.flows
            .range_mut((key.clone(), 0)..=(key.clone(), u32::MAX))
            .map(|(_, entry)| entry)
            .find(|entry| entry.stored.summary.current)
    }

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
}

fn receipts_of<'a>(
    receipts: &'a BTreeMap<(EnteId, ReceiptId), StoredReceipt>,
    recipient: &'a EnteId,
) -> impl Iterator<Item = &'a StoredReceipt> + 'a {
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

fn limit(requested: u32) -> usize {
    requested.clamp(1, MAX_PAGE) as usize
}

#[async_trait]
impl ReconciliationRepository for MemoryStore {
    async fn store_flow(
        &self,
        flow: &FlowRevision,
        origin: FlowOrigin,
        raw: &[RawDocument],
        now: DateTime<Utc>,
    ) -> Result<FlowStored, StorageError> {
        let mut state = self.state();
        let rec = &mut state.rec;
        if rec.flows.contains_key(&(flow.key.clone(), flow.revision)) {
            return Ok(FlowStored::AlreadyStored);
        }
        let current = rec.current(&flow.key).map(|entry| entry.stored.summary.revision);
        let becomes_current = current.is_none_or(|current| flow.revision > current);
        if let Some(current) = current
            && becomes_current
            && let Some(previous) = rec.flows.get_mut(&(flow.key.clone(), current))
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
        rec.flows.insert((flow.key.clone(), flow.revision), entry);
        Ok(match current {
            Some(current) if !becomes_current => FlowStored::Older { current },
            superseded => FlowStored::New { superseded },
        })
    }

    async fn flow(&self, key: &FlowKey, revision: Option<u32>) -> Result<Option<StoredFlow>, StorageError> {
        let state = self.state();
        Ok(match revision {
            Some(revision) => state.rec.flows.get(&(key.clone(), revision)),
            None => state.rec.current(key),
        }
        .map(|entry| entry.stored.clone()))
    }

    async fn flow_documents(&self, key: &FlowKey, revision: u32) -> Result<Vec<RawDocument>, StorageError> {
        Ok(self
            .state()
            .rec
            .flows
            .get(&(key.clone(), revision))
            .map(|entry| entry.raw.clone())
            .unwrap_or_default())
    }

    async fn flow_revisions(&self, key: &FlowKey) -> Result<Vec<FlowSummary>, StorageError> {
        let state = self.state();
        Ok(state
            .rec
            .flows
            .range((key.clone(), 0)..=(key.clone(), u32::MAX))
            .rev()
            .map(|(_, entry)| entry.stored.summary.clone())
            .collect())
    }

    async fn flows(&self, query: &FlowQuery) -> Result<Page<FlowSummary, FlowCursor>, StorageError> {
        let state = self.state();
        let mut found: Vec<FlowSummary> = state
            .rec
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

    async fn save_flow_matching(
        &self,
        key: &FlowKey,
        revision: u32,
        matches: &[LineMatch],
        status: FlowStatus,
    ) -> Result<(), StorageError> {
        let mut state = self.state();
        let entry = state
            .rec
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

    async fn flows_awaiting_receipt(&self, ente: &EnteId, iur: &ReceiptId) -> Result<Vec<FlowKey>, StorageError> {
        let state = self.state();
        Ok(state
            .rec
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

    async fn current_flows(&self, ente: &EnteId, flow_ids: &[FlowId]) -> Result<Vec<FlowSummary>, StorageError> {
        let wanted: HashSet<&FlowId> = flow_ids.iter().collect();
        Ok(self
            .state()
            .rec
            .flows
            .iter()
            .filter(|((key, _), entry)| {
                &key.ente == ente && entry.stored.summary.current && wanted.contains(&key.flow_id)
            })
            .map(|(_, entry)| entry.stored.summary.clone())
            .collect())
    }

    async fn flows_awaiting_credit(
        &self,
        ente: &EnteId,
        settled_before: NaiveDate,
    ) -> Result<Vec<FlowSummary>, StorageError> {
        Ok(self
            .state()
            .rec
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

    async fn receipts_by_ids(&self, recipient: &EnteId, ids: &[ReceiptId]) -> Result<Vec<StoredReceipt>, StorageError> {
        let state = self.state();
        Ok(ids
            .iter()
            .filter_map(|id| state.receipts.get(&(recipient.clone(), id.clone())).cloned())
            .collect())
    }

    async fn receipts_by_iuvs(&self, recipient: &EnteId, iuvs: &[String]) -> Result<Vec<StoredReceipt>, StorageError> {
        let wanted: HashSet<&str> = iuvs.iter().map(String::as_str).collect();
        let state = self.state();
        Ok(receipts_of(&state.receipts, recipient)
            .filter(|stored| wanted.contains(stored.receipt.creditor_reference_id.as_str()))
            .cloned()
            .collect())
    }

    async fn unreported_receipts(
        &self,
        ente: &EnteId,
        since: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<UnreportedReceipt>, StorageError> {
        let state = self.state();
        let links = state.rec.links(ente);
        let mut found: Vec<UnreportedReceipt> = receipts_of(&state.receipts, ente)
            .filter(|stored| {
                let paid = stored.receipt.paid_at();
                paid >= since && paid < before && !links.contains_key(&stored.receipt.receipt_id)
            })
            .map(|stored| UnreportedReceipt {
                receipt_id: stored.receipt.receipt_id.clone(),
                iuv: stored.receipt.creditor_reference_id.as_str().to_owned(),
                paid_at: stored.receipt.paid_at(),
                amount_cents: stored.receipt.amount.cents() as i64,
                psp: stored.receipt.psp.id.clone(),
            })
            .collect();
        found.sort_by(|a, b| (a.paid_at, &a.receipt_id).cmp(&(b.paid_at, &b.receipt_id)));
        Ok(found)
    }

    async fn receipts_with_links(
        &self,
        ente: &EnteId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        after: Option<&ReceiptLinksCursor>,
        limit_to: u32,
    ) -> Result<Page<ReceiptLinks, ReceiptLinksCursor>, StorageError> {
        let state = self.state();
        let mut links = state.rec.links(ente);
        let mut found: Vec<&StoredReceipt> = receipts_of(&state.receipts, ente)
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

    async fn store_statement(
        &self,
        statement: &BankStatement,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<StatementStored, StorageError> {
        let mut state = self.state();
        let rec = &mut state.rec;
        if let Some((summary, _)) = rec
            .statements
            .values()
            .find(|(summary, _)| summary.ente == statement.ente && summary.digest == statement.digest)
        {
            return Ok(StatementStored::Duplicate(summary.clone()));
        }
        let id = rec.id();
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
                id: rec.id(),
                statement: id,
                ente: statement.ente.clone(),
                reference: CreditReference::parse(&credit.remittance),
                credit: credit.clone(),
                matched: CreditMatch::Unmatched,
            };
            rec.credits.insert(stored.id, stored.clone());
            credits.push(stored);
        }
        rec.statements.insert(id, (summary.clone(), statement.raw.clone()));
        Ok(StatementStored::New { summary, credits })
    }

    async fn statements(&self, ente: &EnteId) -> Result<Vec<StatementSummary>, StorageError> {
        Ok(self
            .state()
            .rec
            .statements
            .values()
            .rev()
            .filter(|(summary, _)| &summary.ente == ente)
            .map(|(summary, _)| summary.clone())
            .collect())
    }

    async fn credits(&self, query: &CreditQuery) -> Result<Page<StoredCredit, u64>, StorageError> {
        let limit = limit(query.limit);
        let state = self.state();
        let found: Vec<StoredCredit> = state
            .rec
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

    async fn credits_for_flows(&self, ente: &EnteId, flow_ids: &[FlowId]) -> Result<Vec<StoredCredit>, StorageError> {
        let wanted: HashSet<&FlowId> = flow_ids.iter().collect();
        Ok(self
            .state()
            .rec
            .credits
            .values()
            .filter(|c| &c.ente == ente && matches!(&c.reference, CreditReference::Flow(id) if wanted.contains(id)))
            .cloned()
            .collect())
    }

    async fn save_credit_matches(
        &self,
        ente: &EnteId,
        matches: &[(u64, CreditMatch)],
        _now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let mut state = self.state();
        let rec = &mut state.rec;
        for (id, found) in matches {
            let Some(credit) = rec.credits.get_mut(id).filter(|credit| &credit.ente == ente) else {
                return Err(StorageError::NotFound(format!("credit {id}")));
            };
            let before = std::mem::replace(&mut credit.matched, found.clone());
            if let CreditMatch::Flow { key } = &before
                && before != *found
                && let Some(entry) = rec.current_mut(key)
                && entry.stored.summary.credit_id == Some(*id)
            {
                entry.stored.summary.credit_id = None;
                entry.stored.summary.status = entry.matched_status;
            }
            if let CreditMatch::Flow { key } = found
                && let Some(entry) = rec.current_mut(key)
            {
                entry.stored.summary.credit_id = Some(*id);
                entry.stored.summary.status = FlowStatus::Cashed;
            }
        }
        Ok(())
    }

    async fn sync_anomalies(
        &self,
        ente: &EnteId,
        scope: &AnomalyScope,
        found: &[AnomalyDraft],
        now: DateTime<Utc>,
    ) -> Result<AnomalySync, StorageError> {
        let scope = scope.key();
        let mut state = self.state();
        let rec = &mut state.rec;
        let mut sync = AnomalySync::default();
        let mut seen: HashSet<(AnomalyCode, &str)> = HashSet::new();
        for draft in found {
            seen.insert((draft.code, draft.key.as_str()));
            let existing = rec
                .anomalies
                .values_mut()
                .find(|a| &a.ente == ente && a.draft.code == draft.code && a.draft.key == draft.key);
            match existing {
                Some(anomaly) => {
                    anomaly.draft = draft.clone();
                    anomaly.scope.clone_from(&scope);
                    anomaly.last_seen = now;
                    if anomaly.status == AnomalyStatus::Cleared {
                        anomaly.status = AnomalyStatus::Open;
                        anomaly.resolution = None;
                        sync.opened += 1;
                    } else {
                        sync.kept += 1;
                    }
                }
                None => {
                    let id = rec.id();
                    rec.anomalies.insert(
                        id,
                        Anomaly {
                            id,
                            ente: ente.clone(),
                            scope: scope.clone(),
                            draft: draft.clone(),
                            status: AnomalyStatus::Open,
                            first_seen: now,
                            last_seen: now,
                            resolution: None,
                        },
                    );
                    sync.opened += 1;
                }
            }
        }
        for anomaly in rec.anomalies.values_mut() {
            if &anomaly.ente == ente
                && anomaly.scope == scope
                && anomaly.status == AnomalyStatus::Open
                && !seen.contains(&(anomaly.draft.code, anomaly.draft.key.as_str()))
            {
                anomaly.status = AnomalyStatus::Cleared;
                anomaly.last_seen = now;
                sync.cleared += 1;
            }
        }
        Ok(sync)
    }

    async fn anomalies(&self, query: &AnomalyQuery) -> Result<Page<Anomaly, u64>, StorageError> {
        let limit = limit(query.limit);
        let state = self.state();
        let found: Vec<Anomaly> = state
            .rec
            .anomalies
            .range(query.after.map_or(0, |after| after + 1)..)
            .map(|(_, anomaly)| anomaly)
            .filter(|a| query.ente.as_ref().is_none_or(|ente| &a.ente == ente))
            .filter(|a| query.code.is_none_or(|code| a.draft.code == code))
            .filter(|a| query.status.is_none_or(|status| a.status == status))
            .filter(|a| query.from.is_none_or(|from| a.draft.day >= from))
            .filter(|a| query.to.is_none_or(|to| a.draft.day <= to))
            .filter(|a| query.psp.as_ref().is_none_or(|psp| a.draft.psp.as_ref() == Some(psp)))
            .take(limit + 1)
            .cloned()
            .collect();
        Ok(Page::from_overfetch(found, limit, |anomaly| anomaly.id))
    }

    async fn anomaly(&self, ente: &EnteId, id: u64) -> Result<Option<Anomaly>, StorageError> {
        Ok(self
            .state()
            .rec
            .anomalies
            .get(&id)
            .filter(|anomaly| &anomaly.ente == ente)
            .cloned())
    }

    async fn resolve_anomaly(
        &self,
        ente: &EnteId,
        id: u64,
        actor: &str,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Anomaly>, StorageError> {
        let mut state = self.state();
        let Some(anomaly) = state.rec.anomalies.get_mut(&id).filter(|a| &a.ente == ente) else {
            return Ok(None);
        };
        anomaly.status = AnomalyStatus::Resolved;
        anomaly.resolution = Some(Resolution {
            by: actor.to_owned(),
            at: now,
            note: note.to_owned(),
        });
        Ok(Some(anomaly.clone()))
    }

    async fn anomaly_counts(
        &self,
        ente: &EnteId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, AnomalyCode, u64)>, StorageError> {
        let mut counts: BTreeMap<(NaiveDate, AnomalyCode), u64> = BTreeMap::new();
        for anomaly in self.state().rec.anomalies.values() {
            if &anomaly.ente == ente
                && anomaly.status == AnomalyStatus::Open
                && anomaly.draft.day >= from
                && anomaly.draft.day <= to
            {
                *counts.entry((anomaly.draft.day, anomaly.draft.code)).or_default() += 1;
            }
        }
        Ok(counts
            .into_iter()
            .map(|((day, code), count)| (day, code, count))
            .collect())
    }

    async fn claim_fetch(
        &self,
        ente: &EnteId,
        worker: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        force: bool,
    ) -> Result<Option<FetchState>, StorageError> {
        let mut state = self.state();
        let (fetch, lease) = state.rec.fetch.entry(ente.clone()).or_insert_with(|| {
            (
                FetchState {
                    ente: ente.clone(),
                    cursor: None,
                    next_at: now,
                    failures: 0,
                    last_error: None,
                    last_success: None,
                },
                None,
            )
        });
        let held = lease.as_ref().is_some_and(|(_, until)| *until > now);
        if held || (!force && fetch.next_at > now) {
            return Ok(None);
        }
        *lease = Some((worker.to_owned(), until));
        Ok(Some(fetch.clone()))
    }

    async fn finish_fetch(&self, fetch: &FetchState, worker: &str) -> Result<bool, StorageError> {
        let mut state = self.state();
        let Some((stored, lease)) = state.rec.fetch.get_mut(&fetch.ente) else {
            return Ok(false);
        };
        if lease.as_ref().is_none_or(|(owner, _)| owner != worker) {
            return Ok(false);
        }
        *stored = fetch.clone();
        *lease = None;
        Ok(true)
    }

    async fn fetch_state(&self, ente: &EnteId) -> Result<Option<FetchState>, StorageError> {
        Ok(self.state().rec.fetch.get(ente).map(|(fetch, _)| fetch.clone()))
    }
}
