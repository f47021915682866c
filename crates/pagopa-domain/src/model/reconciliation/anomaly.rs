//! Anomalies: what does not add up between receipts, flows and bank credits, kept as a work
//! list the accounting office clears.

use chrono::{DateTime, NaiveDate, Utc};

use crate::model::{FlowId, PartyId, ReceiptId};
use crate::value::EnteId;

/// What kind of anomaly; the names are stable (stored, filtered on, documented).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyCode {
    /// A flow line (code 0 or 4) whose receipt is not here.
    LineWithoutReceipt,
    /// A flow line with code 8 or 9: paid, and no receipt will come. The payment must be
    /// recorded against its position by hand.
    ExecutedWithoutReceipt,
    /// A receipt no flow has reported, days after the payment.
    ReceiptWithoutFlow,
    /// A flow line whose amount is not that of the receipt's transfer.
    AmountDiffers,
    /// A revoked payment (code 3): money going back to the payer.
    RevokedPayment,
    /// The same IUV, IUR and transfer twice in a flow (a revocation repeating its payment aside).
    DuplicateLine,
    /// The declared count or total of a flow is not that of its lines.
    FlowTotalsMismatch,
    /// A flow line for an IUV of another intermediary.
    ForeignIuv,
    /// A new revision of a flow that had been reconciled, with different lines.
    RevisionChangedReconciled,
    /// A bank credit that matches no flow and no payment.
    CreditUnmatched,
    /// A bank credit naming a flow, for another amount.
    CreditAmountDiffers,
    /// A flow whose credit has not been found days after its settlement date.
    FlowNotCashed,
}

impl AnomalyCode {
    /// Every code.
    pub const ALL: [Self; 12] = [
        Self::LineWithoutReceipt,
        Self::ExecutedWithoutReceipt,
        Self::ReceiptWithoutFlow,
        Self::AmountDiffers,
        Self::RevokedPayment,
        Self::DuplicateLine,
        Self::FlowTotalsMismatch,
        Self::ForeignIuv,
        Self::RevisionChangedReconciled,
        Self::CreditUnmatched,
        Self::CreditAmountDiffers,
        Self::FlowNotCashed,
    ];

    /// Short stable name, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LineWithoutReceipt => "line_without_receipt",
            Self::ExecutedWithoutReceipt => "executed_without_receipt",
            Self::ReceiptWithoutFlow => "receipt_without_flow",
            Self::AmountDiffers => "amount_differs",
            Self::RevokedPayment => "revoked_payment",
            Self::DuplicateLine => "duplicate_line",
            Self::FlowTotalsMismatch => "flow_totals_mismatch",
            Self::ForeignIuv => "foreign_iuv",
            Self::RevisionChangedReconciled => "revision_changed_reconciled",
            Self::CreditUnmatched => "credit_unmatched",
            Self::CreditAmountDiffers => "credit_amount_differs",
            Self::FlowNotCashed => "flow_not_cashed",
        }
    }

    /// The code a stored name stands for.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|code| code.as_str() == name)
    }

    /// What the office should do, for the work list.
    pub fn action(self) -> &'static str {
        match self {
            Self::LineWithoutReceipt => {
                "Recover the receipt (pagoPA biz-events, or ask the PSP); the position stays unpaid until it arrives."
            }
            Self::ExecutedWithoutReceipt => {
                "Record the payment against its position by hand: the PSP collected it and no receipt will come."
            }
            Self::ReceiptWithoutFlow => "Ask the PSP for the flow that reports this payment.",
            Self::AmountDiffers => "Compare the receipt with the flow line and ask the PSP to correct the flow.",
            Self::RevokedPayment => "Refund or reopen the position: the PSP has taken the money back.",
            Self::DuplicateLine => "Ask the PSP to publish a corrected revision of the flow.",
            Self::FlowTotalsMismatch => "Ask the PSP to publish a corrected revision of the flow.",
            Self::ForeignIuv => "Tell the PSP: the payment belongs to another intermediary's Ente or station.",
            Self::RevisionChangedReconciled => "Check the accounting entries made from the earlier revision.",
            Self::CreditUnmatched => "Find the flow or the payment the credit belongs to, or book it by hand.",
            Self::CreditAmountDiffers => "Compare the credit with the flow's total and ask the PSP.",
            Self::FlowNotCashed => "Check the treasury account, then ask the PSP for the credit transfer.",
        }
    }
}

/// Where an anomaly stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyStatus {
    /// To look at.
    Open,
    /// An operator resolved it, with a note.
    Resolved,
    /// The condition no longer holds (the receipt, flow or credit arrived).
    Cleared,
}

impl AnomalyStatus {
    /// Short stable name, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Resolved => "resolved",
            Self::Cleared => "cleared",
        }
    }

    /// The status a stored name stands for.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Open, Self::Resolved, Self::Cleared]
            .into_iter()
            .find(|status| status.as_str() == name)
    }
}

/// What an anomaly links to.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AnomalyLinks {
    /// The IUV.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iuv: Option<String>,
    /// The IUR (receipt id, as the flow wrote it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iur: Option<String>,
    /// The flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_id: Option<FlowId>,
    /// The flow's revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_revision: Option<u32>,
    /// The receipt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_id: Option<ReceiptId>,
    /// The bank credit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_id: Option<u64>,
}

/// An anomaly as found by a matching pass, before it is stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AnomalyDraft {
    /// What kind.
    pub code: AnomalyCode,
    /// What it is about, unique with the code within the Ente (`flow/<psp>/<id>/<line>`,
    /// `receipt/<id>`, `credit/<id>`, …): finding the same anomaly again updates it.
    pub key: String,
    /// The day it concerns (payment, settlement or booking day).
    pub day: NaiveDate,
    /// The PSP, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psp: Option<PartyId>,
    /// The amount at stake in cents, when there is one (the difference, the line, the credit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_cents: Option<i64>,
    /// What it links.
    pub links: AnomalyLinks,
    /// What was found, for people.
    pub detail: String,
}

/// An anomaly as kept.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Anomaly {
    /// Unique id.
    pub id: u64,
    /// The Ente.
    pub ente: EnteId,
    /// The matching pass that owns it (see [`AnomalyScope`]).
    pub scope: String,
    /// What was found.
    #[serde(flatten)]
    pub draft: AnomalyDraft,
    /// Where it stands.
    pub status: AnomalyStatus,
    /// When first found.
    pub first_seen: DateTime<Utc>,
    /// When last found (or cleared).
    pub last_seen: DateTime<Utc>,
    /// Who resolved it, when, and the note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
}

/// An operator's resolution of an anomaly.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Resolution {
    /// Who.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Why, in the operator's words.
    pub note: String,
}

/// The matching pass that finds a set of anomalies and, run again, clears those it no longer
/// finds. Each is one string in storage.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AnomalyScope {
    /// The matching of a flow (every revision shares it: a new revision replaces the findings).
    Flow {
        /// The PSP.
        psp: PartyId,
        /// The flow.
        flow_id: FlowId,
    },
    /// The comparison of a flow's new revision with the one it replaced.
    FlowRevisions {
        /// The PSP.
        psp: PartyId,
        /// The flow.
        flow_id: FlowId,
    },
    /// The matching of a statement's credits.
    Statement(u64),
    /// The sweep for receipts no flow reported in time.
    ReceiptsWithoutFlow,
    /// The sweep for flows whose credit did not come.
    FlowsNotCashed,
}

impl AnomalyScope {
    /// The scope as stored.
    pub fn key(&self) -> String {
        match self {
            Self::Flow { psp, flow_id } => format!("flow/{psp}/{flow_id}"),
            Self::FlowRevisions { psp, flow_id } => format!("revisions/{psp}/{flow_id}"),
            Self::Statement(id) => format!("statement/{id}"),
            Self::ReceiptsWithoutFlow => "sweep/receipts_without_flow".into(),
            Self::FlowsNotCashed => "sweep/flows_not_cashed".into(),
        }
    }
}

/// What syncing a pass's findings did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AnomalySync {
    /// Found for the first time (or found again after being cleared).
    pub opened: u64,
    /// Found again, still open or resolved: updated.
    pub kept: u64,
    /// Open before, not found this time: cleared.
    pub cleared: u64,
}
