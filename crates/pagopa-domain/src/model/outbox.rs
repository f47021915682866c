//! The outbox: messages to the gestionale written in the same transaction as the change they
//! report, and delivered until acknowledged.

use chrono::{DateTime, Duration, Utc};

use crate::model::{Iupd, ReceiptDisposition, ReceiptId};
use crate::value::{AmountCents, EnteId, Iuv, NoticeNumber};

/// What the gestionale is told about a payment.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PaymentNotification {
    /// The receipt (payment token).
    pub receipt_id: ReceiptId,
    /// The creditor Ente.
    pub ente: EnteId,
    /// The notice paid.
    pub notice_number: NoticeNumber,
    /// Its IUV.
    pub iuv: Iuv,
    /// The position, when known.
    pub iupd: Option<Iupd>,
    /// The amount paid.
    pub amount: AmountCents,
    /// When paid.
    pub paid_at: DateTime<Utc>,
    /// What the receipt meant.
    pub disposition: ReceiptDisposition,
    /// The PSP's name.
    pub psp_name: String,
}

/// A message for the gestionale.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum OutboxEvent {
    /// A receipt arrived.
    PaymentReceived(PaymentNotification),
}

impl OutboxEvent {
    /// The Ente whose gestionale receives it.
    pub fn ente(&self) -> &EnteId {
        match self {
            Self::PaymentReceived(n) => &n.ente,
        }
    }

    /// A key unique per event, so a message enqueued twice is delivered once.
    pub fn dedup_key(&self) -> String {
        match self {
            Self::PaymentReceived(n) => format!("payment:{}:{}", n.ente, n.receipt_id),
        }
    }
}

/// A message in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutboxMessage {
    /// Storage-assigned id.
    pub id: u64,
    /// What to deliver.
    pub event: OutboxEvent,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// Not to be tried before this instant.
    pub available_at: DateTime<Utc>,
    /// When enqueued.
    pub created_at: DateTime<Utc>,
    /// The last delivery error.
    pub last_error: Option<String>,
    /// When the gestionale acknowledged it.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// When to try again after a failed delivery: exponential back-off from `base`, capped at `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay after the first failure.
    pub base: Duration,
    /// Longest delay.
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::seconds(10),
            max: Duration::hours(1),
        }
    }
}

impl RetryPolicy {
    /// The delay before attempt `attempts + 1`, after `attempts` failures (at least one).
    pub fn delay(&self, attempts: u32) -> Duration {
        let exponent = attempts.saturating_sub(1).min(20);
        let delay = self.base * 2i32.pow(exponent);
        delay.min(self.max)
    }
}
