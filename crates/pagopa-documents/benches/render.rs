//! Rendering speed on one core: notices per second for a single option with the postal slip
//! and for a 3-instalment plan with postal slips, and receipts per second; with their sizes.
//!
//! `cargo bench -p pagopa-documents --bench render` (plain timing loop, `harness = false`).
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use pagopa_documents::{NoticeInput, render_notice, render_receipt};
use pagopa_domain::{DebtPosition, PositionDraft, ReceiptDisposition, StoredReceipt, demo};

fn position(draft: PositionDraft) -> DebtPosition {
    let comune = demo::comune();
    DebtPosition::create(
        &comune.id,
        comune.notice_layout,
        draft,
        Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap(),
    )
    .unwrap()
}

/// The time this thread has spent on a CPU (Linux `/proc/thread-self/schedstat`), so the figure
/// is per core even when other processes share the machine; `None` elsewhere.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

fn measure(name: &str, iterations: u32, mut render: impl FnMut() -> Vec<u8>) {
    // Warm up: fonts loaded, caches filled.
    let size = render().len();
    let cpu_start = cpu_time();
    let start = Instant::now();
    for _ in 0..iterations {
        std::hint::black_box(render());
    }
    let wall = start.elapsed();
    let cpu = cpu_start.and_then(|s| cpu_time().map(|e| e - s)).unwrap_or(wall);
    let rate = |d: Duration| f64::from(iterations) / d.as_secs_f64();
    println!(
        "{name:<40} {:>6.0} /s per core (CPU {:>5.2} ms each)  {:>6.0} /s wall  {:>6} bytes",
        rate(cpu),
        cpu.as_secs_f64() * 1000.0 / f64::from(iterations),
        rate(wall),
        size
    );
}

fn main() {
    let iterations: u32 = std::env::var("BENCH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let ente = demo::comune();
    let tari = position(demo::tari());
    let mut plan = demo::imu_plan();
    plan.options.remove(0);
    let instalments = position(plan);
    let imu = position(demo::imu_plan());
    measure("notice, single option + Poste", iterations, || {
        render_notice(&NoticeInput::new(&ente, None, &tari)).unwrap()
    });
    measure("notice, 3 instalments + Poste", iterations, || {
        render_notice(&NoticeInput::new(&ente, None, &instalments)).unwrap()
    });
    measure("notice, single + 3 instalments + Poste", iterations, || {
        render_notice(&NoticeInput::new(&ente, None, &imu)).unwrap()
    });
    let receipt = StoredReceipt {
        receipt: demo::receipt_for(
            &tari.options[0],
            "rcpt-bench-1",
            Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap(),
        ),
        disposition: ReceiptDisposition::Settled,
    };
    measure("receipt (PDF/A-2b)", iterations, || {
        render_receipt(&ente, &receipt).unwrap()
    });
}
