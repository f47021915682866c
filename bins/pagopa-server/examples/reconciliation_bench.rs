//! The reconciliation benchmark (`tests/load/reconciliation.sh`): one flow of N payments
//! fetched from an FdR REST service and matched to N stored receipts, timed end to end.
//!
//! ```sh
//! cargo run --release -p pagopa-server --example reconciliation_bench -- sqlite://./rec.db 100000
//! ```
//!
//! The set-up, not timed: a migrated store with the demo Comune, N positions of it and a
//! receipt paying each (one transfer, distinct IUVs), and a local stand-in of the FdR organization API serving
//! one flow that lists them all (pages of 1 000 payments, as the service does). Timed: the
//! scheduled fetch of the Comune, `Reconciliation::fetch_due`, through the real FdR client
//! over HTTP: the listing, the header, every page of payments, storing the flow with its raw
//! pages, matching every line to its receipt, saving the matches and the anomalies, moving the
//! N paid positions to `Reported`, and the sweep that follows (receipts without a flow over
//! all N receipts).

#![allow(clippy::print_stdout)]

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use anyhow::{Context, bail};
use chrono::{DateTime, Duration, Utc};
use pagopa_domain::ports::{
    EnteRepository, PositionRepository, ReceiptRepository, ReceiptWrite, ReconciliationRepository,
};
use pagopa_domain::services::{FetchSchedule, Reconciliation, ReconciliationSettings};
use pagopa_domain::{DebtPosition, OptionPayment, PositionStatus, ReceiptDisposition, StoredReceipt, demo};
use pagopa_http_client::Secret;
use pagopa_http_client::stand_in::StandIn;
use pagopa_nodo::fdr::{FdrClient, FdrFlowSource, FdrSettings};
use pagopa_storage_diesel::DieselStore;

const PSP: &str = "ABI03069";
const FLOW: &str = "2026-11-25ABI03069-bench";
const PAGE: usize = 1_000;
/// The first IUV base of the receipts, clear of the demo's.
const BASE: u64 = 3_100_000_000_000;

/// What the stand-in serves: the payments of the one flow.
struct Flow {
    payments: Vec<(String, String, i64)>,
    published: DateTime<Utc>,
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (url, count) = match args.as_slice() {
        [url, count] => (url.clone(), count.parse::<u64>().context("COUNT")?),
        _ => bail!("usage: reconciliation_bench DATABASE_URL COUNT"),
    };
    actix_web::rt::System::new().block_on(run(&url, count))
}

fn comune_id() -> pagopa_domain::EnteId {
    demo::comune().id
}

fn receipt_id(n: u64) -> String {
    format!("bench{n:027}")
}

async fn seed(store: &DieselStore, count: u64, at: DateTime<Utc>) -> anyhow::Result<Vec<(String, String, i64)>> {
    let comune = demo::comune();
    store.upsert(&comune).await?;
    let mut payments = Vec::with_capacity(count as usize);
    let numbers: Vec<u64> = (0..count).collect();
    for chunk in numbers.chunks(1_000) {
        // A position per receipt, paid by it, as the Node's receipts leave them.
        let mut positions = Vec::with_capacity(chunk.len());
        for &n in chunk {
            let cents = 1_000 + n % 5_000;
            let option = demo::simple_option(BASE + n, cents, "Retta", "2026-12-31");
            let draft = demo::draft(&format!("BENCH-{n:07}"), demo::debtor(), "Retta", vec![option]);
            positions.push(DebtPosition::create(&comune.id, comune.notice_layout, draft, at)?);
        }
        store.insert_batch(&positions).await?;
        let mut pending = Vec::with_capacity(chunk.len());
        for (&n, mut position) in chunk.iter().zip(positions) {
            let option = position.options[0].clone();
            let receipt = demo::receipt_for(&option, &receipt_id(n), at);
            payments.push((
                receipt.creditor_reference_id.as_str().to_owned(),
                receipt.receipt_id.as_str().to_owned(),
                option.amount.cents() as i64,
            ));
            let payment = OptionPayment {
                receipt_id: receipt.receipt_id.clone(),
                paid_at: receipt.paid_at(),
                amount: receipt.amount,
            };
            position.record_payment(&option.notice_number, payment, at)?;
            let store = store.clone();
            pending.push(actix_web::rt::spawn(async move {
                store
                    .record(ReceiptWrite {
                        receipt: StoredReceipt {
                            receipt,
                            disposition: ReceiptDisposition::Settled,
                        },
                        position: Some(position),
                        outbox: Vec::new(),
                    })
                    .await
            }));
        }
        for task in pending {
            task.await??;
        }
    }
    Ok(payments)
}

fn query_page(request: &HttpRequest) -> usize {
    request
        .query_string()
        .split('&')
        .find_map(|pair| pair.strip_prefix("page="))
        .and_then(|page| page.parse().ok())
        .unwrap_or(1)
}

async fn answer(request: HttpRequest, flow: web::Data<Flow>) -> HttpResponse {
    let path = request.path();
    let total_pages = flow.payments.len().div_ceil(PAGE).max(1);
    if path.ends_with("/fdrs") {
        return HttpResponse::Ok().json(serde_json::json!({
            "metadata": { "pageSize": 1000, "pageNumber": 1, "totPage": 1 },
            "count": 1,
            "data": [{ "fdr": FLOW, "pspId": PSP, "revision": 1,
                "published": flow.published, "flowDate": flow.published }],
        }));
    }
    if path.ends_with("/payments") {
        let page = query_page(&request);
        let data: Vec<serde_json::Value> = flow
            .payments
            .iter()
            .enumerate()
            .skip((page - 1) * PAGE)
            .take(PAGE)
            .map(|(i, (iuv, iur, cents))| {
                serde_json::json!({ "index": i + 1, "iuv": iuv, "iur": iur, "idTransfer": 1,
                    "pay": *cents as f64 / 100.0, "payStatus": "EXECUTED", "payDate": flow.published })
            })
            .collect();
        return HttpResponse::Ok().json(serde_json::json!({
            "metadata": { "pageSize": PAGE, "pageNumber": page, "totPage": total_pages },
            "count": flow.payments.len(),
            "data": data,
        }));
    }
    let sum: i64 = flow.payments.iter().map(|(_, _, cents)| cents).sum();
    HttpResponse::Ok().json(serde_json::json!({
        "status": "PUBLISHED", "revision": 1, "fdr": FLOW, "fdrDate": flow.published,
        "regulation": "SCT-BENCH-0001", "regulationDate": "2026-11-26",
        "sender": { "type": "ABI_CODE", "id": "03069", "pspId": PSP, "pspName": "Banca Esempio",
            "pspBrokerId": PSP, "channelId": "03069_01" },
        "receiver": { "id": demo::COMUNE, "organizationId": demo::COMUNE, "organizationName": "Comune di Valdesempio" },
        "published": flow.published,
        "totPayments": flow.payments.len(), "sumPayments": sum as f64 / 100.0,
    }))
}

async fn run(url: &str, count: u64) -> anyhow::Result<()> {
    let store = DieselStore::connect(url, 4)?;
    store.migrate().await?;
    let now: DateTime<Utc> = std::time::SystemTime::now().into();
    let started = std::time::Instant::now();
    let payments = seed(&store, count, now - Duration::hours(30)).await?;
    if url.starts_with("postgres") {
        // What autovacuum does within a minute of a load this size: without statistics the
        // planner reads the new receipts by Ente rather than by key.
        use diesel::Connection;
        use diesel::connection::SimpleConnection;
        diesel::PgConnection::establish(url)?.batch_execute("ANALYZE")?;
    }
    println!(
        "set-up: {count} positions paid by their receipts in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let service = StandIn::start(
        Flow {
            payments,
            published: now - Duration::hours(1),
        },
        answer,
    )?;
    let client = FdrClient::new(FdrSettings {
        base_url: service.url("/fdr-org/service/v1"),
        subscription_key: Secret::new("bench-key"),
        timeout_ms: 30_000,
        page_size: 1_000,
    })?;
    let source = FdrFlowSource::new(client);
    let store = Arc::new(store);
    let reconciliation = Reconciliation::new(
        store.clone(),
        store.clone(),
        store.clone(),
        Arc::new(pagopa_domain::ports::SystemClock),
        ReconciliationSettings::default(),
    );
    let comune: pagopa_domain::EnteId = demo::COMUNE.parse().map_err(anyhow::Error::msg)?;
    let started = std::time::Instant::now();
    let outcome = reconciliation
        .fetch_due(&comune, &source, "bench", &FetchSchedule::default(), true)
        .await?
        .context("the fetch was not this worker's")?;
    let elapsed = started.elapsed();
    let flow = store
        .flow(
            &pagopa_domain::FlowKey {
                ente: comune,
                psp: PSP.parse().map_err(anyhow::Error::msg)?,
                flow_id: FLOW.parse().map_err(anyhow::Error::msg)?,
            },
            None,
        )
        .await?
        .context("the flow was not stored")?;
    let matched = flow.matches.iter().filter(|m| m.receipt().is_some()).count();
    println!(
        "fetched {} flow(s), {} lines, {matched} matched, status {}, failed {:?}: {:.2} s ({:.0} lines/s)",
        outcome.fetched,
        flow.flow.lines.len(),
        flow.summary.status.as_str(),
        outcome.failed,
        elapsed.as_secs_f64(),
        flow.flow.lines.len() as f64 / elapsed.as_secs_f64()
    );
    if matched as u64 != count {
        bail!("{matched} of {count} lines matched");
    }
    let last = demo::comune_notice(BASE + count - 1);
    let position = store
        .find_by_notice(&comune_id(), &last)
        .await?
        .context("the last position")?;
    if position.status != PositionStatus::Reported {
        bail!("the last position is {:?}, not reported", position.status);
    }
    service.stop().await;
    Ok(())
}
