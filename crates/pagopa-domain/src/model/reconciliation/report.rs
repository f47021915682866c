//! What the accounting office reads: the status per day, the export of collected payments, and
//! the state of each Ente's scheduled fetch.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::model::{FlowId, PartyId, ReceiptId, StoredReceipt};
use crate::value::EnteId;

/// Counts and sums of one kind, in cents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tally {
    /// How many.
    pub count: u64,
    /// Their sum, in cents.
    pub cents: i64,
}

impl Tally {
    /// Adds one of `cents`.
    pub fn add(&mut self, cents: i64) {
        self.count += 1;
        self.cents += cents;
    }
}

/// The reconciliation of one day's payments (by the receipts' payment day), for the Ente's
/// transfers.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DayStatus {
    /// The payment day (Europe/Rome).
    pub day: NaiveDate,
    /// Receipts' transfers to the Ente.
    pub receipts: Tally,
    /// Those a current flow reports.
    pub reported: Tally,
    /// Those whose flow's credit was found.
    pub cashed: Tally,
    /// Open anomalies of that day, by code.
    pub anomalies: BTreeMap<String, u64>,
}

/// One collected transfer with everything that proves it: the row of the export the
/// accounting entries are made from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CollectedPayment {
    /// The Ente credited.
    pub ente: EnteId,
    /// The receipt.
    pub receipt_id: ReceiptId,
    /// The IUV.
    pub iuv: String,
    /// The notice number.
    pub notice_number: String,
    /// The transfer, 1..=5.
    pub transfer_id: u8,
    /// The transfer's amount in cents.
    pub amount_cents: i64,
    /// `transferCategory`.
    pub category: String,
    /// The remittance text.
    pub remittance: String,
    /// The legal payment time.
    pub paid_at: DateTime<Utc>,
    /// The PSP.
    pub psp: PartyId,
    /// The flow reporting it, with its revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_id: Option<FlowId>,
    /// The revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_revision: Option<u32>,
    /// The flow's settlement day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regulation_date: Option<NaiveDate>,
    /// The bank credit that brought the money.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_id: Option<u64>,
    /// Its booking day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_date: Option<NaiveDate>,
}

/// Where an export page ends: the last receipt written (payment time and id).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CollectedCursor {
    /// Payment time of the last row.
    pub paid_at: DateTime<Utc>,
    /// Receipt of the last row.
    pub receipt_id: ReceiptId,
    /// Its transfer.
    pub transfer_id: u8,
}

/// A receipt no current flow reports, for the sweep.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UnreportedReceipt {
    /// The receipt.
    pub receipt_id: ReceiptId,
    /// Its IUV.
    pub iuv: String,
    /// The legal payment time.
    pub paid_at: DateTime<Utc>,
    /// The amount the flows would report, in cents: its transfers credited to the Ente.
    pub amount_cents: i64,
    /// The PSP.
    pub psp: PartyId,
}

impl UnreportedReceipt {
    /// What flows would report of `stored` to `ente`: its transfers credited to the Ente's
    /// accounts (a digital stamp is never in a flow). `None` when there is none, so a receipt
    /// of stamps alone is never waited for.
    pub fn of(stored: &StoredReceipt, ente: &EnteId) -> Option<Self> {
        let receipt = &stored.receipt;
        let credited: Vec<_> = receipt.transfers.iter().filter(|t| t.is_credited_to(ente)).collect();
        if credited.is_empty() {
            return None;
        }
        Some(Self {
            receipt_id: receipt.receipt_id.clone(),
            iuv: receipt.creditor_reference_id.as_str().to_owned(),
            paid_at: receipt.paid_at(),
            amount_cents: credited.iter().map(|t| t.amount.cents() as i64).sum(),
            psp: receipt.psp.id.clone(),
        })
    }
}

/// The scheduled fetch of one Ente's flows.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FetchState {
    /// The Ente.
    pub ente: EnteId,
    /// Flows published after this instant are still to be read (the `publishedGt` of the next
    /// listing, less a margin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<DateTime<Utc>>,
    /// When the next fetch is due.
    pub next_at: DateTime<Utc>,
    /// Failed fetches in a row (the back-off grows with them).
    pub failures: u32,
    /// The last failure, for operators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The last fetch that succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success: Option<DateTime<Utc>>,
}
