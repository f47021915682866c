//! Per-Ente gestionali: one installation serves many Enti, each with its own back office.
//! [`GestionaleRoutes`] is the [`Gestionale`] the services use: it finds the Ente's named
//! gestionale (`Ente::gestionale`) and calls it through its [`GuardedGestionale`] circuit
//! breaker. An Ente without a gestionale works without one: no refresh on demand
//! (`Unsupported`), its notifications are acknowledged unsent (`Unsupported`, kept in the
//! outbox and the pull feed), pricing fails as unavailable.

mod breaker;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

pub use breaker::{
    BreakerState, BreakerStatus, CircuitOpen, DEFAULT_BREAKER_COOL_DOWN_SECS, DEFAULT_BREAKER_THRESHOLD,
    GuardedGestionale,
};

use crate::model::{
    CancellationNotification, DeliveryLimits, Ente, ExpiryNotification, GestionaleName, PaymentNotification,
    PositionDraft,
};
use crate::ports::{EnteRepository, Gestionale, GestionaleError, GestionaleQuote, PricingRequest};
use crate::value::{EnteId, FiscalCode, NoticeNumber};

/// One configured gestionale: its adapter behind a breaker, and its delivery limits.
#[derive(Clone, Debug)]
pub struct GestionaleRoute {
    /// The adapter, guarded.
    pub gestionale: Arc<GuardedGestionale>,
    /// When its messages are dead-lettered; `None`: never.
    pub limits: Option<DeliveryLimits>,
}

/// The label of the installation-wide default gestionale (the single `[gestionale]` table of
/// older configurations) in reports.
pub const DEFAULT_ROUTE: &str = "default";

/// The gestionale of each Ente, by the name its settings give. See the module documentation.
#[derive(Clone)]
pub struct GestionaleRoutes {
    entes: Arc<dyn EnteRepository>,
    named: BTreeMap<GestionaleName, GestionaleRoute>,
    default: Option<GestionaleRoute>,
}

impl std::fmt::Debug for GestionaleRoutes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GestionaleRoutes")
            .field("named", &self.named.keys().collect::<Vec<_>>())
            .field("default", &self.default.is_some())
            .finish_non_exhaustive()
    }
}

/// Where the calls for one Ente go.
enum Target<'a> {
    Route(&'a GestionaleRoute),
    /// The Ente has no gestionale.
    None,
}

impl GestionaleRoutes {
    /// Routes over the Enti of `entes`: `named` gestionali by name, and `default` for Enti
    /// that name none (the single `[gestionale]` of older configurations), if any.
    pub fn new(
        entes: Arc<dyn EnteRepository>,
        named: BTreeMap<GestionaleName, GestionaleRoute>,
        default: Option<GestionaleRoute>,
    ) -> Self {
        Self { entes, named, default }
    }

    /// The configured names.
    pub fn names(&self) -> impl Iterator<Item = &GestionaleName> {
        self.named.keys()
    }

    /// Every breaker's status, by name ([`DEFAULT_ROUTE`] for the default one).
    pub fn statuses(&self) -> Vec<(String, BreakerStatus)> {
        let mut all: Vec<(String, BreakerStatus)> = self
            .named
            .iter()
            .map(|(name, route)| (name.to_string(), route.gestionale.status()))
            .collect();
        if let Some(route) = &self.default {
            all.push((DEFAULT_ROUTE.to_owned(), route.gestionale.status()));
        }
        all
    }

    fn target_of(&self, ente: &Ente) -> Result<Target<'_>, GestionaleError> {
        match &ente.gestionale {
            Some(name) => self.named.get(name).map(Target::Route).ok_or_else(|| {
                // Settings name a gestionale the configuration lost: keep the messages.
                GestionaleError::Unavailable(
                    format!(
                        "Ente {} names gestionale {:?}, which is not configured",
                        ente.id,
                        name.as_str()
                    )
                    .into(),
                )
            }),
            None => Ok(self.default.as_ref().map_or(Target::None, Target::Route)),
        }
    }

    async fn target(&self, ente: &EnteId) -> Result<Target<'_>, GestionaleError> {
        let found = self
            .entes
            .get(ente)
            .await
            .map_err(|e| GestionaleError::Unavailable(Box::new(e)))?;
        match found {
            Some(ente) => self.target_of(&ente),
            None => Ok(self.default.as_ref().map_or(Target::None, Target::Route)),
        }
    }
}

#[async_trait]
impl Gestionale for GestionaleRoutes {
    async fn debtor_positions(&self, ente: &Ente, debtor: &FiscalCode) -> Result<Vec<PositionDraft>, GestionaleError> {
        match self.target_of(ente)? {
            Target::Route(route) => route.gestionale.debtor_positions(ente, debtor).await,
            Target::None => Err(GestionaleError::Unsupported),
        }
    }

    async fn price(&self, request: &PricingRequest) -> Result<GestionaleQuote, GestionaleError> {
        match self.target(&request.ente).await? {
            Target::Route(route) => route.gestionale.price(request).await,
            Target::None => Err(GestionaleError::Unavailable(
                format!("Ente {} has no gestionale to price the request", request.ente).into(),
            )),
        }
    }

    async fn notify_payment(&self, notification: &PaymentNotification) -> Result<(), GestionaleError> {
        match self.target(&notification.ente).await? {
            Target::Route(route) => route.gestionale.notify_payment(notification).await,
            Target::None => Err(GestionaleError::Unsupported),
        }
    }

    async fn notify_expiry(&self, notification: &ExpiryNotification) -> Result<(), GestionaleError> {
        match self.target(&notification.ente).await? {
            Target::Route(route) => route.gestionale.notify_expiry(notification).await,
            Target::None => Err(GestionaleError::Unsupported),
        }
    }

    async fn notify_cancellation(&self, notification: &CancellationNotification) -> Result<(), GestionaleError> {
        match self.target(&notification.ente).await? {
            Target::Route(route) => route.gestionale.notify_cancellation(notification).await,
            Target::None => Err(GestionaleError::Unsupported),
        }
    }

    async fn notice(&self, ente: &Ente, notice: &NoticeNumber) -> Result<Option<PositionDraft>, GestionaleError> {
        match self.target_of(ente)? {
            Target::Route(route) => route.gestionale.notice(ente, notice).await,
            Target::None => Err(GestionaleError::Unsupported),
        }
    }

    async fn delivery_limits(&self, ente: &EnteId) -> Option<DeliveryLimits> {
        match self.target(ente).await {
            Ok(Target::Route(route)) => route.limits,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
