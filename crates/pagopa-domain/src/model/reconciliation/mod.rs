//! Reconciliation: the PSPs' flows (FdR) matched to the receipts, the bank's credits matched to
//! the flows, and the anomalies the accounting office works through.
//!
//! - [`flow`]: a flow revision and its lines, as fetched or uploaded, and how each line matched.
//! - [`bank`]: statements, credits, and what a credit's remittance information points to.
//! - [`anomaly`]: the work list.
//! - [`report`]: the status per day, the export, and the scheduled fetch's state.

pub mod anomaly;
pub mod bank;
pub mod flow;
pub mod report;

pub use anomaly::{
    Anomaly, AnomalyCode, AnomalyDraft, AnomalyLinks, AnomalyScope, AnomalyStatus, AnomalySync, Resolution,
};
pub use bank::{
    BankCredit, BankStatement, CreditMatch, CreditReference, MAX_STATEMENT_CREDITS, StatementFormat, StatementStored,
    StatementSummary, StoredCredit,
};
pub use flow::{
    FetchedFlow, FlowError, FlowKey, FlowLine, FlowOrigin, FlowRevision, FlowStatus, FlowStored, FlowSummary,
    LineMatch, LineOutcome, MAX_FLOW_LINES, PublishedFlow, RawDocument, StoredFlow,
};
pub use report::{CollectedCursor, CollectedPayment, DayStatus, FetchState, Tally, UnreportedReceipt};
