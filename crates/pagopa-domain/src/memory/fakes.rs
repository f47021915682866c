//! Fakes for the non-storage ports.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::model::{CartId, Ente, ExpiryNotification, PaymentNotification, PositionDraft};
use crate::ports::{
    CheckoutCart, CheckoutError, CheckoutRedirect, Clock, Gestionale, GestionaleError, GestionaleQuote, IdGenerator,
    PagoPaCheckout, PricingRequest,
};
use crate::value::{EnteId, FiscalCode, NoticeNumber};

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind, still usable by other tests.
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A clock that only moves when told.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Mutex::new(start))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        *lock(&self.0) += by;
    }

    /// Sets the clock.
    pub fn set(&self, to: DateTime<Utc>) {
        *lock(&self.0) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *lock(&self.0)
    }
}

/// Cart ids `cart-1`, `cart-2`, …
#[derive(Debug, Default)]
pub struct SequentialIds(AtomicU64);

impl IdGenerator for SequentialIds {
    fn cart_id(&self) -> CartId {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        format!("cart-{n}")
            .parse()
            .unwrap_or_else(|_| unreachable!("'cart-' and digits form a valid cart id"))
    }

    /// Import ids count across the whole process: a load's record outlives the ports it was
    /// made with, so ids of different `SequentialIds` must not collide.
    fn import_id(&self) -> crate::model::ImportId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let mut bytes = [0u8; 16];
        bytes[8..].copy_from_slice(&n.to_be_bytes());
        crate::model::ImportId::from_random(bytes)
    }
}

/// A gestionale held in memory: positions per (Ente, debtor), a price per service, and the
/// notifications it received (each receipt once, as a real idempotent gestionale would).
#[derive(Debug, Default)]
pub struct FakeGestionale {
    positions: Mutex<HashMap<(EnteId, FiscalCode), Vec<PositionDraft>>>,
    notices: Mutex<HashMap<(EnteId, NoticeNumber), PositionDraft>>,
    quotes: Mutex<HashMap<String, GestionaleQuote>>,
    rejections: Mutex<HashMap<String, GestionaleError>>,
    notifications: Mutex<Vec<PaymentNotification>>,
    expiries: Mutex<Vec<ExpiryNotification>>,
    down: Mutex<bool>,
}

impl FakeGestionale {
    /// Positions the gestionale will return for a debtor at an Ente.
    pub fn hold_positions(&self, ente: &EnteId, debtor: &FiscalCode, drafts: Vec<PositionDraft>) {
        lock(&self.positions).insert((ente.clone(), debtor.clone()), drafts);
    }

    /// A position the gestionale will return when asked for one of its notices on demand.
    pub fn hold_notice(&self, ente: &EnteId, draft: PositionDraft) {
        for option in &draft.options {
            lock(&self.notices).insert((ente.clone(), option.notice_number.clone()), draft.clone());
        }
    }

    /// The price of a gestionale-priced service.
    pub fn set_quote(&self, service: &str, quote: GestionaleQuote) {
        lock(&self.quotes).insert(service.to_owned(), quote);
    }

    /// Makes the gestionale refuse to price a service.
    pub fn reject(&self, service: &str, error: GestionaleError) {
        lock(&self.rejections).insert(service.to_owned(), error);
    }

    /// Takes the gestionale down (every call fails) or brings it back.
    pub fn set_down(&self, down: bool) {
        *lock(&self.down) = down;
    }

    /// The notifications received so far.
    pub fn notifications(&self) -> Vec<PaymentNotification> {
        lock(&self.notifications).clone()
    }

    /// The expiry notices received so far (each position and due date once).
    pub fn expiries(&self) -> Vec<ExpiryNotification> {
        lock(&self.expiries).clone()
    }

    fn check_up(&self) -> Result<(), GestionaleError> {
        if *lock(&self.down) {
            Err(GestionaleError::Unavailable("the fake gestionale is down".into()))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl Gestionale for FakeGestionale {
    async fn debtor_positions(&self, ente: &Ente, debtor: &FiscalCode) -> Result<Vec<PositionDraft>, GestionaleError> {
        self.check_up()?;
        Ok(lock(&self.positions)
            .get(&(ente.id.clone(), debtor.clone()))
            .cloned()
            .unwrap_or_default())
    }

    async fn notice(&self, ente: &Ente, notice: &NoticeNumber) -> Result<Option<PositionDraft>, GestionaleError> {
        self.check_up()?;
        Ok(lock(&self.notices).get(&(ente.id.clone(), notice.clone())).cloned())
    }

    async fn price(&self, request: &PricingRequest) -> Result<GestionaleQuote, GestionaleError> {
        self.check_up()?;
        if let Some(error) = lock(&self.rejections).remove(request.service.as_str()) {
            return Err(error);
        }
        lock(&self.quotes)
            .get(request.service.as_str())
            .cloned()
            .ok_or(GestionaleError::Unsupported)
    }

    async fn notify_payment(&self, notification: &PaymentNotification) -> Result<(), GestionaleError> {
        self.check_up()?;
        let mut received = lock(&self.notifications);
        if !received
            .iter()
            .any(|n| n.receipt_id == notification.receipt_id && n.ente == notification.ente)
        {
            received.push(notification.clone());
        }
        Ok(())
    }

    async fn notify_expiry(&self, notification: &ExpiryNotification) -> Result<(), GestionaleError> {
        self.check_up()?;
        let mut received = lock(&self.expiries);
        if !received.iter().any(|n| {
            n.ente == notification.ente && n.iupd == notification.iupd && n.last_due_date == notification.last_due_date
        }) {
            received.push(notification.clone());
        }
        Ok(())
    }
}

/// A Checkout that records carts and answers with a URL, or fails when told.
#[derive(Debug, Default)]
pub struct FakeCheckout {
    carts: Mutex<Vec<CheckoutCart>>,
    next_failure: Mutex<Option<CheckoutError>>,
}

impl FakeCheckout {
    /// Makes the next call fail with `error`.
    pub fn fail_next(&self, error: CheckoutError) {
        *lock(&self.next_failure) = Some(error);
    }

    /// The carts started so far.
    pub fn carts(&self) -> Vec<CheckoutCart> {
        lock(&self.carts).clone()
    }
}

#[async_trait]
impl PagoPaCheckout for FakeCheckout {
    async fn start_cart(&self, cart: &CheckoutCart) -> Result<CheckoutRedirect, CheckoutError> {
        if let Some(error) = lock(&self.next_failure).take() {
            return Err(error);
        }
        lock(&self.carts).push(cart.clone());
        Ok(CheckoutRedirect {
            url: format!("https://checkout.example.invalid/c/{}", cart.cart_id),
        })
    }
}
