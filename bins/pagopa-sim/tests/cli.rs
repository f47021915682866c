//! The `pagopa-sim` binary against a fake Ente endpoint: reports, exit codes, kept receipts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

use common::{FakeEc, SECRET, Script, TARI_NOTICE};
use serde_json::Value;

/// Runs the binary off the test's runtime, which must keep serving the fake.
async fn sim(args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    actix_web::rt::task::spawn_blocking(move || Command::new(env!("CARGO_BIN_EXE_pagopa-sim")).args(args).output())
        .await
        .unwrap()
        .unwrap()
}

fn state_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pagopa-sim-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[actix_web::test]
async fn pay_keeps_the_receipt_and_resend_sends_it_again() {
    let ec = FakeEc::start(Script::default()).await;
    let url = ec.url();
    let dir = state_dir("pay");
    let dir_arg = dir.to_str().unwrap();
    let out = sim(&[
        "pay",
        "--ec-url",
        &url,
        "--notice",
        TARI_NOTICE,
        "--secret",
        SECRET,
        "--state-dir",
        dir_arg,
        "--json",
    ])
    .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["success"], true);
    let receipt_id = report["receipt_id"].as_str().unwrap().to_owned();
    assert!(dir.join("receipts").join(format!("{receipt_id}.xml")).exists());
    assert!(ec.seen().iter().all(|s| s.secret.as_deref() == Some(SECRET)));

    let out = sim(&[
        "resend-receipt",
        "--ec-url",
        &url,
        "--receipt-id",
        &receipt_id,
        "--state-dir",
        dir_arg,
    ])
    .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).contains("receipt (resend)"));
    assert_eq!(
        ec.actions(),
        ["paVerifyPaymentNotice", "paGetPaymentV2", "paSendRTV2", "paSendRTV2"]
    );

    // Paying the same notice again: the fake refuses the new receipt, an unexpected outcome.
    let out = sim(&["pay", "--ec-url", &url, "--notice", TARI_NOTICE, "--state-dir", dir_arg]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("UNEXPECTED"));

    // Bad arguments are not outcomes.
    let out = sim(&["pay", "--ec-url", &url, "--notice", "123", "--state-dir", dir_arg]).await;
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(dir).unwrap();
    ec.stop().await;
}

#[actix_web::test]
async fn bench_reports_latencies_per_operation() {
    let ec = FakeEc::start(Script::default()).await;
    let url = ec.url();
    // The fake pays each notice once: one notice, one successful cycle.
    let out = sim(&[
        "bench",
        "--ec-url",
        &url,
        "--ente",
        common::COMUNE,
        "--notices",
        TARI_NOTICE,
        "--concurrency",
        "4",
        "--duration-secs",
        "5",
        "--json",
    ])
    .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["cycles_ok"], 1);
    assert_eq!(report["notices_exhausted"], true);
    let operations: Vec<&str> = report["latencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["operation"].as_str().unwrap())
        .collect();
    assert_eq!(
        operations,
        ["paVerifyPaymentNotice", "paGetPaymentV2", "paSendRTV2", "cycle"]
    );
    ec.stop().await;
}
