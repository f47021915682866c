//! Shared by the paForNode tests: fixtures, an endpoint over the in-memory demo world, calls,
//! and the `xmllint` check of answers against `paForNode.xsd`.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use actix_web::test;
use pagopa_domain::demo;
use pagopa_domain::memory::MemoryWorld;
use pagopa_domain::ports::Clock;
use pagopa_domain::services::{NodeOperations, StationIds};
use pagopa_nodo::soap::{PA_FOR_NODE_NS, SoapEndpoint, SoapSettings};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn fixture(path: &str) -> String {
    std::fs::read_to_string(fixtures().join(path)).unwrap()
}

pub fn station() -> StationIds {
    StationIds {
        ente: demo::COMUNE.parse().unwrap(),
        broker: demo::BROKER.into(),
        station: demo::STATION.into(),
    }
}

/// One exchange: what was sent, and what the answer must say.
pub struct Case {
    pub label: String,
    pub action: Option<String>,
    pub body: String,
    /// `None` for OK, else the fault code.
    pub expect: Option<&'static str>,
}

pub fn case(label: &str, action: &str, body: String, expect: Option<&'static str>) -> Case {
    Case {
        label: label.into(),
        action: Some(action.into()),
        body,
        expect,
    }
}

pub struct Harness {
    pub world: MemoryWorld,
    pub endpoint: SoapEndpoint,
}

pub async fn harness() -> Harness {
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
pub fn body_element(envelope: &str) -> String {
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
pub fn xmllint(documents: &[(String, String)]) -> Option<Vec<(String, bool, String)>> {
    xmllint_against("pagopa-api/wsdl/xsd/paForNode.xsd", documents)
}

/// [`xmllint`] against another schema of the fixtures (`schema` relative to them).
pub fn xmllint_against(schema: &str, documents: &[(String, String)]) -> Option<Vec<(String, bool, String)>> {
    if std::process::Command::new("xmllint").arg("--version").output().is_err() {
        return None;
    }
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("pagopa-nodo-xsd-{}-{run}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let schema = fixtures().join(schema);
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

pub fn require_xmllint() -> bool {
    if std::env::var("PAGOPA_REQUIRE_EXTERNAL").is_ok_and(|v| v == "1") {
        panic!("xmllint is required (PAGOPA_REQUIRE_EXTERNAL=1): apt-get install libxml2-utils");
    }
    eprintln!(
        "SKIPPED: xmllint not found (Debian package libxml2-utils); the documents were not validated against the XSD"
    );
    false
}

pub async fn call<S, B>(app: &S, action: Option<&str>, body: &str) -> (u16, String)
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

pub fn with(body: &str, from: &str, to: &str) -> String {
    assert!(body.contains(from), "{from} not in the body");
    body.replacen(from, to, 1)
}
