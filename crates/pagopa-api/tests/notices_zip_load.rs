//! Load check of the streamed ZIP (run on demand, in release):
//! `cargo test --release -p pagopa-api --test notices_zip_load -- --ignored --nocapture`.
//! 10 000 positions of the demo Comune (single option with the postal slip) go out as one ZIP;
//! resident memory is sampled while the body streams.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::pin::Pin;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::{App, test, web};
use pagopa_api::{ApiKeyEntry, ApiKeys, ApiState, Role, configure, problem_details};
use pagopa_domain::memory::MemoryWorld;
use pagopa_domain::ports::Clock;
use pagopa_domain::{DebtPosition, demo};

const POSITIONS: u64 = 10_000;

fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

#[actix_web::test]
#[ignore = "load check: run in release on demand"]
async fn ten_thousand_notices_stream_in_flat_memory() {
    let world = MemoryWorld::new();
    demo::seed(&world.ports(), world.clock.now()).await.unwrap();
    let comune = demo::comune();
    let positions: Vec<DebtPosition> = (0..POSITIONS)
        .map(|i| {
            let option = demo::simple_option(3_000_000_000 + i, 12_345 + i, "TARI 2026 acconto", "2026-12-16");
            let draft = demo::draft(
                &format!("LOAD-{i:06}"),
                demo::debtor(),
                "TARI 2026 acconto",
                vec![option],
            );
            DebtPosition::create(&comune.id, comune.notice_layout, draft, world.clock.now()).unwrap()
        })
        .collect();
    world.ports().positions.insert_batch(&positions).await.unwrap();
    drop(positions);
    let state = ApiState {
        services: world.services(),
        ports: world.ports(),
    };
    let keys = ApiKeys::new(&[ApiKeyEntry {
        name: "op".into(),
        sha256: ApiKeys::hash("op"),
        role: Role::Operator,
        entes: vec![],
    }])
    .unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(state))
            .app_data(web::Data::new(keys))
            .wrap(problem_details())
            .configure(configure),
    )
    .await;
    let before = resident_kib();
    let started = Instant::now();
    let request = test::TestRequest::post()
        .uri(&format!("/api/v1/admin/entes/{}/notices.zip", demo::COMUNE))
        .insert_header(("x-api-key", "op"))
        .set_json(serde_json::json!({}))
        .to_request();
    let response = test::call_service(&app, request).await;
    assert!(response.status().is_success());
    let mut body = Box::pin(response.into_body());
    let (mut bytes, mut peak, mut chunks) = (0usize, before, 0u64);
    while let Some(chunk) = std::future::poll_fn(|cx| Pin::as_mut(&mut body).poll_next(cx)).await {
        bytes += chunk.unwrap().len();
        chunks += 1;
        if chunks.is_multiple_of(64) {
            peak = peak.max(resident_kib());
        }
    }
    let elapsed = started.elapsed();
    let notices = POSITIONS + 3; // the demo's own printable positions too
    let growth_mib = (peak.saturating_sub(before)) as f64 / 1024.0;
    println!(
        "{notices} notices, {:.1} MB in {:.1} s: {:.0} notices/s; resident {} → peak {} KiB (+{growth_mib:.1} MiB)",
        bytes as f64 / 1e6,
        elapsed.as_secs_f64(),
        notices as f64 / elapsed.as_secs_f64(),
        before,
        peak
    );
    assert!(bytes > POSITIONS as usize * 20_000);
    assert!(growth_mib < 64.0, "resident memory grew by {growth_mib:.1} MiB");
}
