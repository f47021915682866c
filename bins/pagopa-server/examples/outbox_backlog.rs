//! The two halves of the outbox benchmark (`tests/load/outbox-drain.sh`), so the measurement
//! is about delivery alone:
//!
//! ```sh
//! # N payment notifications of the demo Comune, each of its own position, straight into the
//! # outbox of a migrated store (the Comune stored too), in transactions of 1 000:
//! cargo run --release -p pagopa-server --example outbox_backlog -- seed sqlite://./pagopa.db 100000
//! # the kit's fake HTTP gestionale, checking signatures with SECRET; prints its base URL, then
//! # every second the distinct payments it took:
//! cargo run --release -p pagopa-server --example outbox_backlog -- gestionale whsec_…
//! ```

#![allow(clippy::print_stdout)]

use anyhow::bail;
use pagopa_domain::ports::{EnteRepository, Outbox};
use pagopa_domain::{AmountCents, OutboxEvent, PaymentNotification, ReceiptDisposition, demo};
use pagopa_gestionale_testkit::FakeHttpGestionale;
use pagopa_storage_diesel::DieselStore;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["seed", url, count] => {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(seed(url, count.parse()?))
        }
        ["gestionale", secret] => serve(secret),
        _ => bail!("usage: outbox_backlog seed DATABASE_URL COUNT | outbox_backlog gestionale WEBHOOK_SECRET"),
    }
}

async fn seed(url: &str, count: u64) -> anyhow::Result<()> {
    let store = DieselStore::connect(url, 2)?;
    store.migrate().await?;
    let mut comune = demo::comune();
    comune.gestionale = Some("bench".parse().map_err(anyhow::Error::msg)?);
    comune.positions_on_demand = false;
    store.upsert(&comune).await?;
    let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now());
    let started = std::time::Instant::now();
    let mut batch = Vec::with_capacity(1_000);
    for n in 0..count {
        let notice = demo::comune_notice(2_612_600_000_000 + n);
        batch.push(OutboxEvent::PaymentReceived(PaymentNotification {
            receipt_id: format!("bench-{n}").parse().map_err(anyhow::Error::msg)?,
            ente: comune.id.clone(),
            iuv: notice.iuv(),
            notice_number: notice,
            iupd: Some(format!("BENCH-{n}").parse().map_err(anyhow::Error::msg)?),
            amount: AmountCents::new(1_000 + n % 1_000)?,
            paid_at: now,
            disposition: ReceiptDisposition::Settled,
            psp_name: "Banca Esempio S.p.A.".into(),
        }));
        if batch.len() == 1_000 || n + 1 == count {
            store.enqueue(&batch, now).await?;
            batch.clear();
        }
    }
    println!(
        "seeded {count} notifications in {:.1} s; backlog {}",
        started.elapsed().as_secs_f64(),
        store.backlog().await?
    );
    Ok(())
}

fn serve(secret: &str) -> anyhow::Result<()> {
    let fake = FakeHttpGestionale::start_with(FakeHttpGestionale::with_webhook_secret(secret));
    let backend = fake.backend();
    println!("{}", fake.base_url());
    loop {
        std::thread::sleep(std::time::Duration::from_secs(1));
        println!("{}", backend.distinct_payments());
    }
}
