//! Checkout carts (carrelli, modello 1): 1..5 notices paid together through pagoPA Checkout.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};

use crate::model::{CartId, Email};
use crate::value::{AmountCents, EnteId, FiscalCode, NoticeNumber, Text};

/// One notice of a cart, with what Checkout shows of it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CartItem {
    /// The creditor Ente.
    pub ente: EnteId,
    /// The notice.
    pub notice_number: NoticeNumber,
    /// The amount due when the cart started.
    pub amount: AmountCents,
    /// The Ente's name.
    pub company_name: Text<140>,
    /// What is paid.
    pub description: Text<140>,
}

/// Where the browser returns after Checkout. Only user experience: the outcome comes from the
/// receipts.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReturnUrls {
    /// After a successful payment.
    pub ok: String,
    /// After the payer cancelled.
    pub cancel: String,
    /// After an error.
    pub error: String,
    /// Checkout v2: outcome unknown after a timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<String>,
}

/// Where a cart is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CartStatus {
    /// Stored, Checkout not answered yet (past the session lifetime it becomes `Uncertain`).
    Created,
    /// Checkout gave a redirect URL; the citizen is paying.
    InProgress,
    /// Every notice has its receipt.
    Paid,
    /// Checkout refused the cart or could not be reached: nothing can be paid through it.
    Failed,
    /// The payment session may have expired without every receipt: the outcome is not known and
    /// the notices are payable again. A late receipt still makes the cart `Paid`.
    Uncertain,
}

impl CartStatus {
    /// Whether the state machine allows going from `self` to `to`.
    pub fn can_become(self, to: CartStatus) -> bool {
        use CartStatus::*;
        matches!(
            (self, to),
            (Created, InProgress | Failed | Paid | Uncertain)
                | (InProgress, Paid | Uncertain | Failed)
                | (Uncertain, Paid)
        )
    }

    /// Short stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::InProgress => "in_progress",
            Self::Paid => "paid",
            Self::Failed => "failed",
            Self::Uncertain => "uncertain",
        }
    }

    /// Whether the cart still holds its notices (no other cart may take them).
    pub fn holds_notices(self) -> bool {
        matches!(self, Self::Created | Self::InProgress)
    }
}

/// A Checkout cart.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cart {
    /// Our id, sent to Checkout as `idCart` and echoed by the Node as `paymentNote`.
    pub id: CartId,
    /// 1..5 distinct notices.
    pub items: Vec<CartItem>,
    /// The citizen who started it, when authenticated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citizen: Option<FiscalCode>,
    /// Where Checkout sends the receipt e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    /// Where the browser returns.
    pub return_urls: ReturnUrls,
    /// Status.
    pub status: CartStatus,
    /// The Checkout page to send the browser to, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout_url: Option<String>,
    /// Why Checkout failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: u64,
}

/// Why a cart cannot be made or changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CartError {
    /// No notice.
    #[error("a cart needs at least one notice")]
    Empty,
    /// More than five notices.
    #[error("a cart holds at most {max} notices, not {actual}", max = Cart::MAX_ITEMS)]
    TooManyNotices {
        /// How many were given.
        actual: usize,
    },
    /// The same notice twice.
    #[error("notice {0} appears twice in the cart")]
    DuplicateNotice(NoticeNumber),
    /// The state machine forbids this change.
    #[error("a cart cannot go from {from:?} to {to:?}")]
    IllegalTransition {
        /// Current status.
        from: CartStatus,
        /// Requested status.
        to: CartStatus,
    },
}

impl Cart {
    /// The most notices a Checkout cart takes.
    pub const MAX_ITEMS: usize = 5;

    /// A new cart in status `Created`, after checking the number and uniqueness of its notices.
    pub fn new(
        id: CartId,
        items: Vec<CartItem>,
        citizen: Option<FiscalCode>,
        email: Option<Email>,
        return_urls: ReturnUrls,
        now: DateTime<Utc>,
    ) -> Result<Self, CartError> {
        check_items(items.iter().map(|i| (&i.ente, &i.notice_number)))?;
        Ok(Self {
            id,
            items,
            citizen,
            email,
            return_urls,
            status: CartStatus::Created,
            checkout_url: None,
            failure: None,
            created_at: now,
            updated_at: now,
            version: 0,
        })
    }

    /// The total of the cart.
    pub fn total(&self) -> Option<AmountCents> {
        AmountCents::sum(self.items.iter().map(|i| i.amount)).ok()
    }

    /// Moves to `to` if the state machine allows it.
    pub fn transition(&mut self, to: CartStatus, now: DateTime<Utc>) -> Result<(), CartError> {
        if !self.status.can_become(to) {
            return Err(CartError::IllegalTransition { from: self.status, to });
        }
        self.status = to;
        self.updated_at = now;
        Ok(())
    }

    /// The status the cart should have now, given which of its items are paid (in item order)
    /// and how long a payment session lives: `Paid` once every item is paid, `Uncertain` once
    /// the session may have expired without that. Other statuses stay.
    pub fn evaluate(&self, items_paid: &[bool], now: DateTime<Utc>, session_lifetime: Duration) -> CartStatus {
        let all_paid = !items_paid.is_empty() && items_paid.len() == self.items.len() && items_paid.iter().all(|p| *p);
        match self.status {
            CartStatus::Created | CartStatus::InProgress | CartStatus::Uncertain if all_paid => CartStatus::Paid,
            // A cart left `Created` (its second write failed, or the process died during the
            // Checkout call) may have a live Checkout session just as one in progress: past the
            // session lifetime both are uncertain, and their notices are free again.
            CartStatus::Created | CartStatus::InProgress if now >= self.created_at + session_lifetime => {
                CartStatus::Uncertain
            }
            other => other,
        }
    }
}

/// Checks that 1..=5 distinct notices are given.
pub fn check_items<'a>(items: impl IntoIterator<Item = (&'a EnteId, &'a NoticeNumber)>) -> Result<(), CartError> {
    let mut seen = HashSet::new();
    for (ente, notice) in items {
        if !seen.insert((ente, notice)) {
            return Err(CartError::DuplicateNotice(notice.clone()));
        }
    }
    match seen.len() {
        0 => Err(CartError::Empty),
        n if n > Cart::MAX_ITEMS => Err(CartError::TooManyNotices { actual: n }),
        _ => Ok(()),
    }
}
