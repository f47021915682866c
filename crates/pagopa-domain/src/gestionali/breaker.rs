//! A circuit breaker around one gestionale: after repeated failures it stops calling for a
//! cool-down, so a gestionale that is down costs no time budget and no connection per call.

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::model::{
    CancellationNotification, DeliveryLimits, Ente, ExpiryNotification, PaymentNotification, PositionDraft,
};
use crate::ports::{Clock, Gestionale, GestionaleError, GestionaleQuote, PricingRequest};
use crate::value::{EnteId, FiscalCode, NoticeNumber};

/// Where a breaker stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls fail at once as unavailable until the cool-down ends.
    Open,
    /// The cool-down ended: one trial call goes through, its outcome closes or reopens it.
    HalfOpen,
}

/// What a breaker reports (in `/health/ready` and `/metrics`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BreakerStatus {
    /// The state.
    pub state: BreakerState,
    /// Failures in a row so far.
    pub consecutive_failures: u32,
    /// When an open breaker lets a trial call through.
    pub open_until: Option<DateTime<Utc>>,
}

#[derive(Debug)]
struct Inner {
    consecutive_failures: u32,
    open_until: Option<DateTime<Utc>>,
    trial_in_flight: bool,
}

/// Why a call was not made: the source of the [`GestionaleError::Unavailable`] an open
/// breaker answers.
#[derive(Debug, thiserror::Error)]
#[error("the gestionale failed {failures} times in a row: calls are suspended until {until}")]
pub struct CircuitOpen {
    /// Failures in a row.
    pub failures: u32,
    /// When a trial call is allowed.
    pub until: DateTime<Utc>,
}

/// A [`Gestionale`] that guards another with a circuit breaker: after `threshold`
/// consecutive failures (unavailable or a protocol error; a refusal or `Unsupported` is an
/// answer, not a failure) it answers `Unavailable` without calling for `cool_down`, then lets
/// one trial call through.
///
/// ```
/// use std::sync::Arc;
/// use chrono::Duration;
/// use pagopa_domain::gestionali::{BreakerState, GuardedGestionale};
/// use pagopa_domain::ports::SystemClock;
/// # use pagopa_domain::ports::{Gestionale, GestionaleError, GestionaleQuote, PricingRequest};
/// # use pagopa_domain::{Ente, FiscalCode, PaymentNotification, PositionDraft};
/// # struct Down;
/// # #[async_trait::async_trait]
/// # impl Gestionale for Down {
/// #     async fn debtor_positions(&self, _: &Ente, _: &FiscalCode) -> Result<Vec<PositionDraft>, GestionaleError> { unimplemented!() }
/// #     async fn price(&self, _: &PricingRequest) -> Result<GestionaleQuote, GestionaleError> { unimplemented!() }
/// #     async fn notify_payment(&self, _: &PaymentNotification) -> Result<(), GestionaleError> { unimplemented!() }
/// # }
///
/// let guarded = GuardedGestionale::new(Arc::new(Down), Arc::new(SystemClock), 5, Duration::seconds(30));
/// assert_eq!(guarded.status().state, BreakerState::Closed);
/// ```
pub struct GuardedGestionale {
    inner: Arc<dyn Gestionale>,
    clock: Arc<dyn Clock>,
    threshold: u32,
    cool_down: Duration,
    state: Mutex<Inner>,
}

impl std::fmt::Debug for GuardedGestionale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardedGestionale")
            .field("threshold", &self.threshold)
            .field("cool_down", &self.cool_down)
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

/// Failures in a row that open a breaker, by default.
pub const DEFAULT_BREAKER_THRESHOLD: u32 = 5;

/// How long an open breaker stays open, by default.
pub const DEFAULT_BREAKER_COOL_DOWN_SECS: i64 = 30;

impl GuardedGestionale {
    /// `inner` behind a breaker that opens after `threshold` (at least 1) failures in a row.
    pub fn new(inner: Arc<dyn Gestionale>, clock: Arc<dyn Clock>, threshold: u32, cool_down: Duration) -> Self {
        Self {
            inner,
            clock,
            threshold: threshold.max(1),
            cool_down,
            state: Mutex::new(Inner {
                consecutive_failures: 0,
                open_until: None,
                trial_in_flight: false,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The state is a few counters, consistent after any panic between two statements.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Where the breaker stands now.
    pub fn status(&self) -> BreakerStatus {
        let inner = self.lock();
        let now = self.clock.now();
        let state = match inner.open_until {
            None => BreakerState::Closed,
            Some(until) if now < until => BreakerState::Open,
            Some(_) => BreakerState::HalfOpen,
        };
        BreakerStatus {
            state,
            consecutive_failures: inner.consecutive_failures,
            open_until: inner.open_until,
        }
    }

    /// Whether a call may go now; reserves the trial call of a half-open breaker.
    fn permit(&self) -> Result<(), GestionaleError> {
        let mut inner = self.lock();
        let Some(until) = inner.open_until else {
            return Ok(());
        };
        if self.clock.now() >= until && !inner.trial_in_flight {
            inner.trial_in_flight = true;
            return Ok(());
        }
        Err(GestionaleError::Unavailable(Box::new(CircuitOpen {
            failures: inner.consecutive_failures,
            until,
        })))
    }

    fn record<T>(&self, result: &Result<T, GestionaleError>) {
        let failed = matches!(
            result,
            Err(GestionaleError::Unavailable(_) | GestionaleError::Protocol(_))
        );
        let mut inner = self.lock();
        inner.trial_in_flight = false;
        if failed {
            inner.consecutive_failures = inner.consecutive_failures.saturating_add(1);
            if inner.consecutive_failures >= self.threshold {
                inner.open_until = Some(self.clock.now() + self.cool_down);
            }
        } else {
            inner.consecutive_failures = 0;
            inner.open_until = None;
        }
    }

    async fn guarded<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, GestionaleError>>,
    ) -> Result<T, GestionaleError> {
        self.permit()?;
        let result = call.await;
        self.record(&result);
        result
    }
}

#[async_trait]
impl Gestionale for GuardedGestionale {
    async fn debtor_positions(&self, ente: &Ente, debtor: &FiscalCode) -> Result<Vec<PositionDraft>, GestionaleError> {
        self.guarded(self.inner.debtor_positions(ente, debtor)).await
    }

    async fn price(&self, request: &PricingRequest) -> Result<GestionaleQuote, GestionaleError> {
        self.guarded(self.inner.price(request)).await
    }

    async fn notify_payment(&self, notification: &PaymentNotification) -> Result<(), GestionaleError> {
        self.guarded(self.inner.notify_payment(notification)).await
    }

    async fn notify_expiry(&self, notification: &ExpiryNotification) -> Result<(), GestionaleError> {
        self.guarded(self.inner.notify_expiry(notification)).await
    }

    async fn notice(&self, ente: &Ente, notice: &NoticeNumber) -> Result<Option<PositionDraft>, GestionaleError> {
        self.guarded(self.inner.notice(ente, notice)).await
    }

    async fn notify_cancellation(&self, notification: &CancellationNotification) -> Result<(), GestionaleError> {
        self.guarded(self.inner.notify_cancellation(notification)).await
    }

    async fn delivery_limits(&self, ente: &EnteId) -> Option<DeliveryLimits> {
        self.inner.delivery_limits(ente).await
    }
}
