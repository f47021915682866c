//! Due dates, expiry and spontaneous due dates follow the Italian calendar day (Europe/Rome,
//! summer time included), not the UTC date: the hour after midnight in Italy is still the
//! previous day in UTC.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use common::*;
use pagopa_domain::ports::PositionRepository;
use pagopa_domain::services::SpontaneousRequest;
use pagopa_domain::*;

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap()
}

/// A position that expires after its due date, `due`.
async fn expiring_position(s: &Setup, base: u64, due: &str) -> NoticeNumber {
    let option = demo::simple_option(base, 1_000, "Sanzione", due);
    let notice = option.notice_number.clone();
    let mut draft = demo::draft(&format!("EXP-{base}"), demo::debtor(), "Sanzione", vec![option]);
    draft.expires_after_due_date = true;
    let position = DebtPosition::create(&comune(), demo::comune_layout(), draft, s.now()).unwrap();
    s.world.store.insert(&position).await.unwrap();
    notice
}

async fn check_expired_the_hour_after_midnight(due: &str, utc_before: DateTime<Utc>, utc_after: DateTime<Utc>) {
    let s = seeded().await;
    let notice = expiring_position(&s, 2_612_000_000_001, due).await;
    // 23:30 in Italy on the due date: still payable.
    s.world.clock.set(utc_before);
    s.services.node.verify(&station(), &comune(), &notice).await.unwrap();
    // 00:30 in Italy the day after (still the due date in UTC): expired.
    s.world.clock.set(utc_after);
    let err = s
        .services
        .node
        .verify(&station(), &comune(), &notice)
        .await
        .unwrap_err();
    assert_eq!(err.fault_code(), FaultCode::PagamentoScaduto, "{due} at {utc_after}");
}

#[tokio::test]
async fn a_notice_expires_at_italian_midnight_in_winter() {
    // CET = UTC+1: 00:30 of 17 December in Rome is 23:30 UTC of the 16th.
    check_expired_the_hour_after_midnight("2026-12-16", utc(2026, 12, 16, 22, 30), utc(2026, 12, 16, 23, 30)).await;
}

#[tokio::test]
async fn a_notice_expires_at_italian_midnight_in_summer() {
    // CEST = UTC+2: 01:30 of 16 July in Rome is 23:30 UTC of the 15th.
    check_expired_the_hour_after_midnight("2026-07-15", utc(2026, 7, 15, 21, 30), utc(2026, 7, 15, 23, 30)).await;
}

#[tokio::test]
async fn a_late_receipt_in_the_hour_after_italian_midnight_is_flagged() {
    let s = seeded().await;
    let notice = expiring_position(&s, 2_612_000_000_002, "2026-12-16").await;
    s.world.clock.set(utc(2026, 12, 16, 23, 30));
    let option = demo::simple_option(2_612_000_000_002, 1_000, "Sanzione", "2026-12-16");
    let out = s
        .services
        .node
        .accept_receipt(&station(), demo::receipt_for(&option, "late-1", s.now()))
        .await
        .unwrap();
    assert_eq!(out.disposition.as_str(), "settled_after_expiry");
    assert!(out.disposition.needs_review());
    assert_eq!(out.fault(), None, "a receipt is never refused");
    let position = s.world.store.find_by_notice(&comune(), &notice).await.unwrap().unwrap();
    assert_eq!(position.status, PositionStatus::Paid, "the money was collected");
}

#[tokio::test]
async fn a_spontaneous_due_date_counts_from_the_italian_day() {
    let s = seeded().await;
    // 00:30 of 1 January 2027 in Rome, still 31 December in UTC.
    s.world.clock.set(utc(2026, 12, 31, 23, 30));
    let values: BTreeMap<String, String> = [
        ("full_name", "Giuseppe Verdi"),
        ("fiscal_code", "VRDGPP80A01B157X"),
        ("year", "2027"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let created = s
        .services
        .spontaneous
        .submit(SpontaneousRequest {
            ente: comune(),
            service: "licenza-pesca".parse().unwrap(),
            debtor: SubjectId::FiscalCode(demo::DEBTOR.parse().unwrap()),
            debtor_verified: true,
            debtor_name: None,
            values,
        })
        .await
        .unwrap();
    // licenza-pesca is due 30 days after the request.
    assert_eq!(
        created.position.options[0].due_date,
        NaiveDate::from_ymd_opt(2027, 1, 31).unwrap()
    );
}
