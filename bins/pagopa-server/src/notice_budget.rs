//! The time budget of a notice looked up on demand: the Node waits for its verify (and must
//! be answered well within 2 s), so the gestionale gets `budget` (1.5 s by default). Past it
//! the Node is answered at once as if the gestionale were unavailable (`PAA_SYSTEM_ERROR`),
//! while the call goes on: a late answer is stored for the PSP's next try.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use pagopa_domain::ports::{Clock, Gestionale, GestionaleError, GestionaleQuote, PositionRepository, PricingRequest};
use pagopa_domain::services::store_found_notice;
use pagopa_domain::{
    CancellationNotification, DeliveryLimits, Ente, EnteId, ExpiryNotification, FiscalCode, NoticeNumber,
    PaymentNotification, PositionDraft,
};

/// Why a notice lookup answered unavailable: the budget ran out.
#[derive(Debug, thiserror::Error)]
#[error(
    "the gestionale did not find notice {notice} within the {budget_ms} ms budget of the Node's verify; a late answer is stored"
)]
pub(crate) struct NoticeBudgetExceeded {
    notice: NoticeNumber,
    budget_ms: u128,
}

/// A [`Gestionale`] whose [`Gestionale::notice`] is bounded by a time budget; every other call
/// goes straight through.
pub(crate) struct BudgetedNotices {
    inner: Arc<dyn Gestionale>,
    positions: Arc<dyn PositionRepository>,
    clock: Arc<dyn Clock>,
    budget: Duration,
}

impl BudgetedNotices {
    pub(crate) fn new(
        inner: Arc<dyn Gestionale>,
        positions: Arc<dyn PositionRepository>,
        clock: Arc<dyn Clock>,
        budget: Duration,
    ) -> Self {
        Self {
            inner,
            positions,
            clock,
            budget,
        }
    }
}

#[async_trait]
impl Gestionale for BudgetedNotices {
    async fn debtor_positions(&self, ente: &Ente, debtor: &FiscalCode) -> Result<Vec<PositionDraft>, GestionaleError> {
        self.inner.debtor_positions(ente, debtor).await
    }

    async fn price(&self, request: &PricingRequest) -> Result<GestionaleQuote, GestionaleError> {
        self.inner.price(request).await
    }

    async fn notify_payment(&self, notification: &PaymentNotification) -> Result<(), GestionaleError> {
        self.inner.notify_payment(notification).await
    }

    async fn notify_expiry(&self, notification: &ExpiryNotification) -> Result<(), GestionaleError> {
        self.inner.notify_expiry(notification).await
    }

    async fn delivery_limits(&self, ente: &EnteId) -> Option<DeliveryLimits> {
        self.inner.delivery_limits(ente).await
    }

    async fn notify_cancellation(&self, notification: &CancellationNotification) -> Result<(), GestionaleError> {
        self.inner.notify_cancellation(notification).await
    }

    async fn notice(&self, ente: &Ente, notice: &NoticeNumber) -> Result<Option<PositionDraft>, GestionaleError> {
        let (inner, asked_ente, asked) = (self.inner.clone(), ente.clone(), notice.clone());
        let mut call = actix_web::rt::spawn(async move { inner.notice(&asked_ente, &asked).await });
        match actix_web::rt::time::timeout(self.budget, &mut call).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(failed)) => Err(GestionaleError::Unavailable(Box::new(failed))),
            Err(_) => {
                let (positions, clock, late_ente, late) =
                    (self.positions.clone(), self.clock.clone(), ente.clone(), notice.clone());
                actix_web::rt::spawn(async move {
                    if let Ok(Ok(Some(draft))) = call.await {
                        let ente = late_ente.id.clone();
                        match store_found_notice(positions.as_ref(), &late_ente, &late, draft, clock.now()).await {
                            Ok(()) => {
                                tracing::info!(%ente, notice = %late, "a late answer of the gestionale is stored")
                            }
                            Err(error) => {
                                tracing::warn!(%ente, notice = %late, %error, "a late answer of the gestionale is not stored")
                            }
                        }
                    }
                });
                Err(GestionaleError::Unavailable(Box::new(NoticeBudgetExceeded {
                    notice: notice.clone(),
                    budget_ms: self.budget.as_millis(),
                })))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::Instant;

    use pagopa_domain::demo;
    use pagopa_domain::memory::{FakeGestionale, MemoryWorld};

    use super::*;

    /// The fake gestionale, slowed down for notice lookups.
    struct Slow(Arc<FakeGestionale>, Duration);

    #[async_trait]
    impl Gestionale for Slow {
        async fn debtor_positions(&self, e: &Ente, d: &FiscalCode) -> Result<Vec<PositionDraft>, GestionaleError> {
            self.0.debtor_positions(e, d).await
        }
        async fn price(&self, r: &PricingRequest) -> Result<GestionaleQuote, GestionaleError> {
            self.0.price(r).await
        }
        async fn notify_payment(&self, n: &PaymentNotification) -> Result<(), GestionaleError> {
            self.0.notify_payment(n).await
        }
        async fn notice(&self, e: &Ente, n: &NoticeNumber) -> Result<Option<PositionDraft>, GestionaleError> {
            actix_web::rt::time::sleep(self.1).await;
            self.0.notice(e, n).await
        }
    }

    #[actix_web::test]
    async fn past_the_budget_the_node_is_answered_at_once_and_the_late_answer_is_stored() {
        let world = MemoryWorld::new();
        demo::seed(&world.ports(), world.clock.now()).await.unwrap();
        let draft = demo::draft(
            "AVVISO-LENTO",
            demo::debtor(),
            "Sanzione",
            vec![demo::simple_option(2_612_000_000_010, 7_700, "Sanzione", "2027-03-31")],
        );
        let notice = draft.options[0].notice_number.clone();
        world.gestionale.hold_notice(&demo::COMUNE.parse().unwrap(), draft);
        let slow: Arc<dyn Gestionale> = Arc::new(Slow(world.gestionale.clone(), Duration::from_millis(400)));
        let budgeted = BudgetedNotices::new(
            slow,
            world.store.clone(),
            world.clock.clone(),
            Duration::from_millis(50),
        );

        let started = Instant::now();
        let Err(GestionaleError::Unavailable(why)) = budgeted.notice(&demo::comune(), &notice).await else {
            panic!("past the budget the lookup is unavailable");
        };
        assert!(
            started.elapsed() < Duration::from_millis(300),
            "{:?}",
            started.elapsed()
        );
        assert!(why.to_string().contains("50 ms"), "{why}");
        let comune: EnteId = demo::COMUNE.parse().unwrap();
        assert!(world.store.find_by_notice(&comune, &notice).await.unwrap().is_none());

        actix_web::rt::time::sleep(Duration::from_millis(600)).await;
        let stored = world.store.find_by_notice(&comune, &notice).await.unwrap();
        assert_eq!(stored.map(|p| p.iupd.to_string()).as_deref(), Some("AVVISO-LENTO"));

        // Within the budget the answer comes back as it is.
        let quick = BudgetedNotices::new(
            world.gestionale.clone(),
            world.store.clone(),
            world.clock.clone(),
            Duration::from_millis(500),
        );
        assert!(quick.notice(&demo::comune(), &notice).await.unwrap().is_some());
    }
}
