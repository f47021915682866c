use std::sync::Arc;

use chrono::Duration;

use super::*;
use crate::memory::{FakeGestionale, ManualClock, MemoryStore, MemoryWorld};
use crate::model::ReceiptDisposition;
use crate::ports::Clock;

fn payment(ente: &str, receipt: &str) -> PaymentNotification {
    PaymentNotification {
        receipt_id: receipt.parse().unwrap(),
        ente: ente.parse().unwrap(),
        notice_number: "302032002700000251".parse().unwrap(),
        iuv: "02032002700000251".parse().unwrap(),
        iupd: None,
        amount: crate::value::AmountCents::new(100).unwrap(),
        paid_at: MemoryWorld::start_time(),
        disposition: ReceiptDisposition::Settled,
        psp_name: "PSP".into(),
    }
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(MemoryWorld::start_time()))
}

#[tokio::test]
async fn the_breaker_opens_after_repeated_failures_and_lets_one_trial_through_after_the_cool_down() {
    let fake = Arc::new(FakeGestionale::default());
    let clock = clock();
    let guarded = GuardedGestionale::new(fake.clone(), clock.clone(), 3, Duration::seconds(30));
    fake.set_down(true);
    for _ in 0..3 {
        assert!(matches!(
            guarded.notify_payment(&payment(crate::demo::COMUNE, "r-1")).await,
            Err(GestionaleError::Unavailable(_))
        ));
    }
    let status = guarded.status();
    assert_eq!(status.state, BreakerState::Open);
    assert_eq!(status.consecutive_failures, 3);
    assert_eq!(status.open_until, Some(clock.now() + Duration::seconds(30)));

    // Open: the gestionale is back, but it is not called until the cool-down ends.
    fake.set_down(false);
    let Err(GestionaleError::Unavailable(source)) = guarded.notify_payment(&payment(crate::demo::COMUNE, "r-2")).await
    else {
        panic!("an open breaker must answer unavailable");
    };
    assert!(source.downcast_ref::<CircuitOpen>().is_some(), "{source}");
    assert!(fake.notifications().is_empty());

    clock.advance(Duration::seconds(30));
    assert_eq!(guarded.status().state, BreakerState::HalfOpen);
    guarded
        .notify_payment(&payment(crate::demo::COMUNE, "r-3"))
        .await
        .unwrap();
    assert_eq!(guarded.status().state, BreakerState::Closed);
    assert_eq!(guarded.status().consecutive_failures, 0);
    assert_eq!(fake.notifications().len(), 1);
}

#[tokio::test]
async fn a_failed_trial_reopens_the_breaker_and_refusals_are_not_failures() {
    let fake = Arc::new(FakeGestionale::default());
    let clock = clock();
    let guarded = GuardedGestionale::new(fake.clone(), clock.clone(), 2, Duration::seconds(10));
    fake.set_down(true);
    for _ in 0..2 {
        let _ = guarded.notify_payment(&payment(crate::demo::COMUNE, "r-1")).await;
    }
    clock.advance(Duration::seconds(10));
    let _ = guarded.notify_payment(&payment(crate::demo::COMUNE, "r-1")).await;
    let status = guarded.status();
    assert_eq!(status.state, BreakerState::Open);
    assert_eq!(status.open_until, Some(clock.now() + Duration::seconds(10)));

    // `Unsupported` (a price the fake does not know) is an answer: it closes the breaker.
    clock.advance(Duration::seconds(10));
    fake.set_down(false);
    let request = PricingRequest {
        ente: crate::demo::COMUNE.parse().unwrap(),
        service: "NONE".parse().unwrap(),
        debtor: None,
        values: Default::default(),
    };
    assert!(matches!(
        guarded.price(&request).await,
        Err(GestionaleError::Unsupported)
    ));
    assert_eq!(guarded.status().state, BreakerState::Closed);
}

async fn routes_over(entes: Vec<Ente>) -> (GestionaleRoutes, Arc<FakeGestionale>, Arc<FakeGestionale>) {
    let store = Arc::new(MemoryStore::default());
    for ente in &entes {
        crate::ports::EnteRepository::save(store.as_ref(), ente, "test")
            .await
            .unwrap();
    }
    let clock = clock();
    let tributi = Arc::new(FakeGestionale::default());
    let fallback = Arc::new(FakeGestionale::default());
    let limits = DeliveryLimits {
        max_attempts: 7,
        max_age: Duration::hours(2),
    };
    let mut named = BTreeMap::new();
    named.insert(
        "tributi".parse().unwrap(),
        GestionaleRoute {
            gestionale: Arc::new(GuardedGestionale::new(
                tributi.clone(),
                clock.clone(),
                5,
                Duration::seconds(30),
            )),
            limits: Some(limits),
        },
    );
    let default = GestionaleRoute {
        gestionale: Arc::new(GuardedGestionale::new(
            fallback.clone(),
            clock,
            5,
            Duration::seconds(30),
        )),
        limits: None,
    };
    (GestionaleRoutes::new(store, named, Some(default)), tributi, fallback)
}

#[tokio::test]
async fn each_ente_reaches_its_own_gestionale() {
    let mut comune = crate::demo::comune();
    comune.gestionale = Some("tributi".parse().unwrap());
    let provincia = crate::demo::provincia();
    let (routes, tributi, fallback) = routes_over(vec![comune.clone(), provincia.clone()]).await;

    routes
        .notify_payment(&payment(crate::demo::COMUNE, "r-1"))
        .await
        .unwrap();
    routes
        .notify_payment(&payment(crate::demo::PROVINCIA, "r-2"))
        .await
        .unwrap();
    assert_eq!(tributi.notifications().len(), 1);
    assert_eq!(tributi.notifications()[0].ente, comune.id);
    assert_eq!(fallback.notifications().len(), 1);
    assert_eq!(fallback.notifications()[0].ente, provincia.id);

    assert_eq!(
        routes.delivery_limits(&comune.id).await.map(|l| l.max_attempts),
        Some(7)
    );
    assert_eq!(routes.delivery_limits(&provincia.id).await, None);
    let names: Vec<String> = routes.statuses().into_iter().map(|(name, _)| name).collect();
    assert_eq!(names, ["tributi", DEFAULT_ROUTE]);
}

#[tokio::test]
async fn an_ente_without_a_gestionale_works_without_one() {
    let provincia = crate::demo::provincia();
    let store = Arc::new(MemoryStore::default());
    crate::ports::EnteRepository::save(store.as_ref(), &provincia, "test")
        .await
        .unwrap();
    let routes = GestionaleRoutes::new(store, BTreeMap::new(), None);
    let debtor: FiscalCode = crate::demo::DEBTOR.parse().unwrap();
    assert!(matches!(
        routes.debtor_positions(&provincia, &debtor).await,
        Err(GestionaleError::Unsupported)
    ));
    assert!(matches!(
        routes.notify_payment(&payment(crate::demo::PROVINCIA, "r-1")).await,
        Err(GestionaleError::Unsupported)
    ));
    let request = PricingRequest {
        ente: provincia.id.clone(),
        service: "ANY".parse().unwrap(),
        debtor: None,
        values: Default::default(),
    };
    assert!(matches!(
        routes.price(&request).await,
        Err(GestionaleError::Unavailable(_))
    ));
}

#[tokio::test]
async fn an_ente_naming_an_unconfigured_gestionale_keeps_its_messages() {
    let mut comune = crate::demo::comune();
    comune.gestionale = Some("gone".parse().unwrap());
    let (routes, tributi, fallback) = routes_over(vec![comune.clone()]).await;
    let Err(GestionaleError::Unavailable(why)) = routes.notify_payment(&payment(crate::demo::COMUNE, "r-1")).await
    else {
        panic!("an unknown gestionale must not acknowledge");
    };
    assert!(why.to_string().contains("\"gone\""), "{why}");
    assert!(tributi.notifications().is_empty() && fallback.notifications().is_empty());
}

/// A gestionale that records which operation reached it.
#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<&'static str>>);

impl Recorder {
    fn calls(&self) -> Vec<&'static str> {
        self.0.lock().unwrap().clone()
    }
    fn record(&self, call: &'static str) {
        self.0.lock().unwrap().push(call);
    }
}

#[async_trait::async_trait]
impl Gestionale for Recorder {
    async fn debtor_positions(&self, _: &Ente, _: &FiscalCode) -> Result<Vec<PositionDraft>, GestionaleError> {
        self.record("positions");
        Ok(Vec::new())
    }
    async fn price(&self, _: &PricingRequest) -> Result<GestionaleQuote, GestionaleError> {
        self.record("price");
        Err(GestionaleError::Unsupported)
    }
    async fn notify_payment(&self, _: &PaymentNotification) -> Result<(), GestionaleError> {
        self.record("payment");
        Ok(())
    }
    async fn notify_expiry(&self, _: &ExpiryNotification) -> Result<(), GestionaleError> {
        self.record("expiry");
        Ok(())
    }
    async fn notify_cancellation(&self, _: &CancellationNotification) -> Result<(), GestionaleError> {
        self.record("cancellation");
        Ok(())
    }
    async fn notice(&self, _: &Ente, _: &NoticeNumber) -> Result<Option<PositionDraft>, GestionaleError> {
        self.record("notice");
        Ok(None)
    }
}

/// Every operation goes through the routes and the breaker to the Ente's adapter: one that
/// a wrapper forgot would answer the port's default (`Unsupported`) and a notification would be
/// acknowledged unsent.
#[tokio::test]
async fn every_operation_reaches_the_adapter_through_routes_and_breaker() {
    let mut comune = crate::demo::comune();
    comune.gestionale = Some("tributi".parse().unwrap());
    let store = Arc::new(MemoryStore::default());
    crate::ports::EnteRepository::save(store.as_ref(), &comune, "test")
        .await
        .unwrap();
    let recorder = Arc::new(Recorder::default());
    let mut named = BTreeMap::new();
    named.insert(
        "tributi".parse().unwrap(),
        GestionaleRoute {
            gestionale: Arc::new(GuardedGestionale::new(
                recorder.clone(),
                clock(),
                5,
                Duration::seconds(30),
            )),
            limits: None,
        },
    );
    let routes = GestionaleRoutes::new(store, named, None);
    let notice: NoticeNumber = "302032002700000251".parse().unwrap();
    routes
        .debtor_positions(&comune, &crate::demo::DEBTOR.parse().unwrap())
        .await
        .unwrap();
    let _ = routes
        .price(&PricingRequest {
            ente: comune.id.clone(),
            service: "ANY".parse().unwrap(),
            debtor: None,
            values: Default::default(),
        })
        .await;
    routes
        .notify_payment(&payment(crate::demo::COMUNE, "r-1"))
        .await
        .unwrap();
    routes
        .notify_expiry(&ExpiryNotification {
            ente: comune.id.clone(),
            iupd: "X-1".parse().unwrap(),
            notices: vec![notice.clone()],
            last_due_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            expired_at: MemoryWorld::start_time(),
        })
        .await
        .unwrap();
    routes
        .notify_cancellation(&CancellationNotification {
            ente: comune.id.clone(),
            iupd: "X-1".parse().unwrap(),
            notices: vec![notice.clone()],
            cancelled_at: MemoryWorld::start_time(),
        })
        .await
        .unwrap();
    routes.notice(&comune, &notice).await.unwrap();
    assert_eq!(
        recorder.calls(),
        ["positions", "price", "payment", "expiry", "cancellation", "notice"]
    );
}
