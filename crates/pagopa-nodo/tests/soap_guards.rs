//! What guards the paForNode endpoint: Node authentication, the body cap, bodies naming no
//! operation, and storage failures answered as `PAA_SYSTEM_ERROR`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use actix_web::{App, test, web};
use common::*;
use pagopa_domain::demo;
use pagopa_domain::memory::MemoryWorld;
use pagopa_domain::ports::Clock;
use pagopa_domain::services::NodeOperations;
use pagopa_nodo::soap::node::parse_response;
use pagopa_nodo::soap::{SoapEndpoint, SoapSettings};

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
    async fn update_with_events(
        &self,
        _: &pagopa_domain::DebtPosition,
        _: &[pagopa_domain::OutboxEvent],
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
    async fn expire_due(
        &self,
        _: chrono::NaiveDate,
        _: chrono::DateTime<chrono::Utc>,
        _: u32,
    ) -> Result<Vec<pagopa_domain::DebtPosition>, pagopa_domain::ports::StorageError> {
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
