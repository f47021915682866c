//! Expiry by time: a `Valid` position that expires after its due dates becomes `Expired` once
//! its last due date has passed on the Italian calendar, and the gestionale is told once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{TimeZone, Utc};
use common::*;
use pagopa_domain::ports::PositionRepository;
use pagopa_domain::*;

async fn expiring(s: &Setup, iupd: &str, dues: &[(u64, &str)]) -> Iupd {
    let options = dues
        .iter()
        .enumerate()
        .map(|(i, (base, due))| {
            let mut option = demo::simple_option(*base, 1_000, "Rata", due);
            if dues.len() > 1 {
                option.instalment = Some(Instalment {
                    number: i as u8 + 1,
                    of: dues.len() as u8,
                });
            }
            option
        })
        .collect();
    let mut draft = demo::draft(iupd, demo::debtor(), "Sanzione", options);
    draft.expires_after_due_date = true;
    let position = DebtPosition::create(&comune(), demo::comune_layout(), draft, s.now()).unwrap();
    s.world.store.insert(&position).await.unwrap();
    position.iupd
}

async fn status(s: &Setup, iupd: &Iupd) -> PositionStatus {
    PositionRepository::get(&*s.world.store, &comune(), iupd)
        .await
        .unwrap()
        .unwrap()
        .status
}

#[tokio::test]
async fn positions_expire_the_italian_day_after_their_last_due_date_and_the_gestionale_is_told() {
    let s = seeded().await;
    let plan = expiring(
        &s,
        "PLAN-1",
        &[(2_612_000_000_011, "2026-12-16"), (2_612_000_000_012, "2027-01-16")],
    )
    .await;
    let single = expiring(&s, "ONE-1", &[(2_612_000_000_013, "2026-12-16")]).await;
    // 22:30 UTC on 16 December is 23:30 in Rome: still the due date.
    s.world
        .clock
        .set(Utc.with_ymd_and_hms(2026, 12, 16, 22, 30, 0).unwrap());
    let first = s.services.expiry.run_once(100).await.unwrap();
    let first: Vec<&str> = first.iter().map(|p| p.iupd.as_str()).collect();
    // The canteen position of the demo was due in 2025.
    assert_eq!(first, ["MENSA-2025-03"]);
    assert_eq!(status(&s, &single).await, PositionStatus::Valid);
    // 23:30 UTC is 00:30 of the 17th in Rome.
    s.world
        .clock
        .set(Utc.with_ymd_and_hms(2026, 12, 16, 23, 30, 0).unwrap());
    let expired = s.services.expiry.run_once(100).await.unwrap();
    let iupds: Vec<&str> = expired.iter().map(|p| p.iupd.as_str()).collect();
    assert_eq!(iupds, ["ONE-1"]);
    assert_eq!(status(&s, &single).await, PositionStatus::Expired);
    assert_eq!(
        status(&s, &plan).await,
        PositionStatus::Valid,
        "its last instalment is still due"
    );
    assert!(
        s.services.expiry.run_once(100).await.unwrap().is_empty(),
        "nothing twice"
    );

    s.services.notifier.dispatch_once("w", 100).await.unwrap();
    let told: Vec<String> = s
        .world
        .gestionale
        .expiries()
        .iter()
        .map(|n| n.iupd.to_string())
        .collect();
    assert_eq!(told, ["MENSA-2025-03", "ONE-1"], "each position once");
}

#[tokio::test]
async fn only_unpaid_positions_that_expire_after_their_due_dates_expire() {
    let s = seeded().await;
    let plan = expiring(
        &s,
        "PLAN-2",
        &[(2_612_000_000_021, "2026-12-16"), (2_612_000_000_022, "2027-01-16")],
    )
    .await;
    s.services
        .node
        .accept_receipt(
            &station(),
            receipt("rata-1", &demo::comune_notice(2_612_000_000_021), 1_000, s.now()),
        )
        .await
        .unwrap();
    s.world.clock.set(Utc.with_ymd_and_hms(2028, 1, 1, 12, 0, 0).unwrap());
    let expired = s.services.expiry.run_once(100).await.unwrap();
    // TARI, IMU and the other demo positions do not expire after their due dates; the
    // partially paid plan is not expired by time.
    let iupds: Vec<&str> = expired.iter().map(|p| p.iupd.as_str()).collect();
    assert_eq!(iupds, ["MENSA-2025-03"]);
    assert_eq!(status(&s, &plan).await, PositionStatus::PartiallyPaid);
}
