//! The paForNode endpoint end to end over the in-memory world: every operation and every
//! fault, the official samples and our own V1 and V2 messages, each answer checked for its
//! outcome and validated against `paForNode.xsd` with `xmllint --schema`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use actix_web::{App, test, web};
use pagopa_domain::demo;
use pagopa_domain::memory::MemoryWorld;
use pagopa_domain::model::{PositionStatus, PrimitiveVersion, SubjectId};
use pagopa_domain::ports::Clock;
use pagopa_domain::services::{ActivateRequest, NodeOperations, SpontaneousRequest, StationIds, TransferType};
use pagopa_nodo::soap::node::{self, parse_response};
use pagopa_nodo::soap::{PA_FOR_NODE_NS, SoapEndpoint, SoapSettings};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn fixture(path: &str) -> String {
    std::fs::read_to_string(fixtures().join(path)).unwrap()
}

fn station() -> StationIds {
    StationIds {
        ente: demo::COMUNE.parse().unwrap(),
        broker: demo::BROKER.into(),
        station: demo::STATION.into(),
    }
}

/// One exchange: what was sent, and what the answer must say.
struct Case {
    label: String,
    action: Option<String>,
    body: String,
    /// `None` for OK, else the fault code.
    expect: Option<&'static str>,
}

fn case(label: &str, action: &str, body: String, expect: Option<&'static str>) -> Case {
    Case {
        label: label.into(),
        action: Some(action.into()),
        body,
        expect,
    }
}

struct Harness {
    world: MemoryWorld,
    endpoint: SoapEndpoint,
}

async fn harness() -> Harness {
    let world = MemoryWorld::new();
    demo::seed(&world.ports(), world.clock.now()).await.unwrap();
    let clock: Arc<dyn Clock> = world.clock.clone();
    let settings = SoapSettings {
        fault_id: Some(demo::BROKER.into()),
        ..SoapSettings::default()
    };
    let endpoint = SoapEndpoint::new(NodeOperations::new(world.ports()), clock, settings).unwrap();
    Harness { world, endpoint }
}

/// The body element of a response, standalone with its namespace declared, as the samples'
/// `validate.sh` checks it.
fn body_element(envelope: &str) -> String {
    let start = envelope.find("<soapenv:Body>").unwrap() + "<soapenv:Body>".len();
    let end = envelope.find("</soapenv:Body>").unwrap();
    let element = &envelope[start..end].trim();
    let name_end = element.find(['>', ' ']).unwrap();
    let (name, rest) = element.split_at(name_end);
    let prefix = name.trim_start_matches('<').split(':').next().unwrap();
    format!(r#"<?xml version="1.0" encoding="UTF-8"?>{name} xmlns:{prefix}="{PA_FOR_NODE_NS}"{rest}"#)
}

/// Validates documents with xmllint against paForNode.xsd. `None` when xmllint is missing
/// (the caller prints a skip notice, or fails under `PAGOPA_REQUIRE_EXTERNAL=1`).
fn xmllint(documents: &[(String, String)]) -> Option<Vec<(String, bool, String)>> {
    if std::process::Command::new("xmllint").arg("--version").output().is_err() {
        return None;
    }
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("pagopa-nodo-xsd-{}-{run}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let schema = fixtures().join("pagopa-api/wsdl/xsd/paForNode.xsd");
    let mut results = Vec::new();
    for (index, (label, document)) in documents.iter().enumerate() {
        let file = dir.join(format!("{index:03}.xml"));
        std::fs::write(&file, document).unwrap();
        let output = std::process::Command::new("xmllint")
            .arg("--noout")
            .arg("--nonet")
            .arg("--schema")
            .arg(&schema)
            .arg(&file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        results.push((label.clone(), output.status.success(), stderr));
    }
    let _ = std::fs::remove_dir_all(&dir);
    Some(results)
}

fn require_xmllint() -> bool {
    if std::env::var("PAGOPA_REQUIRE_EXTERNAL").is_ok_and(|v| v == "1") {
        panic!("xmllint is required (PAGOPA_REQUIRE_EXTERNAL=1): apt-get install libxml2-utils");
    }
    eprintln!(
        "SKIPPED: xmllint not found (Debian package libxml2-utils); responses were not validated against the XSD"
    );
    false
}

async fn call<S, B>(app: &S, action: Option<&str>, body: &str) -> (u16, String)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let mut request = test::TestRequest::post()
        .uri("/pagopa/paForNode")
        .insert_header(("Content-Type", "text/xml; charset=utf-8"))
        .set_payload(body.to_owned());
    if let Some(action) = action {
        request = request.insert_header(("SOAPAction", format!("\"{action}\"")));
    }
    let response = test::call_service(app, request.to_request()).await;
    let status = response.status().as_u16();
    let bytes = test::read_body(response).await;
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

fn with(body: &str, from: &str, to: &str) -> String {
    assert!(body.contains(from), "{from} not in the body");
    body.replacen(from, to, 1)
}

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

#[actix_web::test]
async fn receipts_are_stored_with_their_raw_message_and_notified() {
    let h = harness().await;
    let app = test::init_service(App::new().configure(|cfg| h.endpoint.configure(cfg))).await;
    let body = fixture("samples/paSendRTV2Request.xml");
    let (_, answer) = call(&app, Some("paSendRTV2"), &body).await;
    assert!(parse_response(&answer).unwrap().ok, "{answer}");
    let ports = h.world.ports();
    let comune = demo::COMUNE.parse().unwrap();
    let stored = ports
        .receipts
        .get(&comune, &"4b2f8a1c9d3e47f6a05b71c2e8d94f30".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.receipt.delivery.raw_message.as_deref(), Some(body.as_str()));
    assert_eq!(stored.receipt.amount.cents(), 24_570);
    assert_eq!(stored.receipt.transfers.len(), 2);
    assert_eq!(
        stored.receipt.payment_note.as_ref().map(|n| n.as_str()),
        Some("7c1e5a92-3f0b-4d6e-9b84-21a5f0c3d7e6")
    );
    // 10:42:31 in Italy in November is 09:42:31 UTC.
    assert_eq!(
        stored.receipt.payment_date_time.unwrap().to_rfc3339(),
        "2026-11-25T09:42:31+00:00"
    );
    assert_eq!(stored.receipt.metadata.entries().len(), 2);
    let position = ports
        .positions
        .find_by_notice(&comune, &"305260100000471130".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(position.status, PositionStatus::Paid);
    assert_eq!(ports.outbox.backlog().await.unwrap(), 1);
}

#[actix_web::test]
async fn a_receipt_survives_a_round_trip_through_the_codec() {
    let at = MemoryWorld::start_time();
    let tari = demo::tari();
    let mut receipt = demo::receipt_for(&tari.options[0], "roundtrip0001", at);
    receipt.payer = Some(demo::debtor());
    receipt.payment_note = Some("cart-1".parse().unwrap());
    receipt.transfer_date = Some(at.date_naive());
    let body = node::receipt_request(&station(), &receipt);
    let decoded = pagopa_nodo::soap::decode_request(&body, Some("paSendRTV2"), at).unwrap();
    let pagopa_nodo::soap::NodeRequest::Receipt { receipt: decoded, .. } = decoded else {
        panic!("not a receipt");
    };
    receipt.delivery.raw_message = Some(body);
    assert_eq!(*decoded, receipt);
}

#[actix_web::test]
async fn authentication_by_secret_and_address() {
    let world = MemoryWorld::new();
    demo::seed(&world.ports(), world.clock.now()).await.unwrap();
    let mut settings = SoapSettings::default();
    settings.auth.secret = Some("s3cret".into());
    let endpoint = SoapEndpoint::new(NodeOperations::new(world.ports()), world.clock.clone(), settings).unwrap();
    let app = test::init_service(App::new().configure(|cfg| endpoint.configure(cfg))).await;
    let verify = fixture("samples/paVerifyPaymentNoticeReq.xml");
    let (status, _) = call(&app, Some("paVerifyPaymentNotice"), &verify).await;
    assert_eq!(status, 401);
    let request = test::TestRequest::post()
        .uri("/pagopa/paForNode")
        .insert_header(("SOAPAction", "paVerifyPaymentNotice"))
        .insert_header(("X-Node-Secret", "s3cret"))
        .set_payload(verify.clone())
        .to_request();
    let response = test::call_service(&app, request).await;
    assert_eq!(response.status().as_u16(), 200);

    let mut settings = SoapSettings::default();
    settings.auth.allowed_ips = vec!["10.0.0.0/8".into()];
    let endpoint = SoapEndpoint::new(NodeOperations::new(world.ports()), world.clock.clone(), settings).unwrap();
    let app = test::init_service(App::new().configure(|cfg| endpoint.configure(cfg))).await;
    let request = test::TestRequest::post()
        .uri("/pagopa/paForNode")
        .peer_addr("192.168.1.1:5000".parse().unwrap())
        .set_payload(verify.clone())
        .to_request();
    assert_eq!(test::call_service(&app, request).await.status().as_u16(), 403);
    let request = test::TestRequest::post()
        .uri("/pagopa/paForNode")
        .peer_addr("10.2.3.4:5000".parse().unwrap())
        .set_payload(verify)
        .to_request();
    assert_eq!(test::call_service(&app, request).await.status().as_u16(), 200);

    let mut settings = SoapSettings::default();
    settings.auth.allowed_ips = vec!["not-an-address".into()];
    assert!(SoapEndpoint::new(NodeOperations::new(world.ports()), world.clock.clone(), settings).is_err());
}

#[actix_web::test]
async fn oversized_or_unnamed_bodies() {
    let world = MemoryWorld::new();
    let settings = SoapSettings {
        max_body_bytes: 1024,
        ..SoapSettings::default()
    };
    let endpoint = SoapEndpoint::new(NodeOperations::new(world.ports()), world.clock.clone(), settings).unwrap();
    let app = test::init_service(App::new().configure(|cfg| endpoint.configure(cfg))).await;
    let big = format!("<x>{}</x>", "a".repeat(4096));
    let (status, answer) = call(&app, Some("paSendRTV2"), &big).await;
    assert_eq!(status, 200);
    let parsed = parse_response(&answer).unwrap();
    assert_eq!(parsed.element, "paSendRTV2Response");
    assert_eq!(parsed.fault_code.as_deref(), Some("PAA_SINTASSI_XSD"));
    // No operation named anywhere: a SOAP Fault, still not a 500.
    let (status, answer) = call(&app, None, "<garbage").await;
    assert_eq!(status, 400);
    assert!(
        answer.contains("soapenv:Fault") && answer.contains("PAA_SINTASSI_XSD"),
        "{answer}"
    );
    let (status, _) = call(&app, Some("paVerifyPaymentNotice"), "\u{0}\u{1}").await;
    assert_eq!(status, 200);
    let _ = web::Bytes::new();
}

/// Storage that is down.
struct Down;

fn down() -> pagopa_domain::ports::StorageError {
    pagopa_domain::ports::StorageError::Unavailable("the database is down".into())
}

#[async_trait::async_trait]
impl pagopa_domain::ports::PositionRepository for Down {
    async fn insert(
        &self,
        _: &pagopa_domain::DebtPosition,
    ) -> Result<pagopa_domain::DebtPosition, pagopa_domain::ports::StorageError> {
        Err(down())
    }
    async fn insert_batch(&self, _: &[pagopa_domain::DebtPosition]) -> Result<u64, pagopa_domain::ports::StorageError> {
        Err(down())
    }
    async fn get(
        &self,
        _: &pagopa_domain::EnteId,
        _: &pagopa_domain::Iupd,
    ) -> Result<Option<pagopa_domain::DebtPosition>, pagopa_domain::ports::StorageError> {
        Err(down())
    }
    async fn find_by_notice(
        &self,
        _: &pagopa_domain::EnteId,
        _: &pagopa_domain::NoticeNumber,
    ) -> Result<Option<pagopa_domain::DebtPosition>, pagopa_domain::ports::StorageError> {
        Err(down())
    }
    async fn list_by_debtor(
        &self,
        _: &pagopa_domain::FiscalCode,
    ) -> Result<Vec<pagopa_domain::DebtPosition>, pagopa_domain::ports::StorageError> {
        Err(down())
    }
    async fn update(
        &self,
        _: &pagopa_domain::DebtPosition,
    ) -> Result<pagopa_domain::DebtPosition, pagopa_domain::ports::StorageError> {
        Err(down())
    }
    async fn search(
        &self,
        _: &pagopa_domain::ports::PositionQuery,
    ) -> Result<
        pagopa_domain::ports::Page<pagopa_domain::DebtPosition, pagopa_domain::ports::PositionCursor>,
        pagopa_domain::ports::StorageError,
    > {
        Err(down())
    }
}

#[actix_web::test]
async fn a_storage_failure_is_a_system_error_never_a_500() {
    let world = MemoryWorld::new();
    demo::seed(&world.ports(), world.clock.now()).await.unwrap();
    let mut ports = world.ports();
    ports.positions = Arc::new(Down);
    let endpoint = SoapEndpoint::new(NodeOperations::new(ports), world.clock.clone(), SoapSettings::default()).unwrap();
    let app = test::init_service(App::new().configure(|cfg| endpoint.configure(cfg))).await;
    let mut documents = Vec::new();
    for (action, file) in [
        ("paVerifyPaymentNotice", "samples/paVerifyPaymentNoticeReq.xml"),
        ("paGetPaymentV2", "samples/paGetPaymentV2Request.xml"),
        ("paSendRTV2", "samples/paSendRTV2Request.xml"),
    ] {
        let (status, answer) = call(&app, Some(action), &fixture(file)).await;
        assert_eq!(status, 200, "{answer}");
        let parsed = parse_response(&answer).unwrap();
        assert_eq!(parsed.fault_code.as_deref(), Some("PAA_SYSTEM_ERROR"), "{answer}");
        assert!(
            !answer.contains("database is down"),
            "internal details leaked: {answer}"
        );
        documents.push((action.to_owned(), body_element(&answer)));
    }
    // The receipt was not stored: the Node will send it again.
    let stored = world
        .ports()
        .receipts
        .get(
            &demo::COMUNE.parse().unwrap(),
            &"4b2f8a1c9d3e47f6a05b71c2e8d94f30".parse().unwrap(),
        )
        .await
        .unwrap();
    assert!(stored.is_none(), "a receipt answered KO must not be half stored");
    let Some(results) = xmllint(&documents) else {
        require_xmllint();
        return;
    };
    assert!(results.iter().all(|(_, ok, _)| *ok), "{results:#?}");
}

#[actix_web::test]
async fn receipts_the_schema_allows_are_never_refused_over_their_texts() {
    let sample = fixture("samples/paSendRTV2Request.xml");
    let forty = "1".repeat(40);
    let variants = [
        (
            "a line break in the PSP's name",
            with(&sample, "Banca Esempio S.p.A.", "Banca&#10;Esempio"),
        ),
        (
            "a tab in the debtor's name",
            with(&sample, "<fullName>Giuseppe Verdi", "<fullName>Giuseppe&#9;Verdi"),
        ),
        (
            "a blank street",
            with(
                &sample,
                "<streetName>Via Roma</streetName>",
                "<streetName> </streetName>",
            ),
        ),
        (
            "a 40-character PSP fiscal code",
            with(
                &sample,
                "<pspFiscalCode>12345678903</pspFiscalCode>",
                &format!("<pspFiscalCode>{forty}</pspFiscalCode>"),
            ),
        ),
        (
            "an amount with leading zeros",
            with(
                &sample,
                "<paymentAmount>245.70</paymentAmount>",
                "<paymentAmount>0000000245.70</paymentAmount>",
            ),
        ),
    ];
    for (label, body) in variants {
        let h = harness().await;
        let app = test::init_service(App::new().configure(|cfg| h.endpoint.configure(cfg))).await;
        let (_, answer) = call(&app, Some("paSendRTV2"), &body).await;
        assert!(parse_response(&answer).unwrap().ok, "{label}: {answer}");
        let stored = h
            .world
            .ports()
            .receipts
            .get(
                &demo::COMUNE.parse().unwrap(),
                &"4b2f8a1c9d3e47f6a05b71c2e8d94f30".parse().unwrap(),
            )
            .await
            .unwrap();
        let stored = stored.unwrap_or_else(|| panic!("{label}: not stored"));
        assert_eq!(stored.receipt.amount.cents(), 24_570, "{label}");
        assert_eq!(
            stored.receipt.delivery.raw_message.as_deref(),
            Some(body.as_str()),
            "{label}"
        );
    }
}

#[actix_web::test]
async fn a_receipt_with_outcome_ko_settles_nothing() {
    let h = harness().await;
    let app = test::init_service(App::new().configure(|cfg| h.endpoint.configure(cfg))).await;
    let body = with(
        &fixture("samples/paSendRTV2Request.xml"),
        "<outcome>OK</outcome>",
        "<outcome>KO</outcome>",
    );
    let (_, answer) = call(&app, Some("paSendRTV2"), &body).await;
    assert_eq!(
        parse_response(&answer).unwrap().fault_code.as_deref(),
        Some("PAA_SEMANTICA")
    );
    let position = h
        .world
        .ports()
        .positions
        .find_by_notice(&demo::COMUNE.parse().unwrap(), &"305260100000471130".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(position.status, PositionStatus::Valid);
}
