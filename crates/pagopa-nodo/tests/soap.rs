//! The paForNode endpoint end to end over the in-memory world: every operation and every
//! fault, the official samples and our own V1 and V2 messages, each answer checked for its
//! outcome and validated against `paForNode.xsd` with `xmllint --schema`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use actix_web::{App, test};
use common::*;
use pagopa_domain::demo;
use pagopa_domain::model::{PositionStatus, PrimitiveVersion, SubjectId};
use pagopa_domain::ports::Clock;
use pagopa_domain::services::{ActivateRequest, SpontaneousRequest, TransferType};
use pagopa_nodo::soap::node::{self, parse_response};

#[actix_web::test]
async fn every_answer_is_right_and_valid_against_the_xsd() {
    let h = harness().await;
    let app = test::init_service(App::new().configure(|cfg| h.endpoint.configure(cfg))).await;
    let services = h.world.services();
    let comune: pagopa_domain::value::EnteId = demo::COMUNE.parse().unwrap();
    let st = station();

    // A certificate with a digital stamp, requested as a spontaneous payment.
    let certificate = services
        .spontaneous
        .submit(SpontaneousRequest {
            ente: comune.clone(),
            service: "certificato-cdu".parse().unwrap(),
            debtor: SubjectId::FiscalCode(demo::DEBTOR.parse().unwrap()),
            debtor_verified: true,
            debtor_name: Some("Giuseppe Verdi".parse().unwrap()),
            values: [
                ("parcel", "F12 M345"),
                ("document_hash", "nD+EJU/lBv9Aw/q6W62+BUwI3dO27tjdxPyYTNOP1lk="),
                ("province", "BS"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        })
        .await
        .unwrap();
    let stamp_notice = certificate.position.options[0].notice_number.clone();
    let imu = demo::imu_plan();
    let instalment = imu.options[1].notice_number.clone();
    let tari = demo::tari();
    let tari_notice = tari.options[0].notice_number.clone();
    let cosap = demo::other_debtor_position();

    let activate = |notice: &pagopa_domain::value::NoticeNumber, version, transfer_type| {
        node::activate_request(
            &ActivateRequest {
                station: st.clone(),
                ente: comune.clone(),
                notice_number: notice.clone(),
                transfer_type,
                version,
                payment_note: Some("7c1e5a92-3f0b-4d6e-9b84-21a5f0c3d7e6".into()),
            },
            None,
        )
    };
    let mut v1_receipt = demo::receipt_for(&imu.options[1], "v1receipt0001", h.world.clock.now());
    v1_receipt.delivery.version = PrimitiveVersion::V1;
    v1_receipt.transfers[0].company_name = None;

    let verify = fixture("samples/paVerifyPaymentNoticeReq.xml");
    let get_v2 = fixture("samples/paGetPaymentV2Request.xml");
    let send_v2 = fixture("samples/paSendRTV2Request.xml");
    let mut cases = vec![
        // The shared samples (scenario of the Comune di Valdesempio).
        case("sample verify N1", "paVerifyPaymentNotice", verify.clone(), None),
        case("sample getPaymentV2", "paGetPaymentV2", get_v2.clone(), None),
        case(
            "sample demand",
            "paDemandPaymentNotice",
            fixture("samples/paDemandPaymentNoticeRequest.xml"),
            None,
        ),
        // Our own V1 and V2 messages.
        case(
            "V1 verify of an instalment",
            "paVerifyPaymentNotice",
            node::verify_request(&st, &comune, &instalment),
            None,
        ),
        case(
            "V1 getPayment",
            "paGetPayment",
            activate(&tari_notice, PrimitiveVersion::V1, None),
            None,
        ),
        case(
            "V1 getPayment POSTAL",
            "paGetPayment",
            activate(&instalment, PrimitiveVersion::V1, Some(TransferType::Postal)),
            None,
        ),
        case(
            "V2 getPayment PAGOPA (IBANAPPOGGIO)",
            "paGetPaymentV2",
            activate(&tari_notice, PrimitiveVersion::V2, Some(TransferType::PagoPa)),
            None,
        ),
        case(
            "V2 getPayment with a digital stamp",
            "paGetPaymentV2",
            activate(&stamp_notice, PrimitiveVersion::V2, None),
            None,
        ),
        case(
            "V1 getPayment of a stamp notice",
            "paGetPayment",
            activate(&stamp_notice, PrimitiveVersion::V1, None),
            Some("PAA_SEMANTICA"),
        ),
        case(
            "V2 getPayment POSTAL to an Ente without postal account",
            "paGetPaymentV2",
            activate(&tari_notice, PrimitiveVersion::V2, Some(TransferType::Postal)),
            None,
        ),
        case("V1 sendRT", "paSendRT", node::receipt_request(&st, &v1_receipt), None),
        case(
            "V1 sendRT again (same receipt id)",
            "paSendRT",
            node::receipt_request(&st, &v1_receipt),
            None,
        ),
        // Position faults.
        case(
            "verify expired N3",
            "paVerifyPaymentNotice",
            with(&verify, "305260100000471130", "305250300000194264"),
            Some("PAA_PAGAMENTO_SCADUTO"),
        ),
        case(
            "verify unknown N5",
            "paVerifyPaymentNotice",
            with(&verify, "305260100000471130", "305260100009123463"),
            Some("PAA_PAGAMENTO_SCONOSCIUTO"),
        ),
        case(
            "verify with wrong check digits",
            "paVerifyPaymentNotice",
            with(&verify, "305260100000471130", "305260100000471131"),
            Some("PAA_PAGAMENTO_SCONOSCIUTO"),
        ),
        case(
            "getPaymentV2 of an unknown notice",
            "paGetPaymentV2",
            with(&get_v2, "305260100000471130", "305260100009123463"),
            Some("PAA_PAGAMENTO_SCONOSCIUTO"),
        ),
        // Station faults.
        case(
            "verify for another Ente",
            "paVerifyPaymentNotice",
            verify.replace("<idPA>80012345676</idPA>", "<idPA>77777777777</idPA>"),
            Some("PAA_ID_DOMINIO_ERRATO"),
        ),
        case(
            "verify with an idPA that is no Ente id",
            "paVerifyPaymentNotice",
            verify.replace("<idPA>80012345676</idPA>", "<idPA>COMUNE</idPA>"),
            Some("PAA_ID_DOMINIO_ERRATO"),
        ),
        case(
            "verify through another broker",
            "paVerifyPaymentNotice",
            verify.replace(
                "<idBrokerPA>80012345676</idBrokerPA>",
                "<idBrokerPA>99999999999</idBrokerPA>",
            ),
            Some("PAA_ID_INTERMEDIARIO_ERRATO"),
        ),
        case(
            "verify through another station",
            "paVerifyPaymentNotice",
            with(&verify, "80012345676_01", "80012345676_99"),
            Some("PAA_STAZIONE_INT_ERRATA"),
        ),
        case(
            "official example verify (Ente 77777777777)",
            "paVerifyPaymentNotice",
            fixture("official/ReqPaVerifyPayment.xml"),
            Some("PAA_ID_DOMINIO_ERRATO"),
        ),
        case(
            "official example getPayment (Ente 77777777777)",
            "paGetPayment",
            fixture("official/ReqPaGetPayment.xml"),
            Some("PAA_ID_DOMINIO_ERRATO"),
        ),
        case(
            "official example sendRT (Ente 77777777777)",
            "paSendRT",
            fixture("official/ReqPaSendRT.xml"),
            Some("PAA_ID_DOMINIO_ERRATO"),
        ),
        // Syntax faults: never a 500.
        case(
            "not XML",
            "paVerifyPaymentNotice",
            "this is not xml".into(),
            Some("PAA_SINTASSI_XSD"),
        ),
        case(
            "truncated XML",
            "paGetPaymentV2",
            get_v2[..get_v2.len() / 2].to_owned(),
            Some("PAA_SINTASSI_XSD"),
        ),
        case(
            "entity expansion attempt",
            "paVerifyPaymentNotice",
            with(
                &verify,
                "<soapenv:Envelope",
                "<!DOCTYPE lol [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]><soapenv:Envelope",
            ),
            Some("PAA_SINTASSI_XSD"),
        ),
        case(
            "missing idStation",
            "paVerifyPaymentNotice",
            with(&verify, "<idStation>80012345676_01</idStation>", ""),
            Some("PAA_SINTASSI_XSD"),
        ),
        case(
            "elements out of order",
            "paVerifyPaymentNotice",
            with(
                &verify,
                "<idBrokerPA>80012345676</idBrokerPA>\n      <idStation>80012345676_01</idStation>",
                "<idStation>80012345676_01</idStation><idBrokerPA>80012345676</idBrokerPA>",
            ),
            Some("PAA_SINTASSI_XSD"),
        ),
        case(
            "an unknown element",
            "paGetPaymentV2",
            with(&get_v2, "</qrCode>", "</qrCode><colour>blue</colour>"),
            Some("PAA_SINTASSI_XSD"),
        ),
        case(
            "a bad amount",
            "paSendRTV2",
            with(
                &send_v2,
                "<paymentAmount>245.70</paymentAmount>",
                "<paymentAmount>245,7</paymentAmount>",
            ),
            Some("PAA_SINTASSI_XSD"),
        ),
        case(
            "a notice number of 17 digits",
            "paVerifyPaymentNotice",
            with(&verify, "305260100000471130", "30526010000047113"),
            Some("PAA_SINTASSI_XSD"),
        ),
        case(
            "a qualified child element",
            "paVerifyPaymentNotice",
            with(
                &verify,
                "<idPA>80012345676</idPA>",
                "<pafn:idPA>80012345676</pafn:idPA>",
            ),
            Some("PAA_SINTASSI_XSD"),
        ),
        case(
            "a SOAPAction that does not match the body",
            "paSendRTV2",
            verify.clone(),
            Some("PAA_SINTASSI_XSD"),
        ),
        case(
            "demand for a service not in the catalogue",
            "paDemandPaymentNotice",
            with(
                &fixture("samples/paDemandPaymentNoticeRequest.xml"),
                "<idServizio>90001</idServizio>",
                "<idServizio>12345</idServizio>",
            ),
            Some("PAA_SEMANTICA"),
        ),
        case(
            "demand with an invalid form",
            "paDemandPaymentNotice",
            node::demand_request(
                &st,
                "90001",
                "00101",
                &node::service_document(
                    "richiestaTesserinoFunghi",
                    &BTreeMap::from([("tipologia".to_owned(), "MARZIANO".to_owned())]),
                ),
            ),
            Some("PAA_SEMANTICA"),
        ),
        // Receipts: stored, then the repeated and the double ones.
        case("sample sendRTV2 N1", "paSendRTV2", send_v2.clone(), None),
        case(
            "sample sendRTV2 N1 again (same receipt id)",
            "paSendRTV2",
            send_v2.clone(),
            None,
        ),
        case(
            "second receipt for N1 (double payment)",
            "paSendRTV2",
            send_v2.replace("4b2f8a1c9d3e47f6a05b71c2e8d94f30", "c71e0d95a8b2463f9e14d2a6b05f83c7"),
            Some("PAA_RECEIPT_DUPLICATA"),
        ),
        case(
            "receipt for a notice never issued (sample stamp receipt N2)",
            "paSendRTV2",
            fixture("samples/paSendRTV2Request-stamp.xml"),
            Some("PAA_PAGAMENTO_SCONOSCIUTO"),
        ),
        case(
            "verify N1 once paid",
            "paVerifyPaymentNotice",
            verify.clone(),
            Some("PAA_PAGAMENTO_DUPLICATO"),
        ),
        case(
            "receipt addressed to another Ente",
            "paSendRTV2",
            send_v2.replace("<idPA>80012345676</idPA>", "<idPA>77777777777</idPA>"),
            Some("PAA_ID_DOMINIO_ERRATO"),
        ),
    ];
    // Any namespace prefix is accepted.
    for prefix in ["paf", "ns2", "x"] {
        cases.push(case(
            &format!("verify with prefix {prefix}"),
            "paVerifyPaymentNotice",
            node::verify_request(&st, &comune, &imu.options[2].notice_number)
                .replace("paf:", &format!("{prefix}:"))
                .replace("xmlns:paf=", &format!("xmlns:{prefix}=")),
            None,
        ));
    }

    let mut documents = Vec::new();
    for c in &cases {
        let (status, answer) = call(&app, c.action.as_deref(), &c.body).await;
        assert_eq!(status, 200, "{}: {answer}", c.label);
        let parsed = parse_response(&answer).unwrap_or_else(|e| panic!("{}: {e}: {answer}", c.label));
        match c.expect {
            None => assert!(parsed.ok, "{}: expected OK, got {answer}", c.label),
            Some(code) => {
                assert!(!parsed.ok, "{}: expected {code}, got OK", c.label);
                assert_eq!(parsed.fault_code.as_deref(), Some(code), "{}: {answer}", c.label);
            }
        }
        documents.push((c.label.clone(), body_element(&answer)));
    }

    // The cancelled position, after an operator cancels it.
    services
        .positions
        .set_status(&comune, &cosap.iupd, PositionStatus::Cancelled)
        .await
        .unwrap();
    let (_, answer) = call(
        &app,
        Some("paVerifyPaymentNotice"),
        &node::verify_request(&st, &comune, &cosap.options[0].notice_number),
    )
    .await;
    let parsed = parse_response(&answer).unwrap();
    assert_eq!(
        parsed.fault_code.as_deref(),
        Some("PAA_PAGAMENTO_ANNULLATO"),
        "{answer}"
    );
    documents.push(("verify of a cancelled position".into(), body_element(&answer)));

    let Some(results) = xmllint(&documents) else {
        require_xmllint();
        return;
    };
    let invalid: Vec<_> = results.iter().filter(|(_, ok, _)| !ok).collect();
    assert!(
        invalid.is_empty(),
        "answers not valid against paForNode.xsd: {invalid:#?}"
    );
    assert_eq!(results.len(), cases.len() + 1);
}

#[actix_web::test]
async fn the_validation_harness_rejects_what_the_schema_rejects() {
    let samples = [
        "samples/paVerifyPaymentNoticeRes-ok.xml",
        "samples/paGetPaymentV2Response-stamp.xml",
        "samples/paSendRTV2Response-ko-duplicata.xml",
    ];
    let mut documents: Vec<(String, String)> = samples
        .iter()
        .map(|s| (s.to_string(), body_element(&fixture(s))))
        .collect();
    let broken = body_element(&fixture("samples/paVerifyPaymentNoticeRes-ok.xml")).replace("<options>EQ</options>", "");
    documents.push(("broken".into(), broken));
    let Some(results) = xmllint(&documents) else {
        require_xmllint();
        return;
    };
    for (label, ok, stderr) in &results[..samples.len()] {
        assert!(ok, "{label}: {stderr}");
    }
    assert!(
        !results[samples.len()].1,
        "a response without <options> must not validate"
    );
}
