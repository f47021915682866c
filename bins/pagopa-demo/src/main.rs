//! Walks payments through the pagoPA domain with in-memory ports, printing each step: the demo
//! Ente's catalogue, a spontaneous request, a modello-3 cycle (verify, activate, receipt, the
//! gestionale notified) and a modello-1 Checkout cart.

use std::collections::BTreeMap;

use anyhow::Context;
use pagopa_domain::memory::MemoryWorld;
use pagopa_domain::ports::Clock;
use pagopa_domain::services::{ActivateRequest, SpontaneousRequest, StartCart, StationIds, TransferType};
use pagopa_domain::*;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let world = MemoryWorld::new();
    let added = demo::seed(&world.ports(), world.clock.now())
        .await
        .context("seeding the demo Ente")?;
    let services = world.services();
    let comune: EnteId = demo::COMUNE.parse()?;
    let station = StationIds {
        ente: comune.clone(),
        broker: demo::BROKER.into(),
        station: demo::STATION.into(),
    };
    println!("Demo Ente {} with {added} expected positions.\n", demo::comune().name);

    println!("Spontaneous catalogue:");
    for service in services.spontaneous.catalogue(&comune).await? {
        println!("  {:<18} {}", service.code, service.name);
    }

    let values: BTreeMap<String, String> = [
        ("full_name", "Giuseppe Verdi"),
        ("fiscal_code", demo::DEBTOR),
        ("year", "2027"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let request = SpontaneousRequest {
        ente: comune.clone(),
        service: "licenza-pesca".parse()?,
        debtor: SubjectId::FiscalCode(demo::DEBTOR.parse()?),
        debtor_verified: true,
        debtor_name: Some("Giuseppe Verdi".parse()?),
        values,
    };
    let licence = services.spontaneous.submit(request).await?.position;
    let option = &licence.options[0];
    println!(
        "\nFishing licence requested: notice {} (IUV {}), {} EUR, due {}.",
        option.notice_number.to_print_form(),
        option.notice_number.iuv(),
        option.amount.to_italian(),
        option.due_date
    );

    let notice: NoticeNumber = "305260100000471130".parse()?;
    println!("\nModello 3: a PSP pays the TARI notice {}.", notice.to_print_form());
    let info = services.node.verify(&station, &comune, &notice).await?;
    println!(
        "  paVerifyPaymentNotice -> {} EUR, {}, allCCP={}",
        info.amount.to_italian(),
        info.description,
        info.all_ccp
    );
    let activation = ActivateRequest {
        station: station.clone(),
        ente: comune.clone(),
        notice_number: notice.clone(),
        transfer_type: Some(TransferType::PagoPa),
        version: PrimitiveVersion::V2,
        payment_note: None,
    };
    let payment = services.node.activate(&activation).await?;
    for transfer in &payment.option.transfers {
        println!(
            "  paGetPaymentV2 -> transfer {} of {} EUR to {}",
            transfer.id,
            transfer.amount.to_italian(),
            transfer.ente
        );
    }
    let receipt = demo::receipt_for(&payment.option, "4b2f8a1c9d3e47f6a05b71c2e8d94f30", world.clock.now());
    let outcome = services.node.accept_receipt(&station, receipt.clone()).await?;
    println!(
        "  paSendRTV2 -> {} (fault: {:?})",
        outcome.disposition.as_str(),
        outcome.fault().map(FaultCode::as_str)
    );
    let repeat = services.node.accept_receipt(&station, receipt).await?;
    println!(
        "  the same receipt again -> repeated delivery: {}, fault: {:?}",
        repeat.repeated_delivery,
        repeat.fault()
    );
    let report = services.notifier.dispatch_once("demo", 10).await?;
    println!("  gestionale notified: {} message(s) delivered", report.delivered);

    println!("\nModello 1: the citizen pays an IMU instalment through Checkout.");
    let instalment = demo::comune_notice(2_601_000_005_001);
    let cart = services
        .carts
        .start(StartCart {
            notices: vec![(comune.clone(), instalment.clone())],
            citizen: Some(demo::DEBTOR.parse()?),
            email: None,
            return_urls: ReturnUrls {
                ok: "https://portale.example/ok".into(),
                cancel: "https://portale.example/annullato".into(),
                error: "https://portale.example/errore".into(),
                waiting: None,
            },
        })
        .await?;
    println!(
        "  cart {} -> redirect to {}",
        cart.id,
        cart.checkout_url.as_deref().unwrap_or("-")
    );
    let position = services.positions.notice(&comune, &instalment).await?;
    let option = demo::simple_option(
        2_601_000_005_001,
        position.amount.cents(),
        position.description.as_str(),
        "2026-12-16",
    );
    services
        .node
        .accept_receipt(
            &station,
            demo::receipt_for(&option, "e86a3b0f52d94c17b2e5a9c04f1d7b68", world.clock.now()),
        )
        .await?;
    let status = services.carts.status(&cart.id, None).await?;
    println!("  after the receipt the cart is {}", status.status.as_str());
    Ok(())
}
