//! The FdR REST client against a local stand-in for the service (no internet), answering JSON
//! built from the examples of the official `fdr_organization.json`: pagination, `publishedGt`,
//! the subscription key, the error mapping, and the requests checked against the specification.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, TimeZone, Utc};
use pagopa_domain::cause_chain;
use pagopa_domain::model::{FlowError, LineOutcome, PublishedFlow};
use pagopa_domain::ports::FlowSource;
use pagopa_http_client::HttpError;
use pagopa_http_client::stand_in::StandIn;
use pagopa_nodo::fdr::dto::{PayStatus, PaymentsPage, SenderType, SingleFlowResponse};
use pagopa_nodo::fdr::{FdrCall, FdrClient, FdrError, FdrFlowSource, FdrSettings, Fetched, fetched_flow};
use serde_json::{Value, json};

const KEY: &str = "fdr-test-subscription-key";
const PREFIX: &str = "/fdr-org/service/v1";
const ORG: &str = "15376371009";
const PSP: &str = "88888888888";
const FDR: &str = "2025-01-0788888888888-0001";

/// The official specification, parsed once.
fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/pagopa-api/openapi/fdr_organization.json"
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    })
}

/// An instance of the schema `name`, from the examples of the specification (the first enum
/// value for enums, fixed instants and dates for `Instant` and `LocalDate`; deprecated members
/// left out).
fn example(name: &str) -> Value {
    match name {
        "Instant" => return json!("2025-01-07T10:15:30Z"),
        "LocalDate" => return json!("2025-01-07"),
        _ => {}
    }
    instance(&spec()["components"]["schemas"][name])
}

fn instance(schema: &Value) -> Value {
    if let Some(reference) = schema["$ref"].as_str() {
        return example(reference.rsplit('/').next().unwrap());
    }
    if let Some(first) = schema["enum"].get(0) {
        return first.clone();
    }
    if let Some(first) = schema["example"].get(0) {
        return first.clone();
    }
    match schema["type"].as_str() {
        Some("object") => {
            let properties = schema["properties"].as_object().unwrap();
            let members = properties
                .iter()
                .filter(|(_, property)| property["deprecated"] != json!(true))
                .map(|(key, property)| (key.clone(), instance(property)));
            Value::Object(members.collect())
        }
        Some("array") => json!([instance(&schema["items"])]),
        other => panic!("no example for {other:?}: {schema}"),
    }
}

/// How the stand-in answers.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// This many published flows and this many payments per flow.
    Normal { flows: u64, payments: u64 },
    /// 404 to everything, with the service's ErrorResponse.
    NotFound,
    /// The second payment of the first page without its `iur`.
    PaymentWithoutIur,
    /// Every page of the list says it is page 1 of 2.
    StuckOnPageOne,
    /// 503 to everything.
    Unavailable,
    /// Flow headers of another PSP than asked for.
    OtherPsp,
}

/// A request the stand-in received.
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    query: BTreeMap<String, String>,
    key: Option<String>,
}

struct State {
    mode: Mode,
    seen: Mutex<Vec<Seen>>,
}

struct Stub {
    addr: SocketAddr,
    stand_in: StandIn<State>,
}

impl Stub {
    async fn start(mode: Mode) -> Self {
        let stand_in = StandIn::start(
            State {
                mode,
                seen: Mutex::new(Vec::new()),
            },
            answer,
        )
        .unwrap();
        Self {
            addr: stand_in.addr(),
            stand_in,
        }
    }

    fn settings(&self, page_size: u32) -> FdrSettings {
        FdrSettings {
            base_url: format!("http://{}{PREFIX}/", self.addr),
            subscription_key: KEY.into(),
            timeout_ms: 5_000,
            page_size,
        }
    }

    fn client(&self, page_size: u32) -> FdrClient {
        FdrClient::new(self.settings(page_size)).unwrap()
    }

    fn seen(&self) -> Vec<Seen> {
        self.stand_in.state().seen.lock().unwrap().clone()
    }

    async fn stop(self) {
        self.stand_in.stop().await;
    }
}

fn query_number(query: &BTreeMap<String, String>, name: &str) -> u64 {
    query.get(name).map_or(1, |v| v.parse().unwrap())
}

/// A page of `total` elements made by `element(n)` (n from 1), as the service pages them.
fn page(query: &BTreeMap<String, String>, total: u64, element: impl Fn(u64) -> Value) -> Value {
    let (number, size) = (query_number(query, "page"), query_number(query, "size"));
    let first = (number - 1) * size + 1;
    let data: Vec<Value> = (first..=total.min(number * size)).map(element).collect();
    json!({
        "metadata": {"pageSize": data.len(), "pageNumber": number, "totPage": total.div_ceil(size)},
        "count": total,
        "data": data,
    })
}

fn flow(n: u64) -> Value {
    let mut flow = example("FlowByPSP");
    flow["fdr"] = json!(format!("2025-01-07{PSP}-{n:04}"));
    flow["pspId"] = json!(PSP);
    flow
}

fn payment(n: u64) -> Value {
    let mut payment = example("Payment");
    payment["index"] = json!(n);
    payment["iur"] = json!(format!("IUR{n:010}"));
    payment
}

async fn answer(request: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let query: BTreeMap<String, String> = web::Query::<BTreeMap<String, String>>::from_query(request.query_string())
        .unwrap()
        .into_inner();
    let path = request.path().strip_prefix(PREFIX).unwrap().to_owned();
    let key = request
        .headers()
        .get("Ocp-Apim-Subscription-Key")
        .map(|v| v.to_str().unwrap().to_owned());
    state.seen.lock().unwrap().push(Seen {
        path: path.clone(),
        query: query.clone(),
        key,
    });
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let listing = segments.len() == 3;
    if listing && !query.contains_key("publishedGt") {
        // The real service would silently look back only to the previous month.
        return HttpResponse::BadRequest().json(json!({"errors": [{"message": "publishedGt missing"}]}));
    }
    let body = match (state.mode, segments.last().copied()) {
        (Mode::NotFound, _) => {
            let mut error = example("ErrorResponse");
            error["httpStatusCode"] = json!(404);
            error["appErrorCode"] = json!("FDR-0702");
            error["errors"][0]["message"] = json!(format!("Reporting Fdr [{FDR}] not found"));
            return HttpResponse::NotFound().json(error);
        }
        (Mode::Unavailable, _) => return HttpResponse::ServiceUnavailable().body("try later"),
        (Mode::StuckOnPageOne, _) => json!({"metadata": {"pageNumber": 1, "totPage": 2}, "data": [flow(1)]}),
        (Mode::Normal { flows, .. }, Some("fdrs")) => page(&query, flows, flow),
        (Mode::Normal { payments, .. }, Some("payments")) => page(&query, payments, payment),
        (Mode::OtherPsp, Some("payments")) => page(&query, 1, payment),
        (Mode::PaymentWithoutIur, Some("payments")) => {
            let mut body = page(&query, 3, payment);
            body["data"][1].as_object_mut().unwrap().remove("iur");
            body
        }
        (_, _) => {
            let mut header = example("SingleFlowResponse");
            header["fdr"] = json!(segments[3]);
            header["revision"] = json!(segments[5].parse::<u64>().unwrap());
            // The flow asked for, as the service answers.
            header["receiver"]["organizationId"] = json!(segments[1]);
            header["sender"]["pspId"] = json!(segments[7]);
            if matches!(state.mode, Mode::OtherPsp) {
                header["sender"]["pspId"] = json!("60000000001");
            }
            header
        }
    };
    HttpResponse::Ok().json(body)
}

fn since() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
}

#[actix_web::test]
async fn the_list_follows_every_page_and_always_sends_published_gt() {
    let stub = Stub::start(Mode::Normal { flows: 5, payments: 1 }).await;
    let pages = stub.client(2).published_flows(ORG, since()).await.unwrap();

    assert_eq!(pages.len(), 3);
    let flows: Vec<&str> = pages
        .iter()
        .flat_map(|p| &p.value.data)
        .map(|f| f.fdr.as_str())
        .collect();
    assert_eq!(flows.len(), 5);
    assert_eq!(flows[4], "2025-01-0788888888888-0005");
    let first = &pages[0].value.data[0];
    assert_eq!((first.psp_id.as_str(), first.revision), (PSP, 1));
    assert_eq!(
        first.published,
        Some(Utc.with_ymd_and_hms(2025, 1, 7, 10, 15, 30).unwrap())
    );
    // The raw pages, as received.
    let raw: Value = serde_json::from_str(&pages[2].raw).unwrap();
    assert_eq!(raw["metadata"]["pageNumber"], 3);
    assert_eq!(raw["data"][0]["fdr"], "2025-01-0788888888888-0005");

    let seen = stub.seen();
    assert_eq!(seen.len(), 3);
    for (n, request) in seen.iter().enumerate() {
        assert_eq!(request.path, format!("/organizations/{ORG}/fdrs"));
        assert_eq!(request.query["publishedGt"], "2025-01-01T00:00:00Z");
        assert_eq!(request.query["page"], (n + 1).to_string());
        assert_eq!(request.query["size"], "2");
        assert_eq!(request.key.as_deref(), Some(KEY));
    }
    stub.stop().await;
}

#[actix_web::test]
async fn an_empty_list_is_one_page() {
    let stub = Stub::start(Mode::Normal { flows: 0, payments: 0 }).await;
    let pages = stub.client(1000).published_flows(ORG, since()).await.unwrap();
    assert_eq!(pages.len(), 1);
    assert!(pages[0].value.data.is_empty());
    assert_eq!(stub.seen()[0].query["size"], "1000");
    stub.stop().await;
}

#[actix_web::test]
async fn a_flow_header_of_any_revision() {
    let stub = Stub::start(Mode::Normal { flows: 1, payments: 1 }).await;
    let header = stub.client(1000).flow(ORG, FDR, 3, PSP).await.unwrap();

    let flow = &header.value;
    assert_eq!((flow.fdr.as_str(), flow.revision), (FDR, 3));
    assert_eq!(flow.regulation, "SEPA - Bonifico X");
    assert_eq!(flow.regulation_date.to_string(), "2025-01-07");
    assert_eq!(flow.sender.sender_type, SenderType::LegalPerson);
    assert_eq!(flow.sender.psp_id, PSP);
    assert_eq!(flow.receiver.organization_name, "Comune di Roma");
    assert_eq!((flow.tot_payments, flow.sum_payments), (100, 100.95));
    assert_eq!(flow.computed_tot_payments, Some(100));
    assert_eq!(serde_json::from_str::<Value>(&header.raw).unwrap()["revision"], 3);

    let seen = stub.seen();
    assert_eq!(
        seen[0].path,
        format!("/organizations/{ORG}/fdrs/{FDR}/revisions/3/psps/{PSP}")
    );
    assert!(seen[0].query.is_empty());
    assert_eq!(seen[0].key.as_deref(), Some(KEY));
    stub.stop().await;
}

#[actix_web::test]
async fn payments_come_in_pages_of_a_thousand() {
    let stub = Stub::start(Mode::Normal {
        flows: 1,
        payments: 1037,
    })
    .await;
    let pages = stub.client(10).flow_payments(ORG, FDR, 2, PSP).await.unwrap();

    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].value.data.len(), 1000);
    assert_eq!(pages[1].value.data.len(), 37);
    let last = pages[1].value.data.last().unwrap();
    assert_eq!((last.index, last.iur.as_str()), (1037, "IUR0000001037"));
    assert_eq!((last.iuv.as_str(), last.id_transfer), ("17854456582215", 1));
    assert_eq!((last.pay_status, last.pay_cents()), (PayStatus::Executed, Some(1)));
    assert_eq!(
        serde_json::from_str::<Value>(&pages[1].raw).unwrap()["data"][36]["index"],
        1037
    );

    let seen = stub.seen();
    assert_eq!(seen.len(), 2);
    for (n, request) in seen.iter().enumerate() {
        assert_eq!(
            request.path,
            format!("/organizations/{ORG}/fdrs/{FDR}/revisions/2/psps/{PSP}/payments")
        );
        assert_eq!(request.query["page"], (n + 1).to_string());
        assert_eq!(request.query["size"], "1000");
        assert!(!request.query.contains_key("publishedGt"));
    }
    stub.stop().await;
}

#[actix_web::test]
async fn not_found_is_a_clear_error() {
    let stub = Stub::start(Mode::NotFound).await;
    let error = stub.client(1000).flow(ORG, FDR, 1, PSP).await.unwrap_err();

    assert!(
        matches!(
            &error,
            FdrError::NotFound {
                call: FdrCall::Flow,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!((error.status(), error.is_transient()), (Some(404), false));
    let text = error.to_string();
    assert!(
        text.starts_with(&format!("FdR has no flow {FDR} revision 1 of PSP {PSP}")),
        "{text}"
    );
    assert!(text.contains("HTTP 404") && text.contains("FDR-0702"), "{text}");

    let error = stub.client(1000).published_flows(ORG, since()).await.unwrap_err();
    assert!(error.to_string().contains(&format!("organization {ORG}")), "{error}");
    stub.stop().await;
}

#[actix_web::test]
async fn a_schema_mismatch_names_the_member() {
    let stub = Stub::start(Mode::PaymentWithoutIur).await;
    let error = stub.client(1000).flow_payments(ORG, FDR, 1, PSP).await.unwrap_err();

    let FdrError::Http { call, page, source } = &error else {
        panic!("{error:?}");
    };
    assert_eq!((*call, *page), (FdrCall::FlowPayments, 1));
    let HttpError::Decode { path, message } = source else {
        panic!("{source:?}");
    };
    assert_eq!(path, "data[1]");
    assert!(message.contains("missing field `iur`"), "{message}");
    let chain = cause_chain(&error);
    assert!(chain.contains("flow payments") && chain.contains("iur"), "{chain}");
    stub.stop().await;
}

#[actix_web::test]
async fn a_page_out_of_order_stops_the_listing() {
    let stub = Stub::start(Mode::StuckOnPageOne).await;
    let error = stub.client(1).published_flows(ORG, since()).await.unwrap_err();
    assert!(
        matches!(
            error,
            FdrError::Pagination {
                asked: 2,
                got: 1,
                total: 2,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(stub.seen().len(), 2);
    stub.stop().await;
}

#[actix_web::test]
async fn the_key_never_shows() {
    let stub = Stub::start(Mode::NotFound).await;
    let settings = stub.settings(1000);
    let client = FdrClient::new(settings.clone()).unwrap();
    let error = client.flow_payments(ORG, FDR, 1, PSP).await.unwrap_err();
    let text = format!(
        "{settings:?} {client:?} {client:#?} {error:?} {error} {}",
        cause_chain(&error)
    );
    assert!(!text.contains(KEY), "{text}");
    assert!(text.contains("<redacted>"), "{text}");
    stub.stop().await;
}

/// The operation of the specification whose path template matches `path` (`{…}` segments match
/// any one segment), with its query parameter names.
fn operation_of(path: &str) -> Option<(String, Vec<String>)> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    spec()["paths"]
        .as_object()
        .unwrap()
        .iter()
        .find_map(|(template, item)| {
            let parts: Vec<&str> = template.trim_start_matches('/').split('/').collect();
            let matches = parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(part, segment)| part.starts_with('{') || part == segment);
            let names = item["get"]["parameters"]
                .as_array()?
                .iter()
                .filter(|p| p["in"] == "query")
                .map(|p| p["name"].as_str().unwrap().to_owned())
                .collect();
            matches.then(|| (template.clone(), names))
        })
}

#[actix_web::test]
async fn every_request_is_one_of_the_specification() {
    let stub = Stub::start(Mode::Normal {
        flows: 3,
        payments: 1001,
    })
    .await;
    let client = stub.client(2);
    client.published_flows(ORG, since()).await.unwrap();
    client.flow(ORG, FDR, 1, PSP).await.unwrap();
    client.flow_payments(ORG, FDR, 1, PSP).await.unwrap();

    let mut used = Vec::new();
    for request in stub.seen() {
        let (template, names) =
            operation_of(&request.path).unwrap_or_else(|| panic!("{} is not in the spec", request.path));
        for name in request.query.keys() {
            assert!(
                names.contains(name),
                "{template} has no query parameter {name}: {names:?}"
            );
        }
        used.push(template);
    }
    used.dedup();
    assert_eq!(
        used,
        [
            "/organizations/{organizationId}/fdrs",
            "/organizations/{organizationId}/fdrs/{fdr}/revisions/{revision}/psps/{pspId}",
            "/organizations/{organizationId}/fdrs/{fdr}/revisions/{revision}/psps/{pspId}/payments",
        ]
    );
    let list = operation_of("/organizations/x/fdrs").unwrap().1;
    assert!(list.contains(&"publishedGt".to_owned()), "{list:?}");
    stub.stop().await;
}

// ---- the FlowSource ----

fn source(stub: &Stub, page_size: u32) -> FdrFlowSource {
    FdrFlowSource::new(stub.client(page_size))
}

#[actix_web::test]
async fn the_source_lists_the_flows_published_after() {
    let stub = Stub::start(Mode::Normal { flows: 3, payments: 1 }).await;
    let source = source(&stub, 2);
    assert_eq!(source.name(), "fdr-rest");
    let ente = ORG.parse().unwrap();
    let flows = source.published(&ente, since()).await.unwrap();

    assert_eq!(flows.len(), 3);
    let first = &flows[0];
    assert_eq!(first.key.to_string(), format!("{ORG}/{PSP}/2025-01-07{PSP}-0001"));
    assert_eq!(first.revision, 1);
    let published = Utc.with_ymd_and_hms(2025, 1, 7, 10, 15, 30).unwrap();
    assert_eq!(
        (first.published_at, first.flow_date),
        (Some(published), Some(published))
    );
    assert_eq!(stub.seen().len(), 2);

    // Published at the bound itself: already seen.
    assert!(source.published(&ente, published).await.unwrap().is_empty());
    stub.stop().await;
}

#[actix_web::test]
async fn the_source_fetches_header_and_every_payment_page() {
    let stub = Stub::start(Mode::Normal {
        flows: 1,
        payments: 1037,
    })
    .await;
    let source = source(&stub, 1000);
    let ente = ORG.parse().unwrap();
    let listed = source.published(&ente, since()).await.unwrap().remove(0);
    let fetched = source.fetch(&listed).await.unwrap();

    let flow = &fetched.flow;
    assert_eq!((&flow.key, flow.revision), (&listed.key, 1));
    assert_eq!(flow.psp_name.as_deref(), Some("PSP Name"));
    assert_eq!(flow.regulation, "SEPA - Bonifico X");
    assert_eq!(flow.bic.as_deref(), Some("UNCRITMMXXX"));
    assert_eq!((flow.declared_count, flow.declared_total_cents), (100, 10_095));
    assert_eq!(flow.flow_date, Utc.with_ymd_and_hms(2025, 1, 7, 10, 15, 30).unwrap());
    assert_eq!(flow.published_at, Some(flow.flow_date));
    assert_eq!(flow.lines.len(), 1037);
    let last = flow.lines.last().unwrap();
    assert_eq!(
        (
            last.index,
            last.iur.as_str(),
            last.transfer_id,
            last.amount_cents,
            last.outcome
        ),
        (1037, "IUR0000001037", Some(1), 1, LineOutcome::Executed)
    );
    // 10:15:30Z is 11:15:30 in Rome, the same day.
    assert_eq!(last.outcome_date.to_string(), "2025-01-07");

    let parts: Vec<(&str, &str)> = fetched
        .raw
        .iter()
        .map(|d| (d.part.as_str(), d.media_type.as_str()))
        .collect();
    assert_eq!(
        parts,
        [
            ("header", "application/json"),
            ("payments-1", "application/json"),
            ("payments-2", "application/json")
        ]
    );
    let page: Value = serde_json::from_str(&fetched.raw[2].body).unwrap();
    assert_eq!(page["metadata"]["pageNumber"], 2);
    let header: Value = serde_json::from_str(&fetched.raw[0].body).unwrap();
    assert_eq!(header["fdr"], listed.key.flow_id.as_str());
    stub.stop().await;
}

#[actix_web::test]
async fn source_errors_say_whether_to_try_again() {
    let listed = PublishedFlow {
        key: pagopa_domain::model::FlowKey {
            ente: ORG.parse().unwrap(),
            psp: PSP.parse().unwrap(),
            flow_id: FDR.parse().unwrap(),
        },
        revision: 2,
        published_at: None,
        flow_date: None,
    };
    let stub = Stub::start(Mode::NotFound).await;
    let error = source(&stub, 1000).fetch(&listed).await.unwrap_err();
    assert!(!error.transient);
    assert!(error.message.contains("FDR-0702"), "{}", error.message);
    assert!(error.source.is_some());
    stub.stop().await;

    let stub = Stub::start(Mode::Unavailable).await;
    let error = source(&stub, 1000).fetch(&listed).await.unwrap_err();
    assert!(error.transient, "{}", error.message);
    let error = source(&stub, 1000)
        .published(&ORG.parse().unwrap(), since())
        .await
        .unwrap_err();
    assert!(error.transient && error.message.contains("503"), "{}", error.message);
    stub.stop().await;

    let stub = Stub::start(Mode::PaymentWithoutIur).await;
    let error = source(&stub, 1000).fetch(&listed).await.unwrap_err();
    assert!(!error.transient && error.message.contains("iur"), "{}", error.message);
    stub.stop().await;

    let stub = Stub::start(Mode::OtherPsp).await;
    let error = source(&stub, 1000).fetch(&listed).await.unwrap_err();
    assert!(!error.transient, "{}", error.message);
    assert!(
        error.message.contains(&format!("{ORG}/60000000001/{FDR}"))
            && error.message.contains("not of revision 2 asked for"),
        "{}",
        error.message
    );
    stub.stop().await;
}

/// The answers of a flow, as the client returns them.
fn answers(payments: Vec<Value>) -> (Fetched<SingleFlowResponse>, Vec<Fetched<PaymentsPage>>) {
    let mut header = example("SingleFlowResponse");
    header["receiver"]["organizationId"] = json!(ORG);
    header["sender"]["pspId"] = json!(PSP);
    header["fdr"] = json!(FDR);
    let count = payments.len();
    let page = json!({"metadata": {"pageNumber": 1, "totPage": 1}, "count": count, "data": payments});
    (fetched(&header), vec![fetched(&page)])
}

fn fetched<T: serde::de::DeserializeOwned>(value: &Value) -> Fetched<T> {
    Fetched {
        value: serde_json::from_value(value.clone()).unwrap(),
        raw: value.to_string(),
    }
}

#[test]
fn the_mapping_is_exact_and_revocations_are_negative() {
    let mut revoked = payment(1);
    revoked["payStatus"] = json!("REVOKED");
    revoked["pay"] = json!(12.3);
    let mut large = payment(2);
    large["pay"] = json!(999999999.99);
    large["payStatus"] = json!("STAND_IN_NO_RPT");
    large["payDate"] = json!("2025-01-06T23:30:00Z");
    let (header, pages) = answers(vec![revoked, large]);
    let fetched = fetched_flow(&header, &pages).unwrap();
    let lines = &fetched.flow.lines;
    assert_eq!((lines[0].amount_cents, lines[0].outcome), (-1230, LineOutcome::Revoked));
    assert_eq!(
        (lines[1].amount_cents, lines[1].outcome),
        (99_999_999_999, LineOutcome::StandInNoReceipt)
    );
    // Half past midnight in Rome.
    assert_eq!(lines[1].outcome_date.to_string(), "2025-01-07");
    assert_eq!(fetched.flow.revision, 4);
    assert_eq!(fetched.raw.len(), 2);

    let mut fractional = payment(1);
    fractional["pay"] = json!(1.005);
    let (header, pages) = answers(vec![fractional]);
    let error = fetched_flow(&header, &pages).unwrap_err();
    assert!(
        matches!(&error, FlowError::Line { index: 1, problem } if problem.contains("1.005")),
        "{error}"
    );

    let mut transfer = payment(1);
    transfer["idTransfer"] = json!(6);
    let (header, pages) = answers(vec![transfer]);
    assert!(matches!(
        fetched_flow(&header, &pages),
        Err(FlowError::Line { index: 1, .. })
    ));

    let (mut header, pages) = answers(vec![payment(1)]);
    header.value.fdr_date = None;
    assert!(matches!(fetched_flow(&header, &pages), Err(FlowError::Document(m)) if m.contains("fdrDate")));
}
