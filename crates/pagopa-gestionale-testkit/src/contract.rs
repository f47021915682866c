//! The contract checks, one async function each: positions, pricing, notice lookup,
//! notification idempotency, error mapping, time budget. Each panics with what the adapter did
//! wrong. [`gestionale_contract!`](crate::gestionale_contract) turns them into tests.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use pagopa_domain::demo;
use pagopa_domain::ports::{GestionaleError, GestionaleQuote, PricingRequest};
use pagopa_domain::{AmountCents, EnteId, FiscalCode, PaymentNotification, ReceiptDisposition};

use crate::backend::{Fault, Subject};

/// The checks, by name (what the macro generates).
pub const CHECKS: &[&str] = &[
    "positions_are_returned_for_their_debtor",
    "pricing_gives_the_quote_or_a_refusal",
    "a_notice_is_looked_up",
    "notifications_are_idempotent",
    "faults_map_onto_the_error_contract",
    "a_slow_gestionale_fails_within_the_budget",
];

fn comune() -> EnteId {
    demo::COMUNE
        .parse()
        .unwrap_or_else(|_| unreachable!("the demo Comune's id is valid"))
}

fn debtor(raw: &str) -> FiscalCode {
    raw.parse()
        .unwrap_or_else(|_| unreachable!("the demo debtors' codes are valid"))
}

/// A payment notification for the demo Comune's TARI notice.
pub fn payment(receipt_id: &str) -> PaymentNotification {
    let notice = demo::comune_notice(2_601_000_004_711);
    PaymentNotification {
        receipt_id: receipt_id
            .parse()
            .unwrap_or_else(|_| panic!("{receipt_id:?} is not a receipt id")),
        ente: comune(),
        iuv: notice.iuv(),
        notice_number: notice,
        iupd: Some(
            "TARI-2026-4711"
                .parse()
                .unwrap_or_else(|_| unreachable!("a valid iupd")),
        ),
        amount: AmountCents::new(24_570).unwrap_or_else(|_| unreachable!("a valid amount")),
        paid_at: Utc
            .with_ymd_and_hms(2026, 11, 25, 10, 0, 0)
            .single()
            .unwrap_or_default(),
        disposition: ReceiptDisposition::Settled,
        psp_name: "Banca Esempio S.p.A.".into(),
    }
}

/// A driveway-permit quote: 50.00 EUR, the Comune's and the Provincia's transfers.
pub fn quote() -> GestionaleQuote {
    let mut transfers = demo::tari().options[0].transfers.clone();
    transfers[0].amount = AmountCents::new(4_000).unwrap_or_else(|_| unreachable!("a valid amount"));
    transfers[1].amount = AmountCents::new(1_000).unwrap_or_else(|_| unreachable!("a valid amount"));
    GestionaleQuote {
        amount: AmountCents::new(5_000).unwrap_or_else(|_| unreachable!("a valid amount")),
        description: Some(
            "Passo carrabile AB123CD"
                .parse()
                .unwrap_or_else(|_| unreachable!("a valid text")),
        ),
        transfers: Some(transfers),
    }
}

fn pricing(service: &str) -> PricingRequest {
    PricingRequest {
        ente: comune(),
        service: service
            .parse()
            .unwrap_or_else(|_| panic!("{service:?} is not a service code")),
        debtor: Some(debtor(demo::DEBTOR)),
        values: BTreeMap::from([("targa".to_owned(), "AB123CD".to_owned())]),
    }
}

/// The positions the gestionale holds for a debtor, and none of another debtor's.
pub async fn positions_are_returned_for_their_debtor(subject: &Subject) {
    let drafts = vec![demo::tari(), demo::imu_plan()];
    subject
        .backend
        .hold_positions(&comune(), &debtor(demo::DEBTOR), drafts.clone());
    let got = subject
        .gestionale
        .debtor_positions(&demo::comune(), &debtor(demo::DEBTOR))
        .await
        .unwrap_or_else(|e| panic!("debtor_positions failed: {e}"));
    assert_eq!(got, drafts, "the positions come back as the gestionale holds them");
    let none = subject
        .gestionale
        .debtor_positions(&demo::comune(), &debtor(demo::OTHER_DEBTOR))
        .await
        .unwrap_or_else(|e| panic!("a debtor without positions is not an error: {e}"));
    assert!(none.is_empty(), "another debtor has no positions: {none:?}");
}

/// A priced service gives its quote; another is refused on its merits (`Rejected`).
pub async fn pricing_gives_the_quote_or_a_refusal(subject: &Subject) {
    subject.backend.set_quote("PASSO-CARRABILE", quote());
    let got = subject
        .gestionale
        .price(&pricing("PASSO-CARRABILE"))
        .await
        .unwrap_or_else(|e| panic!("price failed: {e}"));
    assert_eq!(got.amount, quote().amount, "integer cents, as quoted");
    assert_eq!(got.description, quote().description);
    match subject.gestionale.price(&pricing("NON-PREZZATO")).await {
        Err(GestionaleError::Rejected { reason, .. }) => assert!(!reason.trim().is_empty(), "a refusal says why"),
        other => panic!("a service the gestionale does not price must be Rejected, not {other:?}"),
    }
}

/// A notice the gestionale holds is found with its position; another is `None`.
pub async fn a_notice_is_looked_up(subject: &Subject) {
    let draft = demo::tari();
    let notice = draft.options[0].notice_number.clone();
    subject.backend.hold_notice(&comune(), draft.clone());
    let got = subject
        .gestionale
        .notice(&demo::comune(), &notice)
        .await
        .unwrap_or_else(|e| panic!("notice failed: {e}"));
    assert_eq!(got, Some(draft), "the position holding the notice");
    let unknown = demo::comune_notice(2_699_999_999_999);
    let got = subject
        .gestionale
        .notice(&demo::comune(), &unknown)
        .await
        .unwrap_or_else(|e| panic!("an unknown notice is not an error: {e}"));
    assert_eq!(got, None);
}

/// The same notification twice is acknowledged twice and stored once; another is stored too.
pub async fn notifications_are_idempotent(subject: &Subject) {
    for _ in 0..2 {
        subject
            .gestionale
            .notify_payment(&payment("contract-r1"))
            .await
            .unwrap_or_else(|e| panic!("a repeated notification must be acknowledged: {e}"));
    }
    subject
        .gestionale
        .notify_payment(&payment("contract-r2"))
        .await
        .unwrap_or_else(|e| panic!("notify_payment failed: {e}"));
    assert_eq!(subject.backend.distinct_payments(), 2, "each receipt stored once");
    assert_eq!(
        subject.backend.received_payments(),
        3,
        "each call reached the gestionale"
    );
}

/// Unreachable or failing: `Unavailable` (retried later); an answer that is not the contract's
/// (HTML, another schema): `Protocol`, never a panic and never a refusal.
pub async fn faults_map_onto_the_error_contract(subject: &Subject) {
    let comune_ente = demo::comune();
    let someone = debtor(demo::DEBTOR);
    for fault in [Fault::Down, Fault::ServerError] {
        if !subject.backend.supports(fault) {
            continue;
        }
        subject.backend.set_fault(fault);
        let positions = subject.gestionale.debtor_positions(&comune_ente, &someone).await;
        assert!(
            matches!(positions, Err(GestionaleError::Unavailable(_))),
            "{fault:?}: positions must be Unavailable, not {positions:?}"
        );
        let notified = subject.gestionale.notify_payment(&payment("contract-f1")).await;
        assert!(
            matches!(notified, Err(GestionaleError::Unavailable(_))),
            "{fault:?}: a notification must be Unavailable (retried), not {notified:?}"
        );
    }
    for fault in [Fault::Html, Fault::WrongSchema] {
        if !subject.backend.supports(fault) {
            continue;
        }
        subject.backend.set_fault(fault);
        let positions = subject.gestionale.debtor_positions(&comune_ente, &someone).await;
        assert!(
            matches!(positions, Err(GestionaleError::Protocol(_))),
            "{fault:?}: positions must be a Protocol error, not {positions:?}"
        );
        let priced = subject.gestionale.price(&pricing("PASSO-CARRABILE")).await;
        assert!(
            matches!(priced, Err(GestionaleError::Protocol(_))),
            "{fault:?}: a price must be a Protocol error, not {priced:?}"
        );
    }
    subject.backend.set_fault(Fault::None);
    subject
        .gestionale
        .debtor_positions(&comune_ente, &someone)
        .await
        .unwrap_or_else(|e| panic!("once the fault is cleared the adapter works again: {e}"));
}

/// A gestionale slower than the budget makes the call fail as `Unavailable` within the budget
/// (with a margin of half of it plus 250 ms), not hang.
pub async fn a_slow_gestionale_fails_within_the_budget(subject: &Subject) {
    let slow = Fault::Slow(subject.budget * 4);
    if !subject.backend.supports(slow) {
        return;
    }
    subject.backend.set_fault(slow);
    let started = Instant::now();
    let result = subject
        .gestionale
        .debtor_positions(&demo::comune(), &debtor(demo::DEBTOR))
        .await;
    let elapsed = started.elapsed();
    subject.backend.set_fault(Fault::None);
    assert!(
        matches!(result, Err(GestionaleError::Unavailable(_))),
        "too slow must be Unavailable, not {result:?}"
    );
    let allowed = subject.budget + subject.budget / 2 + std::time::Duration::from_millis(250);
    assert!(
        elapsed <= allowed,
        "the call took {elapsed:?}, the budget is {:?}",
        subject.budget
    );
}

/// Runs `check` on a fresh runtime (what the macro's tests call).
#[doc(hidden)]
pub fn run<F: std::future::Future<Output = ()>>(check: F) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot start a runtime for the contract suite: {e}"));
    runtime.block_on(check);
}

/// Generates one test per contract check over the [`Subject`] an async function builds (a
/// fresh one per test):
///
/// ```ignore
/// async fn subject() -> pagopa_gestionale_testkit::Subject { /* … */ }
/// pagopa_gestionale_testkit::gestionale_contract!(subject);
/// ```
#[macro_export]
macro_rules! gestionale_contract {
    ($subject:ident) => {
        mod gestionale_contract {
            $crate::gestionale_contract!(@checks $subject;
                positions_are_returned_for_their_debtor,
                pricing_gives_the_quote_or_a_refusal,
                a_notice_is_looked_up,
                notifications_are_idempotent,
                faults_map_onto_the_error_contract,
                a_slow_gestionale_fails_within_the_budget,
            );
        }
    };
    (@checks $subject:ident; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                $crate::contract::run(async {
                    let subject = super::$subject().await;
                    $crate::contract::$check(&subject).await;
                });
            }
        )*
    };
}
