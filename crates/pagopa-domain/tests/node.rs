//! The Node's operations: verify, activation and demand, with every fault path.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use chrono::Duration;
use common::*;
use pagopa_domain::ports::PositionRepository;
use pagopa_domain::services::{ActivateRequest, StationIds, TransferType};
use pagopa_domain::*;

#[tokio::test]
async fn verify_returns_the_current_option() {
    let s = seeded().await;
    let info = s.services.node.verify(&station(), &comune(), &n1()).await.unwrap();
    assert_eq!(info.amount.cents(), 24_570);
    assert_eq!(info.ente.name.as_str(), "Comune di Valdesempio");
    assert!(!info.all_ccp, "the Provincia's TEFA share has no postal account");
}

#[tokio::test]
async fn wrong_station_ids_get_their_own_faults() {
    let s = seeded().await;
    let mut ids = station();
    ids.ente = "77777777777".parse().unwrap();
    let err = s.services.node.verify(&ids, &comune(), &n1()).await.unwrap_err();
    assert_eq!(err.fault_code(), FaultCode::IdDominioErrato);

    let ids = StationIds {
        broker: "99999999999".into(),
        ..station()
    };
    assert_eq!(
        s.services
            .node
            .verify(&ids, &comune(), &n1())
            .await
            .unwrap_err()
            .fault_code(),
        FaultCode::IdIntermediarioErrato
    );

    let ids = StationIds {
        station: "80012345676_99".into(),
        ..station()
    };
    assert_eq!(
        s.services
            .node
            .verify(&ids, &comune(), &n1())
            .await
            .unwrap_err()
            .fault_code(),
        FaultCode::StazioneIntErrata
    );

    let unknown_qr_ente: EnteId = "00000000000".parse().unwrap();
    assert_eq!(
        s.services
            .node
            .verify(&station(), &unknown_qr_ente, &n1())
            .await
            .unwrap_err()
            .fault_code(),
        FaultCode::IdDominioErrato
    );
}

#[tokio::test]
async fn verify_of_unknown_expired_cancelled_and_paid_notices() {
    let s = seeded().await;
    let node = &s.services.node;
    let unknown: NoticeNumber = "305260100009123463".parse().unwrap();
    assert_eq!(
        node.verify(&station(), &comune(), &unknown)
            .await
            .unwrap_err()
            .fault_code(),
        FaultCode::PagamentoSconosciuto
    );

    let expired: NoticeNumber = "305250300000194264".parse().unwrap();
    assert_eq!(
        node.verify(&station(), &comune(), &expired)
            .await
            .unwrap_err()
            .fault_code(),
        FaultCode::PagamentoScaduto
    );

    let iupd: Iupd = "CANONE-2026-77".parse().unwrap();
    s.services
        .positions
        .set_status(&comune(), &iupd, PositionStatus::Cancelled)
        .await
        .unwrap();
    let cancelled = demo::comune_notice(2_601_000_007_700);
    assert_eq!(
        node.verify(&station(), &comune(), &cancelled)
            .await
            .unwrap_err()
            .fault_code(),
        FaultCode::PagamentoAnnullato
    );

    node.accept_receipt(&station(), receipt("r-paid", &n1(), 24_570, s.now()))
        .await
        .unwrap();
    assert_eq!(
        node.verify(&station(), &comune(), &n1())
            .await
            .unwrap_err()
            .fault_code(),
        FaultCode::PagamentoDuplicato
    );
}

#[tokio::test]
async fn a_draft_or_not_yet_valid_position_is_unknown_to_the_node() {
    let s = seeded().await;
    let mut draft = demo::draft(
        "DRAFT-1",
        demo::debtor(),
        "Bozza",
        vec![demo::simple_option(42, 1_000, "Bozza", "2026-12-31")],
    );
    draft.publish = false;
    s.services.positions.create(&comune(), draft).await.unwrap();
    let err = s
        .services
        .node
        .verify(&station(), &comune(), &demo::comune_notice(42))
        .await
        .unwrap_err();
    assert_eq!(err.fault_code(), FaultCode::PagamentoSconosciuto);

    let mut later = demo::draft(
        "LATER-1",
        demo::debtor(),
        "Futuro",
        vec![demo::simple_option(43, 1_000, "Futuro", "2027-12-31")],
    );
    later.valid_from = Some(s.now() + Duration::days(3));
    s.services.positions.create(&comune(), later).await.unwrap();
    let err = s
        .services
        .node
        .verify(&station(), &comune(), &demo::comune_notice(43))
        .await
        .unwrap_err();
    assert_eq!(err.fault_code(), FaultCode::PagamentoSconosciuto);
}

fn activate(notice: NoticeNumber, transfer_type: Option<TransferType>, version: PrimitiveVersion) -> ActivateRequest {
    ActivateRequest {
        station: station(),
        ente: comune(),
        notice_number: notice,
        transfer_type,
        version,
        payment_note: Some("cart-1".into()),
    }
}

#[tokio::test]
async fn activation_adapts_transfers_to_the_transfer_type() {
    let s = seeded().await;
    let node = &s.services.node;

    let plain = node
        .activate(&activate(n1(), None, PrimitiveVersion::V2))
        .await
        .unwrap();
    assert_eq!(plain.option.transfers.len(), 2);
    assert!(plain.option.transfers[0].metadata.is_empty());

    let pagopa = node
        .activate(&activate(n1(), Some(TransferType::PagoPa), PrimitiveVersion::V2))
        .await
        .unwrap();
    assert_eq!(
        pagopa.option.transfers[0].metadata.get("IBANAPPOGGIO"),
        Some("IT60J0760111200000012345679")
    );
    assert_eq!(
        pagopa.option.transfers[1].metadata.get("IBANAPPOGGIO"),
        None,
        "the Provincia has no postal account"
    );

    let single = demo::comune_notice(2_601_000_005_000);
    let postal = node
        .activate(&activate(single, Some(TransferType::Postal), PrimitiveVersion::V1))
        .await
        .unwrap();
    match &postal.option.transfers[0].account {
        TransferAccount::Iban { iban, .. } => assert!(iban.is_italian_postal()),
        other => panic!("unexpected {other:?}"),
    }

    // The activation is a read: the position is untouched.
    let stored = s.world.store.find_by_notice(&comune(), &n1()).await.unwrap().unwrap();
    assert_eq!(stored.version, 0);
    assert_eq!(stored.status, PositionStatus::Valid);
}

#[tokio::test]
async fn a_stamp_needs_v2() {
    let s = seeded().await;
    let mut values = BTreeMap::new();
    values.insert("parcel".to_owned(), "Foglio 12 mappale 345".to_owned());
    values.insert(
        "document_hash".to_owned(),
        "nD+EJU/lBv9Aw/q6W62+BUwI3dO27tjdxPyYTNOP1lk=".to_owned(),
    );
    values.insert("province".to_owned(), "BS".to_owned());
    let created = s
        .services
        .spontaneous
        .submit(services::SpontaneousRequest {
            ente: comune(),
            service: "certificato-cdu".parse().unwrap(),
            debtor: SubjectId::FiscalCode(demo::DEBTOR.parse().unwrap()),
            debtor_verified: true,
            debtor_name: Some("Giuseppe Verdi".parse().unwrap()),
            values,
        })
        .await
        .unwrap();
    let notice = created.position.options[0].notice_number.clone();
    let err = s
        .services
        .node
        .activate(&activate(notice.clone(), None, PrimitiveVersion::V1))
        .await
        .unwrap_err();
    assert_eq!(err.fault_code(), FaultCode::Semantica);
    let v2 = s
        .services
        .node
        .activate(&activate(notice, None, PrimitiveVersion::V2))
        .await
        .unwrap();
    assert!(matches!(v2.option.transfers[1].account, TransferAccount::Stamp(_)));
    assert_eq!(v2.option.transfers[1].amount.cents(), 1_600);
    assert_eq!(v2.option.amount.cents(), 6_800);
}

#[tokio::test]
async fn demand_creates_a_payable_notice_from_the_psp_form() {
    let s = seeded().await;
    let values: BTreeMap<String, String> = [
        ("codice_fiscale", "VRDGPP80A01B157X"),
        ("cognome", "VERDI"),
        ("nome", "GIUSEPPE"),
        ("anno_validita", "2027"),
        ("tipologia", "RESIDENTE"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let info = s
        .services
        .node
        .demand_notice(&station(), "90001", values.clone())
        .await
        .unwrap();
    assert_eq!(info.amount.cents(), 1_000);
    assert!(info.all_ccp);
    assert_eq!(info.description.as_str(), "Tesserino funghi 2027");
    s.services
        .node
        .verify(&station(), &comune(), &info.notice_number)
        .await
        .unwrap();
    let created = s
        .world
        .store
        .find_by_notice(&comune(), &info.notice_number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        created.debtor.id.value(),
        demo::DEBTOR,
        "the payer comes from the form's fiscal-code field"
    );

    let err = s
        .services
        .node
        .demand_notice(&station(), "99999", values)
        .await
        .unwrap_err();
    assert_eq!(err.fault_code(), FaultCode::Semantica);
}

#[tokio::test]
async fn a_notice_we_do_not_hold_is_found_at_the_gestionale_stored_and_answered() {
    let s = seeded().await;
    let printed = demo::draft(
        "AVVISO-GEST-1",
        demo::debtor(),
        "Sanzione amministrativa",
        vec![demo::simple_option(2_612_000_000_001, 10_100, "Sanzione", "2027-03-31")],
    );
    let notice = printed.options[0].notice_number.clone();
    let err = s
        .services
        .node
        .verify(&station(), &comune(), &notice)
        .await
        .unwrap_err();
    assert_eq!(
        err.fault_code(),
        FaultCode::PagamentoSconosciuto,
        "the gestionale does not know it either"
    );

    // The gestionale fails: a system error (the PSP retries), never "unknown".
    s.world.gestionale.hold_notice(&comune(), printed.clone());
    s.world.gestionale.set_down(true);
    let err = s
        .services
        .node
        .verify(&station(), &comune(), &notice)
        .await
        .unwrap_err();
    assert_eq!(err.fault_code(), FaultCode::SystemError);

    s.world.gestionale.set_down(false);
    let info = s.services.node.verify(&station(), &comune(), &notice).await.unwrap();
    assert_eq!(info.amount.cents(), 10_100);
    let stored = s.world.store.find_by_notice(&comune(), &notice).await.unwrap().unwrap();
    assert_eq!(stored.iupd.as_str(), "AVVISO-GEST-1");
    // Stored: answered without the gestionale from now on, activation included.
    s.world.gestionale.set_down(true);
    s.services.node.verify(&station(), &comune(), &notice).await.unwrap();
}

#[tokio::test]
async fn an_ente_not_answering_on_demand_is_not_asked() {
    let s = seeded().await;
    assert!(!demo::provincia().positions_on_demand);
    let provincia: EnteId = demo::PROVINCIA.parse().unwrap();
    let draft = demo::draft(
        "AVVISO-GEST-2",
        demo::debtor(),
        "Altro",
        vec![demo::simple_option(2_612_000_000_002, 5_000, "Altro", "2027-03-31")],
    );
    let notice = draft.options[0].notice_number.clone();
    // Were it asked, the answer (in the Comune's layout) would be refused as a system error.
    s.world.gestionale.hold_notice(&provincia, draft);
    let err = s
        .services
        .node
        .verify(&station(), &provincia, &notice)
        .await
        .unwrap_err();
    assert_eq!(err.fault_code(), FaultCode::PagamentoSconosciuto);
}

#[tokio::test]
async fn a_position_without_the_notice_asked_for_is_a_protocol_error() {
    let s = seeded().await;
    let asked = demo::comune_notice(2_612_000_000_006);
    let draft = demo::draft(
        "AVVISO-GEST-3",
        demo::debtor(),
        "Altro",
        vec![demo::simple_option(2_612_000_000_007, 5_000, "Altro", "2027-03-31")],
    );
    let comune_ente = demo::comune();
    let err = pagopa_domain::services::store_found_notice(s.world.store.as_ref(), &comune_ente, &asked, draft, s.now())
        .await
        .unwrap_err();
    assert_eq!(err.fault_code(), FaultCode::SystemError, "{err}");
    assert!(err.to_string().contains("gestionale"), "{err}");
    assert!(s.world.store.find_by_notice(&comune(), &asked).await.unwrap().is_none());
}
