//! The Ente's own back-office system.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::BoxError;
use crate::model::{
    CancellationNotification, DeliveryLimits, Ente, ExpiryNotification, FieldError, PaymentNotification, PositionDraft,
    ServiceCode, Transfer,
};
use crate::value::{AmountCents, EnteId, FiscalCode, NoticeNumber, Text};

/// A spontaneous request the gestionale must validate and price.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PricingRequest {
    /// The Ente.
    pub ente: EnteId,
    /// The catalogue service.
    pub service: ServiceCode,
    /// Who asks, when known.
    pub debtor: Option<FiscalCode>,
    /// The form values as text, already validated against the form.
    pub values: BTreeMap<String, String>,
}

/// The gestionale's price for a spontaneous request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GestionaleQuote {
    /// The amount.
    pub amount: AmountCents,
    /// A description for the position, if the gestionale has one.
    pub description: Option<Text<140>>,
    /// The transfers, if the gestionale decides them; otherwise the service's templates apply.
    pub transfers: Option<Vec<Transfer>>,
}

/// Why the gestionale did not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GestionaleError {
    /// It could not be reached or failed; the call may be retried later.
    #[error("the gestionale is unavailable")]
    Unavailable(#[source] BoxError),
    /// It refused the request on its merits (a spontaneous request it will not price).
    #[error("the gestionale refused the request: {reason}")]
    Rejected {
        /// Why, for the citizen.
        reason: String,
        /// Problems with single fields, if it named any.
        fields: Vec<FieldError>,
    },
    /// It does not offer this operation (an Ente whose gestionale cannot be queried on demand).
    #[error("the gestionale does not support this operation")]
    Unsupported,
    /// It answered something that is not a valid answer.
    #[error("the gestionale answered something invalid: {0}")]
    Protocol(String),
}

/// The Enti's gestionali. One adapter may serve several Enti (it receives the Ente in each call).
///
/// Error contract: [`GestionaleError::Unavailable`] only for failures worth retrying,
/// [`GestionaleError::Rejected`] for a decision, [`GestionaleError::Unsupported`] when the
/// gestionale lacks the operation; an adapter never panics on a bad answer but returns
/// [`GestionaleError::Protocol`]. `notify_payment` must be idempotent on the receipt id: the
/// outbox delivers at least once.
#[async_trait]
pub trait Gestionale: Send + Sync {
    /// The positions the gestionale holds for a debtor at an Ente, as drafts keyed by iupd.
    async fn debtor_positions(&self, ente: &Ente, debtor: &FiscalCode) -> Result<Vec<PositionDraft>, GestionaleError>;

    /// Validates and prices a spontaneous request.
    async fn price(&self, request: &PricingRequest) -> Result<GestionaleQuote, GestionaleError>;

    /// Tells the gestionale about a payment.
    async fn notify_payment(&self, notification: &PaymentNotification) -> Result<(), GestionaleError>;
    /// Tells the gestionale that a position expired by itself; idempotent like
    /// `notify_payment`. A gestionale that takes no such notice answers `Unsupported` (the
    /// default), and the message is then acknowledged.
    async fn notify_expiry(&self, notification: &ExpiryNotification) -> Result<(), GestionaleError> {
        let _ = notification;
        Err(GestionaleError::Unsupported)
    }

    /// Tells the gestionale that an operator cancelled a position; idempotent like
    /// `notify_payment`. `Unsupported` (the default): acknowledged unsent.
    async fn notify_cancellation(&self, notification: &CancellationNotification) -> Result<(), GestionaleError> {
        let _ = notification;
        Err(GestionaleError::Unsupported)
    }

    /// The position holding `notice`, for a notice the Node asks about that we do not hold (a
    /// printed notice the gestionale issued itself): `Ok(None)` when the gestionale does not
    /// know it either. Called while the Node waits: the caller bounds it with a time budget
    /// (1.5 s by default) and stores a late answer for the next try. `Unsupported` (the
    /// default) for a gestionale that cannot be asked.
    async fn notice(&self, ente: &Ente, notice: &NoticeNumber) -> Result<Option<PositionDraft>, GestionaleError> {
        let _ = (ente, notice);
        Err(GestionaleError::Unsupported)
    }

    /// How long the outbox keeps trying to deliver to the gestionale of `ente` before it
    /// dead-letters a message; `None` (the default): until it is acknowledged. Configuration,
    /// not a call: it must answer at once.
    async fn delivery_limits(&self, ente: &EnteId) -> Option<DeliveryLimits> {
        let _ = ente;
        None
    }
}
