//! The reference HTTP adapter (`pagopa-gestionale-http`) passes the contract suite against the
//! fake HTTP gestionale, credential and webhook signatures checked.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use pagopa_gestionale_http::{GestionaleHttp, GestionaleHttpSettings};
use pagopa_gestionale_testkit::{FakeHttpGestionale, Subject};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

async fn subject() -> Subject {
    let fake = FakeHttpGestionale::start_with(FakeHttpGestionale::with_webhook_secret(SECRET));
    let adapter = GestionaleHttp::new(GestionaleHttpSettings {
        timeout_ms: 300,
        webhook_secret: Some(SECRET.into()),
        ..GestionaleHttpSettings::new(fake.base_url())
    })
    .unwrap();
    // The fake's server thread lives as long as the test process.
    Subject::new(Arc::new(adapter), fake.backend()).with_budget(Duration::from_millis(300))
}

pagopa_gestionale_testkit::gestionale_contract!(subject);

/// The suite can fail: an adapter that forgets the signature is refused by the fake.
#[test]
fn an_unsigned_notification_is_refused_by_a_fake_that_wants_signatures() {
    pagopa_gestionale_testkit::contract::run(async {
        let fake = FakeHttpGestionale::start_with(FakeHttpGestionale::with_webhook_secret(SECRET));
        let unsigned = GestionaleHttp::new(GestionaleHttpSettings::new(fake.base_url())).unwrap();
        let result = pagopa_domain::ports::Gestionale::notify_payment(
            &unsigned,
            &pagopa_gestionale_testkit::contract::payment("unsigned-1"),
        )
        .await;
        assert!(result.is_err(), "{result:?}");
        assert_eq!(fake.seen()[0].signature_valid, Some(false));
        assert!(fake.payments().is_empty());
    });
}
