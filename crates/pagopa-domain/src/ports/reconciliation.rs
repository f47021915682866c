//! Reconciliation ports: where flows come from ([`FlowSource`]), where missing receipts are read
//! back from ([`ReceiptSource`]), and where flows, bank credits, anomalies and the fetch schedule
//! are kept ([`ReconciliationRepository`]).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::{BoxError, Page, StorageError};
use crate::model::{
    Anomaly, AnomalyCode, AnomalyDraft, AnomalyScope, AnomalyStatus, AnomalySync, BankStatement, CreditMatch, Delivery,
    FetchState, FetchedFlow, FlowId, FlowKey, FlowOrigin, FlowRevision, FlowStatus, FlowStored, FlowSummary, LineMatch,
    PartyId, PublishedFlow, RawDocument, Receipt, ReceiptId, StatementStored, StatementSummary, StoredCredit,
    StoredFlow, StoredReceipt, UnreportedReceipt,
};
use crate::value::EnteId;

/// Why a flow source gave no answer.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct FlowSourceError {
    /// What failed, for operators (no secret in it).
    pub message: String,
    /// Whether trying later may help (timeouts, 5xx, 429); `false` for answers that will not
    /// change by themselves (401, 404, an answer not of the specification).
    pub transient: bool,
    /// The adapter's error.
    #[source]
    pub source: Option<BoxError>,
}

/// Where an Ente's flows are read from: the FdR REST API, or the SOAP `nodoChiedi…` calls.
#[async_trait]
pub trait FlowSource: Send + Sync {
    /// The flows of `ente` published after `after`, each at its latest revision, oldest
    /// publication first when the source says.
    async fn published(&self, ente: &EnteId, after: DateTime<Utc>) -> Result<Vec<PublishedFlow>, FlowSourceError>;
    /// One flow at the revision listed, with its raw documents.
    async fn fetch(&self, flow: &PublishedFlow) -> Result<FetchedFlow, FlowSourceError>;
    /// A name for logs and the fetch state (`fdr-rest`, `nodo-soap`).
    fn name(&self) -> &'static str;
    /// What the flows read are recorded as coming from.
    fn origin(&self) -> FlowOrigin {
        FlowOrigin::Rest
    }
}

/// Where a receipt the Node never delivered is read back from: pagoPA's receipts service
/// (biz-events), for the flow lines of code 0 or 4 whose `paSendRT` never reached us.
///
/// pagoPA throttles this service hard (10 calls an hour per subscription): the caller decides
/// how often to call; an adapter calls once per call, and answers 429 as a transient error.
#[async_trait]
pub trait ReceiptSource: Send + Sync {
    /// The receipt of IUV `iuv` with receipt id (IUR) `iur` paid to `ente`, recorded as
    /// delivered by `delivery` (the adapter sets its `raw_message` to the answer as received),
    /// or `None` when pagoPA holds none.
    async fn receipt(
        &self,
        ente: &EnteId,
        iur: &str,
        iuv: &str,
        delivery: Delivery,
    ) -> Result<Option<Receipt>, FlowSourceError>;
    /// A name for logs (`biz-events`).
    fn name(&self) -> &'static str;
}

/// A filter over stored flows, newest settlement first then key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlowQuery {
    /// The Ente.
    pub ente: Option<EnteId>,
    /// The PSP.
    pub psp: Option<PartyId>,
    /// Only this status.
    pub status: Option<FlowStatus>,
    /// Settlement day from (inclusive).
    pub from: Option<NaiveDate>,
    /// Settlement day to (inclusive).
    pub to: Option<NaiveDate>,
    /// Current revisions only (the default listing).
    pub current_only: bool,
    /// After this flow (the cursor of the previous page).
    pub after: Option<FlowCursor>,
    /// Page size, at most [`super::MAX_PAGE`].
    pub limit: u32,
}

/// Where a page of flows ends.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FlowCursor {
    /// Settlement day of the last flow.
    pub regulation_date: NaiveDate,
    /// Its key.
    pub key: FlowKey,
    /// Its revision.
    pub revision: u32,
}

/// A filter over anomalies, by id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AnomalyQuery {
    /// The Ente.
    pub ente: Option<EnteId>,
    /// Only this code.
    pub code: Option<AnomalyCode>,
    /// Only this status (all when `None`).
    pub status: Option<AnomalyStatus>,
    /// Day from (inclusive).
    pub from: Option<NaiveDate>,
    /// Day to (inclusive).
    pub to: Option<NaiveDate>,
    /// The PSP.
    pub psp: Option<PartyId>,
    /// Ids above this one (the cursor of the previous page).
    pub after: Option<u64>,
    /// Page size, at most [`super::MAX_PAGE`].
    pub limit: u32,
}

/// A filter over credits, by id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CreditQuery {
    /// The Ente.
    pub ente: Option<EnteId>,
    /// One statement's credits.
    pub statement: Option<u64>,
    /// Only the unmatched ones.
    pub unmatched_only: bool,
    /// Ids above this one.
    pub after: Option<u64>,
    /// Page size, at most [`super::MAX_PAGE`].
    pub limit: u32,
}

/// A flow line that reports a receipt, as the export and the status need it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LineLink {
    /// The transfer it reports (`None` when the flow gave no index).
    pub transfer_id: Option<u8>,
    /// The line's amount, in cents.
    pub amount_cents: i64,
    /// The flow.
    pub flow: FlowKey,
    /// Its revision (the current one).
    pub revision: u32,
    /// The flow's settlement day.
    pub regulation_date: NaiveDate,
    /// The credit that brought the flow's money, and its booking day.
    pub credit: Option<(u64, NaiveDate)>,
}

/// A receipt and the current flow lines matched to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptLinks {
    /// The receipt.
    pub receipt: StoredReceipt,
    /// The matched lines of current revisions.
    pub lines: Vec<LineLink>,
}

/// Where a page of receipts ends: payment time and id.
pub type ReceiptLinksCursor = (DateTime<Utc>, ReceiptId);

/// Flows, statements, anomalies and the fetch schedule.
///
/// Error contract as for the storage ports ([`StorageError`]). Every method is one
/// transaction.
#[async_trait]
pub trait ReconciliationRepository: Send + Sync {
    // ---- flows ----

    /// Stores a revision with its raw documents. A revision above the current one becomes
    /// current and the previous current one becomes [`FlowStatus::Superseded`] (kept as it
    /// was); the same revision again changes nothing; a lower one is stored, not current.
    async fn store_flow(
        &self,
        flow: &FlowRevision,
        origin: FlowOrigin,
        raw: &[RawDocument],
        now: DateTime<Utc>,
    ) -> Result<FlowStored, StorageError>;
    /// One revision with its lines and matches; the current one when `revision` is `None`.
    async fn flow(&self, key: &FlowKey, revision: Option<u32>) -> Result<Option<StoredFlow>, StorageError>;
    /// The raw documents of one revision, in the order stored.
    async fn flow_documents(&self, key: &FlowKey, revision: u32) -> Result<Vec<RawDocument>, StorageError>;
    /// Every stored revision of a flow, highest first.
    async fn flow_revisions(&self, key: &FlowKey) -> Result<Vec<FlowSummary>, StorageError>;
    /// A page of flows.
    async fn flows(&self, query: &FlowQuery) -> Result<Page<FlowSummary, FlowCursor>, StorageError>;
    /// Records how each line of a revision matched (in line order, one per line) and the
    /// revision's status.
    async fn save_flow_matching(
        &self,
        key: &FlowKey,
        revision: u32,
        matches: &[LineMatch],
        status: FlowStatus,
    ) -> Result<(), StorageError>;
    /// Current revisions that list `iur` on a line not matched to a receipt (to match again
    /// when that receipt arrives).
    async fn flows_awaiting_receipt(&self, ente: &EnteId, iur: &ReceiptId) -> Result<Vec<FlowKey>, StorageError>;
    /// Current revisions of `ente` with one of these flow ids (any PSP).
    async fn current_flows(&self, ente: &EnteId, flow_ids: &[FlowId]) -> Result<Vec<FlowSummary>, StorageError>;
    /// Current revisions, not cashed, with lines, settled before `settled_before`.
    async fn flows_awaiting_credit(
        &self,
        ente: &EnteId,
        settled_before: NaiveDate,
    ) -> Result<Vec<FlowSummary>, StorageError>;

    // ---- receipts, for matching ----

    /// The receipts delivered to `recipient` with these ids (those stored; any order).
    async fn receipts_by_ids(&self, recipient: &EnteId, ids: &[ReceiptId]) -> Result<Vec<StoredReceipt>, StorageError>;
    /// The receipts delivered to `recipient` for these IUVs (any order).
    async fn receipts_by_iuvs(&self, recipient: &EnteId, iuvs: &[String]) -> Result<Vec<StoredReceipt>, StorageError>;
    /// Receipts delivered to `ente`, paid in `[since, before)`, that no line of a current
    /// revision is matched to, by payment time.
    async fn unreported_receipts(
        &self,
        ente: &EnteId,
        since: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<UnreportedReceipt>, StorageError>;
    /// A page of the receipts delivered to `ente` paid in `[from, to)`, by payment time then
    /// id, each with the lines of current revisions matched to it.
    async fn receipts_with_links(
        &self,
        ente: &EnteId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        after: Option<&ReceiptLinksCursor>,
        limit: u32,
    ) -> Result<Page<ReceiptLinks, ReceiptLinksCursor>, StorageError>;

    // ---- bank ----

    /// Stores a statement and its credits (all [`CreditMatch::Unmatched`], with the reference
    /// their remittance carries), or finds the one with the same digest for the Ente.
    async fn store_statement(
        &self,
        statement: &BankStatement,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<StatementStored, StorageError>;
    /// The statements of an Ente, newest first.
    async fn statements(&self, ente: &EnteId) -> Result<Vec<StatementSummary>, StorageError>;
    /// A page of credits.
    async fn credits(&self, query: &CreditQuery) -> Result<Page<StoredCredit, u64>, StorageError>;
    /// Credits of `ente` whose remittance names one of these flow ids.
    async fn credits_for_flows(&self, ente: &EnteId, flow_ids: &[FlowId]) -> Result<Vec<StoredCredit>, StorageError>;
    /// Records what credits matched. A [`CreditMatch::Flow`] also marks the flow's current
    /// revision [`FlowStatus::Cashed`] with the credit's id; a credit that no longer matches a
    /// flow takes that mark back (the flow returns to `reconciled` or `anomalous` as its
    /// matching said).
    async fn save_credit_matches(
        &self,
        ente: &EnteId,
        matches: &[(u64, CreditMatch)],
        now: DateTime<Utc>,
    ) -> Result<(), StorageError>;

    // ---- anomalies ----

    /// Replaces what one matching pass found: each draft is inserted, or updated by (Ente,
    /// code, key) keeping a resolution (a cleared one found again is open again); anomalies of
    /// the scope that were open and are not found are cleared.
    async fn sync_anomalies(
        &self,
        ente: &EnteId,
        scope: &AnomalyScope,
        found: &[AnomalyDraft],
        now: DateTime<Utc>,
    ) -> Result<AnomalySync, StorageError>;
    /// A page of anomalies.
    async fn anomalies(&self, query: &AnomalyQuery) -> Result<Page<Anomaly, u64>, StorageError>;
    /// One anomaly.
    async fn anomaly(&self, ente: &EnteId, id: u64) -> Result<Option<Anomaly>, StorageError>;
    /// Marks an anomaly resolved by `actor` with `note` (audited); `None` if there is no
    /// such anomaly of the Ente.
    async fn resolve_anomaly(
        &self,
        ente: &EnteId,
        id: u64,
        actor: &str,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Anomaly>, StorageError>;
    /// Open anomalies per day and code, days in `[from, to]`.
    async fn anomaly_counts(
        &self,
        ente: &EnteId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, AnomalyCode, u64)>, StorageError>;

    // ---- the scheduled fetch ----

    /// Takes the lease of an Ente's fetch for `worker` until `until`, if it is due at `now`
    /// (or `force`) and nobody else holds it; creates the state, due now, when there is none.
    async fn claim_fetch(
        &self,
        ente: &EnteId,
        worker: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        force: bool,
    ) -> Result<Option<FetchState>, StorageError>;
    /// Saves a fetch's outcome and releases the lease, if `worker` still holds it (returns
    /// whether it did).
    async fn finish_fetch(&self, state: &FetchState, worker: &str) -> Result<bool, StorageError>;
    /// The fetch state of an Ente, if it was ever fetched.
    async fn fetch_state(&self, ente: &EnteId) -> Result<Option<FetchState>, StorageError>;
}
