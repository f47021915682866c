//! Modello 1: Checkout carts, from start to an outcome decided only by receipts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Duration;
use common::*;
use pagopa_domain::ports::CheckoutError;
use pagopa_domain::services::StartCart;
use pagopa_domain::*;

fn cart_of(notices: Vec<NoticeNumber>) -> StartCart {
    StartCart {
        notices: notices.into_iter().map(|n| (comune(), n)).collect(),
        citizen: Some(demo::DEBTOR.parse().unwrap()),
        email: None,
        return_urls: ReturnUrls {
            ok: "https://fe/ok".into(),
            cancel: "https://fe/ko".into(),
            error: "https://fe/err".into(),
            waiting: None,
        },
    }
}

#[tokio::test]
async fn carts_refuse_six_notices_and_duplicates() {
    let s = seeded().await;
    let six: Vec<NoticeNumber> = (1..=6).map(demo::comune_notice).collect();
    assert!(matches!(
        s.services.carts.start(cart_of(six)).await,
        Err(DomainError::InvalidCart(CartError::TooManyNotices { actual: 6 }))
    ));
    let twice = vec![n1(), n1()];
    assert!(matches!(
        s.services.carts.start(cart_of(twice)).await,
        Err(DomainError::InvalidCart(CartError::DuplicateNotice(_)))
    ));
    assert!(matches!(
        s.services.carts.start(cart_of(vec![])).await,
        Err(DomainError::InvalidCart(CartError::Empty))
    ));
}

#[tokio::test]
async fn a_cart_is_paid_by_receipts_never_by_the_browser() {
    let s = seeded().await;
    let rata = demo::comune_notice(2_601_000_005_001);
    let cart = s.services.carts.start(cart_of(vec![n1(), rata.clone()])).await.unwrap();
    assert_eq!(cart.status, CartStatus::InProgress);
    assert!(cart.checkout_url.as_deref().unwrap().ends_with(cart.id.as_str()));
    let sent = &s.world.checkout.carts()[0];
    assert_eq!(sent.notices.len(), 2);
    assert_eq!(sent.notices[0].amount.cents(), 24_570);

    // The notice is held while the session lives.
    let err = s.services.carts.start(cart_of(vec![n1()])).await.unwrap_err();
    assert_eq!(err.fault_code(), FaultCode::PagamentoInCorso);

    s.services
        .node
        .accept_receipt(&station(), receipt("r-cart-1", &n1(), 24_570, s.now()))
        .await
        .unwrap();
    let citizen: FiscalCode = demo::DEBTOR.parse().unwrap();
    assert_eq!(
        s.services.carts.status(&cart.id, Some(&citizen)).await.unwrap().status,
        CartStatus::InProgress
    );
    s.services
        .node
        .accept_receipt(&station(), receipt("r-cart-2", &rata, 20_000, s.now()))
        .await
        .unwrap();
    assert_eq!(
        s.services.carts.status(&cart.id, Some(&citizen)).await.unwrap().status,
        CartStatus::Paid
    );

    // Another citizen cannot see it.
    let other: FiscalCode = demo::OTHER_DEBTOR.parse().unwrap();
    assert!(matches!(
        s.services.carts.status(&cart.id, Some(&other)).await,
        Err(DomainError::NotFound(_))
    ));
}

#[tokio::test]
async fn an_abandoned_cart_becomes_uncertain_and_frees_its_notices() {
    let s = seeded().await;
    let cart = s.services.carts.start(cart_of(vec![n1()])).await.unwrap();
    s.world.clock.advance(Duration::minutes(31));
    assert_eq!(
        s.services.carts.status(&cart.id, None).await.unwrap().status,
        CartStatus::Uncertain
    );
    let again = s.services.carts.start(cart_of(vec![n1()])).await.unwrap();
    assert_eq!(again.status, CartStatus::InProgress);
    // A late receipt still resolves the first cart.
    s.services
        .node
        .accept_receipt(&station(), receipt("r-late-cart", &n1(), 24_570, s.now()))
        .await
        .unwrap();
    assert_eq!(
        s.services.carts.status(&cart.id, None).await.unwrap().status,
        CartStatus::Paid
    );
}

#[tokio::test]
async fn a_checkout_failure_fails_the_cart() {
    let s = seeded().await;
    s.world.checkout.fail_next(CheckoutError::Rejected {
        status: 422,
        detail: "notice not payable".into(),
    });
    let err = s.services.carts.start(cart_of(vec![n1()])).await.unwrap_err();
    assert!(matches!(
        err,
        DomainError::Checkout(CheckoutError::Rejected { status: 422, .. })
    ));
    let failed = s.services.carts.status(&"cart-1".parse().unwrap(), None).await.unwrap();
    assert_eq!(failed.status, CartStatus::Failed);
    // The notice is not held by a failed cart.
    s.services.carts.start(cart_of(vec![n1()])).await.unwrap();
}

#[tokio::test]
async fn a_cart_left_created_ends_after_the_session_lifetime() {
    let s = seeded().await;
    // The second write of a start failed (or the process died during the Checkout call): the
    // cart stays `Created`, holding its notice.
    let item = CartItem {
        ente: comune(),
        notice_number: n1(),
        amount: AmountCents::new(24_570).unwrap(),
        company_name: "Comune di Valdesempio".parse().unwrap(),
        description: "TARI 2026 saldo".parse().unwrap(),
    };
    let stuck = Cart::new(
        "stuck-cart".parse().unwrap(),
        vec![item],
        None,
        None,
        cart_of(vec![]).return_urls,
        s.now(),
    )
    .unwrap();
    pagopa_domain::ports::CartRepository::insert(&*s.world.store, &stuck)
        .await
        .unwrap();
    assert!(matches!(
        s.services.carts.start(cart_of(vec![n1()])).await,
        Err(DomainError::PaymentInProgress(_))
    ));
    s.world.clock.advance(Duration::minutes(31));
    let ended = s.services.carts.status(&stuck.id, None).await.unwrap();
    assert_eq!(ended.status, CartStatus::Uncertain, "a late receipt may still come");
    assert!(!ended.status.holds_notices());
    s.services.carts.start(cart_of(vec![n1()])).await.unwrap();
}

#[tokio::test]
async fn concurrent_carts_for_one_notice_give_one_holder() {
    let s = seeded().await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let carts = s.services.carts.clone();
        tasks.push(tokio::spawn(async move { carts.start(cart_of(vec![n1()])).await }));
    }
    let mut started = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => started += 1,
            Err(DomainError::PaymentInProgress(_)) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(started, 1);
}
