//! The `nodeForPa` flows client against a local stand-in for the Node (no internet): the list and
//! a flow, faults, a bad base64, a flow the schema refuses; the requests sent, and the stand-in's
//! answers, validated against the official `nodeForPa.xsd` with `xmllint --schema` (skipped with
//! a notice without xmllint, unless `PAGOPA_REQUIRE_EXTERNAL=1`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Mutex;

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use common::{fixture, require_xmllint, xmllint_against};
use pagopa_domain::model::{LineOutcome, PublishedFlow};
use pagopa_domain::ports::FlowSource;
use pagopa_domain::value::EnteId;
use pagopa_http_client::stand_in::StandIn;
use pagopa_nodo::flow_soap::{NODE_FOR_PA_NS, NodoError, NodoFlowSettings, NodoFlowSource};
use pagopa_nodo::soap::SOAP_ENVELOPE_NS;

const ENTE: &str = "80012345676";
const PASSWORD: &str = "pwd-1234567";
const KEY: &str = "nodo-test-subscription-key";
const FLOW: &str = "2025-01-0788888888888-0001";
const XSD: &str = "pagopa-api/wsdl/xsd/nodeForPa.xsd";

/// How the stand-in answers.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    /// Three flows listed (and a nil entry); the sample flow.
    Normal,
    /// A `fault` in every answer: PPT_AUTENTICAZIONE to the list, PPT_SYSTEM_ERROR to the flow.
    Fault,
    /// HTTP 500 with a SOAP `Fault` from the server.
    SoapFault,
    /// `xmlRendicontazione` that is not base64.
    BadBase64,
    /// A flow with `codiceEsitoSingoloPagamento` 1.
    InvalidFlow,
    /// The flow of another Ente.
    OtherEnte,
}

/// A request the stand-in received.
#[derive(Clone, Debug)]
struct Seen {
    action: Option<String>,
    content_type: Option<String>,
    key: Option<String>,
    body: String,
}

struct State {
    mode: Mode,
    seen: Mutex<Vec<Seen>>,
    answers: Mutex<Vec<String>>,
}

fn envelope(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP_ENVELOPE_NS}" xmlns:ppt="{NODE_FOR_PA_NS}"><soapenv:Header/><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"#
    )
}

fn fault(code: &str) -> String {
    format!(
        "<fault><faultCode>{code}</faultCode><faultString>Errore</faultString><id>NodoDeiPagamentiSPC</id><description>descrizione di {code}</description></fault>"
    )
}

/// base64 in lines of 76 characters, as MIME writes it.
fn base64_lines(bytes: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    lines.join("\n")
}

fn sample() -> String {
    fixture("samples/FlussoRiversamento.xml")
}

async fn answer(request: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let header = |name: &str| request.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    let action = header("SOAPAction");
    state.seen.lock().unwrap().push(Seen {
        action: action.clone(),
        content_type: header("Content-Type"),
        key: header("Ocp-Apim-Subscription-Key"),
        body: String::from_utf8(body.to_vec()).unwrap(),
    });
    let list = action.as_deref() == Some("nodoChiediElencoFlussiRendicontazione");
    let (element, content) = match (state.mode, list) {
        (Mode::SoapFault, _) => {
            let body = envelope(
                "<soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>Internal error</faultstring></soapenv:Fault>",
            );
            return HttpResponse::InternalServerError()
                .content_type("text/xml; charset=utf-8")
                .body(body);
        }
        (Mode::Fault, true) => ("nodoChiediElencoFlussiRendicontazioneRisposta", fault("PPT_AUTENTICAZIONE")),
        (Mode::Fault, false) => ("nodoChiediFlussoRendicontazioneRisposta", fault("PPT_SYSTEM_ERROR")),
        (_, true) => (
            "nodoChiediElencoFlussiRendicontazioneRisposta",
            concat!(
                "<elencoFlussiRendicontazione><totRestituiti>4</totRestituiti>",
                "<idRendicontazione><identificativoFlusso>2025-01-07BCITITMM-42</identificativoFlusso><dataOraFlusso>2025-01-08T10:00:00+01:00</dataOraFlusso></idRendicontazione>",
                "<idRendicontazione><identificativoFlusso>2025-01-0788888888888-0001</identificativoFlusso><dataOraFlusso>2025-01-08T09:30:00</dataOraFlusso></idRendicontazione>",
                r#"<idRendicontazione xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>"#,
                "<idRendicontazione><identificativoFlusso>2024-12-3088888888888-0009</identificativoFlusso><dataOraFlusso>2024-12-31T10:00:00Z</dataOraFlusso></idRendicontazione>",
                "</elencoFlussiRendicontazione>"
            )
            .to_owned(),
        ),
        (mode, false) => {
            let flow = match mode {
                Mode::InvalidFlow => sample().replace(
                    ">9</pay_i:codiceEsitoSingoloPagamento>",
                    ">1</pay_i:codiceEsitoSingoloPagamento>",
                ),
                Mode::OtherEnte => sample().replace(">80012345676<", ">77777777777<"),
                _ => sample(),
            };
            let encoded = if mode == Mode::BadBase64 {
                "bm90*YmFzZTY0".to_owned()
            } else {
                base64_lines(flow.as_bytes())
            };
            (
                "nodoChiediFlussoRendicontazioneRisposta",
                format!("<xmlRendicontazione>{encoded}</xmlRendicontazione>"),
            )
        }
    };
    let body = envelope(&format!("<ppt:{element}>{content}</ppt:{element}>"));
    state.answers.lock().unwrap().push(body.clone());
    HttpResponse::Ok().content_type("text/xml; charset=utf-8").body(body)
}

struct Stub {
    stand_in: StandIn<State>,
}

impl Stub {
    async fn start(mode: Mode) -> Self {
        let state = State {
            mode,
            seen: Mutex::new(Vec::new()),
            answers: Mutex::new(Vec::new()),
        };
        Self {
            stand_in: StandIn::start(state, answer).unwrap(),
        }
    }

    fn settings(&self) -> NodoFlowSettings {
        NodoFlowSettings {
            base_url: self.stand_in.url("/nodo-auth/node-for-pa/v1"),
            broker_id: "80012345676".into(),
            station_id: "80012345676_01".into(),
            password: PASSWORD.into(),
            subscription_key: Some(KEY.into()),
            timeout_ms: 5_000,
        }
    }

    fn source(&self) -> NodoFlowSource {
        NodoFlowSource::new(self.settings()).unwrap()
    }

    fn seen(&self) -> Vec<Seen> {
        self.stand_in.state().seen.lock().unwrap().clone()
    }

    fn answers(&self) -> Vec<String> {
        self.stand_in.state().answers.lock().unwrap().clone()
    }

    async fn stop(self) {
        self.stand_in.stop().await;
    }
}

fn ente() -> EnteId {
    ENTE.parse().unwrap()
}

fn since() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
}

fn listed(flow_id: &str) -> PublishedFlow {
    PublishedFlow {
        key: pagopa_domain::model::FlowKey {
            ente: ente(),
            psp: "88888888888".parse().unwrap(),
            flow_id: flow_id.parse().unwrap(),
        },
        revision: 1,
        published_at: None,
        flow_date: None,
    }
}

#[actix_web::test]
async fn the_list_then_a_flow() {
    let stub = Stub::start(Mode::Normal).await;
    let source = stub.source();
    assert_eq!(source.name(), "nodo-soap");
    let flows = source.published(&ente(), since()).await.unwrap();

    // The nil entry skipped, the one of December before `after` left out, oldest first.
    let keys: Vec<String> = flows.iter().map(|f| f.key.to_string()).collect();
    assert_eq!(
        keys,
        [
            format!("{ENTE}/88888888888/{FLOW}"),
            format!("{ENTE}/BCITITMM/2025-01-07BCITITMM-42"),
        ]
    );
    let first = &flows[0];
    assert_eq!((first.revision, first.published_at), (1, None));
    // Without an offset: Italian time.
    assert_eq!(
        first.flow_date,
        Some(Utc.with_ymd_and_hms(2025, 1, 8, 8, 30, 0).unwrap())
    );
    assert_eq!(
        flows[1].flow_date,
        Some(Utc.with_ymd_and_hms(2025, 1, 8, 9, 0, 0).unwrap())
    );

    let fetched = source.fetch(first).await.unwrap();
    assert_eq!(fetched.flow.key, first.key);
    assert_eq!(fetched.flow.lines.len(), 3);
    assert_eq!(fetched.flow.lines[2].outcome, LineOutcome::Revoked);
    assert_eq!(fetched.raw.len(), 1);
    let raw = &fetched.raw[0];
    assert_eq!((raw.part.as_str(), raw.media_type.as_str()), ("xml", "application/xml"));
    assert_eq!(raw.body, sample());

    let seen = stub.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].action.as_deref(), Some("nodoChiediElencoFlussiRendicontazione"));
    assert_eq!(seen[1].action.as_deref(), Some("nodoChiediFlussoRendicontazione"));
    for request in &seen {
        assert_eq!(request.content_type.as_deref(), Some("text/xml; charset=utf-8"));
        assert_eq!(request.key.as_deref(), Some(KEY));
        assert!(request.body.contains(&format!("<password>{PASSWORD}</password>")));
        assert!(
            request
                .body
                .contains(&format!("<identificativoDominio>{ENTE}</identificativoDominio>"))
        );
    }
    assert!(
        seen[1]
            .body
            .contains(&format!("<identificativoFlusso>{FLOW}</identificativoFlusso>"))
    );
    assert!(!format!("{source:?}").contains(PASSWORD));
    stub.stop().await;
}

#[actix_web::test]
async fn faults_are_errors_with_their_code() {
    let stub = Stub::start(Mode::Fault).await;
    let source = stub.source();
    let error = source.published(&ente(), since()).await.unwrap_err();
    assert!(!error.transient);
    assert!(
        error.message.contains("PPT_AUTENTICAZIONE") && error.message.contains("descrizione di PPT_AUTENTICAZIONE"),
        "{}",
        error.message
    );
    assert!(!error.message.contains(PASSWORD));

    let error = source.fetch(&listed(FLOW)).await.unwrap_err();
    assert!(error.transient, "{}", error.message);
    assert!(error.message.contains("PPT_SYSTEM_ERROR"), "{}", error.message);
    let inner = error.source.as_ref().unwrap().downcast_ref::<NodoError>().unwrap();
    assert!(matches!(inner, NodoError::Fault { fault, .. } if fault.code == "PPT_SYSTEM_ERROR"));
    stub.stop().await;

    let stub = Stub::start(Mode::SoapFault).await;
    let error = stub.source().published(&ente(), since()).await.unwrap_err();
    assert!(error.transient, "{}", error.message);
    assert!(error.message.contains("Internal error"), "{}", error.message);
    stub.stop().await;
}

#[actix_web::test]
async fn a_flow_that_is_not_base64_or_not_valid_is_refused() {
    let stub = Stub::start(Mode::BadBase64).await;
    let error = stub.source().fetch(&listed(FLOW)).await.unwrap_err();
    assert!(!error.transient);
    assert!(error.message.contains("not base64"), "{}", error.message);
    stub.stop().await;

    let stub = Stub::start(Mode::InvalidFlow).await;
    let error = stub.source().fetch(&listed(FLOW)).await.unwrap_err();
    assert!(!error.transient);
    assert!(
        error
            .message
            .contains("datiSingoliPagamenti[2]/codiceEsitoSingoloPagamento"),
        "{}",
        error.message
    );
    stub.stop().await;

    let stub = Stub::start(Mode::OtherEnte).await;
    let error = stub.source().fetch(&listed(FLOW)).await.unwrap_err();
    assert!(!error.transient);
    assert!(error.message.contains("77777777777"), "{}", error.message);
    stub.stop().await;
}

/// The body element of an envelope, standalone with its namespace declared.
fn body_element(envelope: &str) -> String {
    let start = envelope.find("<soapenv:Body>").unwrap() + "<soapenv:Body>".len();
    let end = envelope.find("</soapenv:Body>").unwrap();
    let element = &envelope[start..end];
    let name_end = element.find('>').unwrap();
    let (name, rest) = element.split_at(name_end);
    let prefix = name.trim_start_matches('<').split(':').next().unwrap();
    format!(r#"<?xml version="1.0" encoding="UTF-8"?>{name} xmlns:{prefix}="{NODE_FOR_PA_NS}"{rest}"#)
}

#[actix_web::test]
async fn requests_and_answers_are_valid_against_the_schema() {
    let stub = Stub::start(Mode::Normal).await;
    let source = stub.source();
    let flows = source.published(&ente(), since()).await.unwrap();
    source.fetch(&flows[0]).await.unwrap();
    let stub_fault = Stub::start(Mode::Fault).await;
    stub_fault.source().fetch(&listed(FLOW)).await.unwrap_err();

    let mut documents: Vec<(String, String)> = Vec::new();
    for (n, request) in stub.seen().iter().enumerate() {
        documents.push((format!("request {n}"), body_element(&request.body)));
    }
    for (n, answer) in stub.answers().iter().chain(&stub_fault.answers()).enumerate() {
        documents.push((format!("answer {n}"), body_element(answer)));
    }
    let without_password = documents[0].1.replace(&format!("<password>{PASSWORD}</password>"), "");
    stub.stop().await;
    stub_fault.stop().await;

    let Some(results) = xmllint_against(XSD, &documents) else {
        require_xmllint();
        return;
    };
    assert_eq!(results.len(), 5);
    for (label, ok, stderr) in &results {
        assert!(ok, "{label} is not valid against nodeForPa.xsd: {stderr}");
    }
    let broken = xmllint_against(XSD, &[("without password".into(), without_password)]).unwrap();
    assert!(!broken[0].1, "a request without its password must not validate");
}
