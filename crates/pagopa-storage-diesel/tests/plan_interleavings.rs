//! A property over random interleavings of receipts for an instalment plan (a single solution
//! and 2..5 instalments; repeats, several receipt ids per notice, random order, sequential or
//! concurrent delivery), on the in-memory store, SQLite and PostgreSQL:
//! - every receipt is stored once;
//! - what the options record plus what was stored as double payments adds up to the receipts;
//! - the position ends as the rules say (paid once the single solution or every instalment is
//!   paid, partially paid with some instalments, valid with none);
//! - every receipt beyond a clean plan is flagged (in sequential delivery: exactly the
//!   disposition the rules give for that order).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};

use pagopa_domain::memory::MemoryWorld;
use pagopa_domain::ports::{Clock as _, Ports, ReceiptQuery};
use pagopa_domain::services::Services;
use pagopa_domain::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use support::{TestDb, comune, station};

/// A delivery: which option (0 is the single solution), which of two receipt ids for it.
type Delivery = (usize, u8);

#[derive(Clone, Debug)]
struct Case {
    instalments: usize,
    deliveries: Vec<Delivery>,
    concurrent: bool,
}

fn cases() -> impl Strategy<Value = Case> {
    (2usize..=5).prop_flat_map(|instalments| {
        (
            Just(instalments),
            proptest::collection::vec((0..=instalments, 0u8..2), 1..10),
            any::<bool>(),
        )
            .prop_map(|(instalments, deliveries, concurrent)| Case {
                instalments,
                deliveries,
                concurrent,
            })
    })
}

static PLANS: AtomicU64 = AtomicU64::new(0);

/// A fresh plan (its own iupd and notices) in the store behind `ports`.
async fn plan(ports: &Ports, instalments: usize) -> (Iupd, Vec<PaymentOption>) {
    let n = PLANS.fetch_add(1, Ordering::Relaxed);
    let base = 2_700_000_000_000 + n * 10;
    let mut options = vec![demo::simple_option(
        base,
        10_000 * instalments as u64,
        "Unica",
        "2027-06-30",
    )];
    for i in 0..instalments {
        let mut option = demo::simple_option(base + 1 + i as u64, 10_000, "Rata", "2027-06-30");
        option.instalment = Some(Instalment {
            number: i as u8 + 1,
            of: instalments as u8,
        });
        options.push(option);
    }
    let draft = demo::draft(&format!("PLAN-{n}"), demo::debtor(), "Piano", options.clone());
    let position = DebtPosition::create(&comune(), demo::comune_layout(), draft, ports.clock.now()).unwrap();
    ports.positions.insert(&position).await.unwrap();
    (position.iupd, options)
}

fn receipt_id(iupd: &Iupd, (option, k): Delivery) -> String {
    format!("{iupd}-{option}-{k}")
}

/// What the rules say for receipts arriving one after another in `order` (first arrivals of
/// each id): the disposition of each receipt id.
fn expected_dispositions(iupd: &Iupd, order: &[Delivery]) -> BTreeMap<String, &'static str> {
    let mut paid = BTreeSet::new();
    let mut out = BTreeMap::new();
    for &delivery in order {
        let id = receipt_id(iupd, delivery);
        if out.contains_key(&id) {
            continue;
        }
        let option = delivery.0;
        let other_kind_paid = paid.iter().any(|&o: &usize| (o == 0) != (option == 0));
        let disposition = if paid.contains(&option) {
            "double_payment"
        } else if other_kind_paid {
            "plan_overlap"
        } else {
            "settled"
        };
        if disposition != "double_payment" {
            paid.insert(option);
        }
        out.insert(id, disposition);
    }
    out
}

async fn check(ports: Ports, case: Case) -> Result<(), TestCaseError> {
    let services = Services::new(ports.clone());
    let (iupd, options) = plan(&ports, case.instalments).await;
    let at = ports.clock.now();
    let receipt_of = |delivery: Delivery| demo::receipt_for(&options[delivery.0], &receipt_id(&iupd, delivery), at);
    if case.concurrent {
        let mut tasks = Vec::new();
        for &delivery in &case.deliveries {
            let node = services.node.clone();
            let receipt = receipt_of(delivery);
            tasks.push(tokio::spawn(
                async move { node.accept_receipt(&station(), receipt).await },
            ));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
    } else {
        for &delivery in &case.deliveries {
            services
                .node
                .accept_receipt(&station(), receipt_of(delivery))
                .await
                .unwrap();
        }
    }

    // Every receipt stored once.
    let mut stored = Vec::new();
    for option in &options {
        let page = ports
            .receipts
            .search(&ReceiptQuery {
                notice_number: Some(option.notice_number.clone()),
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap();
        stored.extend(page.items);
    }
    let distinct: BTreeSet<String> = case.deliveries.iter().map(|&d| receipt_id(&iupd, d)).collect();
    let stored_ids: Vec<String> = stored.iter().map(|s| s.receipt.receipt_id.to_string()).collect();
    prop_assert_eq!(stored_ids.len(), distinct.len(), "each receipt once: {:?}", stored_ids);
    prop_assert_eq!(stored_ids.iter().cloned().collect::<BTreeSet<_>>(), distinct.clone());

    // The money adds up: recorded on options, or kept as a double payment.
    let position = ports.positions.get(&comune(), &iupd).await.unwrap().unwrap();
    let recorded: u64 = position
        .options
        .iter()
        .filter_map(|o| o.payment.as_ref())
        .map(|p| p.amount.cents())
        .sum();
    let doubles: u64 = stored
        .iter()
        .filter(|s| s.disposition.as_str() == "double_payment")
        .map(|s| s.receipt.amount.cents())
        .sum();
    let received: u64 = stored.iter().map(|s| s.receipt.amount.cents()).sum();
    prop_assert_eq!(recorded + doubles, received);

    // The position ends as the rules say.
    let paid_options: BTreeSet<usize> = case.deliveries.iter().map(|d| d.0).collect();
    for (i, option) in position.options.iter().enumerate() {
        prop_assert_eq!(option.payment.is_some(), paid_options.contains(&i), "option {}", i);
    }
    let all_instalments = (1..=case.instalments).all(|i| paid_options.contains(&i));
    let expected_status = if paid_options.contains(&0) || all_instalments {
        PositionStatus::Paid
    } else if paid_options.is_empty() {
        PositionStatus::Valid
    } else {
        PositionStatus::PartiallyPaid
    };
    prop_assert_eq!(position.status, expected_status);

    // Every receipt beyond a clean plan is flagged.
    let by_id: BTreeMap<String, &StoredReceipt> =
        stored.iter().map(|s| (s.receipt.receipt_id.to_string(), s)).collect();
    let doubles_count = stored
        .iter()
        .filter(|s| s.disposition.as_str() == "double_payment")
        .count();
    prop_assert_eq!(
        doubles_count,
        distinct.len() - paid_options.len(),
        "one receipt per option settles it"
    );
    let clean: Vec<&&StoredReceipt> = by_id.values().filter(|s| !s.disposition.needs_review()).collect();
    let clean_kinds: BTreeSet<bool> = clean
        .iter()
        .map(|s| s.receipt.notice_number == options[0].notice_number)
        .collect();
    prop_assert!(clean_kinds.len() <= 1, "clean receipts are of one kind of the plan");
    if paid_options.contains(&0) && paid_options.iter().any(|&o| o > 0) {
        prop_assert!(by_id.values().any(|s| s.disposition.as_str() == "plan_overlap"));
    }
    if !case.concurrent {
        let expected = expected_dispositions(&iupd, &case.deliveries);
        let got: BTreeMap<String, &'static str> = by_id
            .iter()
            .map(|(id, s)| (id.clone(), s.disposition.as_str()))
            .collect();
        prop_assert_eq!(got, expected);
    }
    Ok(())
}

fn run(ports: impl Fn() -> Ports, runtime: &tokio::runtime::Runtime) {
    let mut runner = TestRunner::new(Config {
        cases: 16,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&cases(), |case| runtime.block_on(check(ports(), case)))
        .unwrap();
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

async fn seed(ports: &Ports, world: &MemoryWorld) {
    demo::seed(ports, world.clock.now()).await.unwrap();
}

#[test]
fn receipt_interleavings_in_memory() {
    let runtime = runtime();
    let world = MemoryWorld::new();
    runtime.block_on(seed(&world.ports(), &world));
    run(|| world.ports(), &runtime);
}

#[test]
fn receipt_interleavings_on_sqlite() {
    let runtime = runtime();
    let world = MemoryWorld::new();
    let db = runtime.block_on(TestDb::sqlite());
    let ports = support::ports(&db.store, &world);
    runtime.block_on(seed(&ports, &world));
    run(|| ports.clone(), &runtime);
}

#[test]
fn receipt_interleavings_on_postgres() {
    let runtime = runtime();
    let world = MemoryWorld::new();
    let Some(db) = runtime.block_on(TestDb::postgres()) else {
        return;
    };
    let ports = support::ports(&db.store, &world);
    runtime.block_on(seed(&ports, &world));
    run(|| ports.clone(), &runtime);
}
