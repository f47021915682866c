//! Flows, statements, anomalies and the fetch schedule in memory: flows and their lines
//! ([`flows`]), the receipts as reconciliation reads them ([`receipts`]), bank statements and
//! credits ([`bank`]), the anomalies work list ([`anomalies`]) and each Ente's scheduled fetch
//! ([`fetch`]). The trait's methods lock the store and hand over to them.

mod anomalies;
mod bank;
mod fetch;
mod flows;
mod receipts;

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::MemoryStore;
use crate::model::{
    Anomaly, AnomalyCode, AnomalyDraft, AnomalyScope, AnomalySync, BankStatement, CreditMatch, FetchState, FlowId,
    FlowKey, FlowOrigin, FlowRevision, FlowStatus, FlowStored, FlowSummary, LineMatch, RawDocument, ReceiptId,
    StatementStored, StatementSummary, StoredCredit, StoredFlow, StoredReceipt, UnreportedReceipt,
};
use crate::ports::{
    AnomalyQuery, CreditQuery, FlowCursor, FlowQuery, MAX_PAGE, Page, ReceiptLinks, ReceiptLinksCursor,
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
        self.state().rec.store_flow(flow, origin, raw, now)
    }

    async fn flow(&self, key: &FlowKey, revision: Option<u32>) -> Result<Option<StoredFlow>, StorageError> {
        self.state().rec.flow(key, revision)
    }

    async fn flow_documents(&self, key: &FlowKey, revision: u32) -> Result<Vec<RawDocument>, StorageError> {
        self.state().rec.flow_documents(key, revision)
    }

    async fn flow_revisions(&self, key: &FlowKey) -> Result<Vec<FlowSummary>, StorageError> {
        self.state().rec.flow_revisions(key)
    }

    async fn flows(&self, query: &FlowQuery) -> Result<Page<FlowSummary, FlowCursor>, StorageError> {
        self.state().rec.flows(query)
    }

    async fn save_flow_matching(
        &self,
        key: &FlowKey,
        revision: u32,
        matches: &[LineMatch],
        status: FlowStatus,
    ) -> Result<(), StorageError> {
        self.state().rec.save_flow_matching(key, revision, matches, status)
    }

    async fn flows_awaiting_receipt(&self, ente: &EnteId, iur: &ReceiptId) -> Result<Vec<FlowKey>, StorageError> {
        self.state().rec.flows_awaiting_receipt(ente, iur)
    }

    async fn current_flows(&self, ente: &EnteId, flow_ids: &[FlowId]) -> Result<Vec<FlowSummary>, StorageError> {
        self.state().rec.current_flows(ente, flow_ids)
    }

    async fn flows_awaiting_credit(
        &self,
        ente: &EnteId,
        settled_before: NaiveDate,
    ) -> Result<Vec<FlowSummary>, StorageError> {
        self.state().rec.flows_awaiting_credit(ente, settled_before)
    }

    async fn receipts_by_ids(&self, recipient: &EnteId, ids: &[ReceiptId]) -> Result<Vec<StoredReceipt>, StorageError> {
        receipts::receipts_by_ids(&self.state().receipts, recipient, ids)
    }

    async fn receipts_by_iuvs(&self, recipient: &EnteId, iuvs: &[String]) -> Result<Vec<StoredReceipt>, StorageError> {
        receipts::receipts_by_iuvs(&self.state().receipts, recipient, iuvs)
    }

    async fn unreported_receipts(
        &self,
        ente: &EnteId,
        since: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<UnreportedReceipt>, StorageError> {
        let state = self.state();
        state.rec.unreported_receipts(&state.receipts, ente, since, before)
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
        state
            .rec
            .receipts_with_links(&state.receipts, ente, from, to, after, limit_to)
    }

    async fn store_statement(
        &self,
        statement: &BankStatement,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<StatementStored, StorageError> {
        self.state().rec.store_statement(statement, actor, now)
    }

    async fn statements(&self, ente: &EnteId) -> Result<Vec<StatementSummary>, StorageError> {
        self.state().rec.statements(ente)
    }

    async fn credits(&self, query: &CreditQuery) -> Result<Page<StoredCredit, u64>, StorageError> {
        self.state().rec.credits(query)
    }

    async fn credits_for_flows(&self, ente: &EnteId, flow_ids: &[FlowId]) -> Result<Vec<StoredCredit>, StorageError> {
        self.state().rec.credits_for_flows(ente, flow_ids)
    }

    async fn save_credit_matches(
        &self,
        ente: &EnteId,
        matches: &[(u64, CreditMatch)],
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.state().rec.save_credit_matches(ente, matches, now)
    }

    async fn sync_anomalies(
        &self,
        ente: &EnteId,
        scope: &AnomalyScope,
        found: &[AnomalyDraft],
        now: DateTime<Utc>,
    ) -> Result<AnomalySync, StorageError> {
        self.state().rec.sync_anomalies(ente, scope, found, now)
    }

    async fn anomalies(&self, query: &AnomalyQuery) -> Result<Page<Anomaly, u64>, StorageError> {
        self.state().rec.anomalies(query)
    }

    async fn anomaly(&self, ente: &EnteId, id: u64) -> Result<Option<Anomaly>, StorageError> {
        self.state().rec.anomaly(ente, id)
    }

    async fn resolve_anomaly(
        &self,
        ente: &EnteId,
        id: u64,
        actor: &str,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Anomaly>, StorageError> {
        self.state().rec.resolve_anomaly(ente, id, actor, note, now)
    }

    async fn anomaly_counts(
        &self,
        ente: &EnteId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, AnomalyCode, u64)>, StorageError> {
        self.state().rec.anomaly_counts(ente, from, to)
    }

    async fn claim_fetch(
        &self,
        ente: &EnteId,
        worker: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        force: bool,
    ) -> Result<Option<FetchState>, StorageError> {
        self.state().rec.claim_fetch(ente, worker, now, until, force)
    }

    async fn finish_fetch(&self, fetch: &FetchState, worker: &str) -> Result<bool, StorageError> {
        self.state().rec.finish_fetch(fetch, worker)
    }

    async fn fetch_state(&self, ente: &EnteId) -> Result<Option<FetchState>, StorageError> {
        self.state().rec.fetch_state(ente)
    }
}
