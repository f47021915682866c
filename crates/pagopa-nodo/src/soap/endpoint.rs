//! The actix-web endpoint the Node calls: authentication, a size-capped body, decoding,
//! dispatch to [`NodeOperations`] and the in-band answer.
//!
//! Every request that names a `paForNode` operation (by its body element or its `SOAPAction`)
//! gets HTTP 200 and that operation's response, `outcome` KO with the fault when it fails; never
//! a 500. Only a body that names no operation gets a SOAP `Fault` (HTTP 400), and a caller that
//! fails authentication a SOAP `Fault` with HTTP 401 or 403.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, web};
use pagopa_domain::DomainError;
use pagopa_domain::FaultCode;
use pagopa_domain::QuarantineEntry;
use pagopa_domain::ports::Clock;
use pagopa_domain::services::NodeOperations;

use super::auth::{NodeAuth, NodeGate};
use super::decode::{DecodeError, NodeRequest, decode_request};
use super::encode::{self, Fault};
use super::{Operation, encode::soap_fault};

/// How the endpoint is exposed and who may call it.
#[derive(Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SoapSettings {
    /// The path of the endpoint (default `/pagopa/paForNode`).
    pub path: String,
    /// The `id` written in faults: our broker id. Without it, the request's `idBrokerPA`.
    pub fault_id: Option<String>,
    /// The largest request body accepted, in bytes (default 1 MiB; a receipt with a stamp
    /// attachment is a few kilobytes).
    pub max_body_bytes: usize,
    /// Node authentication.
    pub auth: NodeAuth,
    /// Serve the endpoint on a listener of its own (`ADDRESS:PORT`), and no longer on the REST
    /// API's; without it both share one listener.
    pub listen: Option<String>,
}

impl Default for SoapSettings {
    fn default() -> Self {
        Self {
            path: "/pagopa/paForNode".into(),
            fault_id: None,
            max_body_bytes: 1024 * 1024,
            auth: NodeAuth::default(),
            listen: None,
        }
    }
}

impl std::fmt::Debug for SoapSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoapSettings")
            .field("path", &self.path)
            .field("fault_id", &self.fault_id)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("auth", &self.auth)
            .field("listen", &self.listen)
            .finish()
    }
}

/// Answers by operation and outcome, for `/metrics`.
#[derive(Debug, Default)]
pub struct SoapCounters {
    by_outcome: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    receipts_stored: AtomicU64,
}

impl SoapCounters {
    fn record(&self, operation: &'static str, outcome: &'static str) {
        let mut map = self
            .by_outcome
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *map.entry((operation, outcome)).or_default() += 1;
    }

    /// Appends the counters in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        out.push_str("# HELP pagopa_node_requests_total paForNode requests answered, by operation and outcome (OK or the fault code).\n");
        out.push_str("# TYPE pagopa_node_requests_total counter\n");
        let map = self
            .by_outcome
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for ((operation, outcome), count) in map.iter() {
            let _ = writeln!(
                out,
                "pagopa_node_requests_total{{operation=\"{operation}\",outcome=\"{outcome}\"}} {count}"
            );
        }
        out.push_str("# HELP pagopa_receipts_stored_total Receipts stored (new deliveries, repeated ones excluded).\n");
        out.push_str("# TYPE pagopa_receipts_stored_total counter\n");
        let _ = writeln!(
            out,
            "pagopa_receipts_stored_total {}",
            self.receipts_stored.load(Ordering::Relaxed)
        );
    }
}

/// The endpoint's state: the operations, the clock that stamps receipts, the settings.
#[derive(Clone)]
pub struct SoapEndpoint {
    node: NodeOperations,
    clock: Arc<dyn Clock>,
    settings: Arc<SoapSettings>,
    gate: Arc<NodeGate>,
    counters: Arc<SoapCounters>,
}

impl std::fmt::Debug for SoapEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoapEndpoint")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl SoapEndpoint {
    /// The endpoint over `node`; fails on a bad allow-list entry.
    pub fn new(node: NodeOperations, clock: Arc<dyn Clock>, settings: SoapSettings) -> Result<Self, String> {
        let gate = NodeGate::new(&settings.auth)?;
        if !settings.path.starts_with('/') {
            return Err(format!("the SOAP path {:?} must start with '/'", settings.path));
        }
        Ok(Self {
            node,
            clock,
            settings: Arc::new(settings),
            gate: Arc::new(gate),
            counters: Arc::new(SoapCounters::default()),
        })
    }

    /// The counters, to render at `/metrics`.
    pub fn counters(&self) -> Arc<SoapCounters> {
        self.counters.clone()
    }

    /// Mounts the endpoint (POST at the configured path) on an actix-web app.
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(web::Data::new(self.clone()))
            .route(&self.settings.path, web::post().to(handle));
    }

    fn fault_id(&self, broker: Option<&str>) -> String {
        self.settings
            .fault_id
            .clone()
            .or_else(|| broker.map(str::to_owned))
            .unwrap_or_else(|| "BackEndPagamenti".into())
    }

    async fn serve(&self, request: NodeRequest) -> (Operation, Result<String, Fault>, Option<String>) {
        let broker = request.station().broker.clone();
        let fault = |e: DomainError| Fault {
            code: e.fault_code(),
            description: public_description(&e),
            id: self.fault_id(Some(&broker)),
        };
        match request {
            NodeRequest::Verify {
                station,
                ente,
                notice_number,
            } => {
                let answer = self.node.verify(&station, &ente, &notice_number).await;
                (
                    Operation::VerifyPaymentNotice,
                    answer.map(|info| encode::verify_ok(&info)).map_err(fault),
                    Some(notice_number.to_string()),
                )
            }
            NodeRequest::Activate(activate) => {
                let operation = match activate.version {
                    pagopa_domain::model::PrimitiveVersion::V1 => Operation::GetPayment,
                    pagopa_domain::model::PrimitiveVersion::V2 => Operation::GetPaymentV2,
                };
                let answer = self.node.activate(&activate).await;
                (
                    operation,
                    answer
                        .map(|payment| encode::activate_ok(operation, &activate.notice_number, &payment))
                        .map_err(fault),
                    Some(activate.notice_number.to_string()),
                )
            }
            NodeRequest::Receipt { station, receipt } => {
                let operation = match receipt.delivery.version {
                    pagopa_domain::model::PrimitiveVersion::V1 => Operation::SendRt,
                    pagopa_domain::model::PrimitiveVersion::V2 => Operation::SendRtV2,
                };
                let notice = receipt.notice_number.to_string();
                let receipt_id = receipt.receipt_id.to_string();
                let answer = match self.node.accept_receipt(&station, *receipt).await {
                    Ok(outcome) => {
                        if !outcome.repeated_delivery {
                            self.counters.receipts_stored.fetch_add(1, Ordering::Relaxed);
                        }
                        tracing::info!(
                            receipt_id,
                            disposition = outcome.disposition.as_str(),
                            repeated = outcome.repeated_delivery,
                            "receipt accepted"
                        );
                        match outcome.fault() {
                            None => Ok(encode::ok(operation)),
                            Some(code) => Err(Fault {
                                code,
                                description: format!("receipt {receipt_id} stored as {}", outcome.disposition.as_str()),
                                id: self.fault_id(Some(&broker)),
                            }),
                        }
                    }
                    Err(e) => Err(fault(e)),
                };
                (operation, answer, Some(notice))
            }
            NodeRequest::Demand {
                station,
                service_id,
                values,
                ..
            } => {
                let answer = self.node.demand_notice(&station, &service_id, values).await;
                let notice = answer.as_ref().ok().map(|info| info.notice_number.to_string());
                (
                    Operation::DemandPaymentNotice,
                    answer.map(|info| encode::demand_ok(&info)).map_err(fault),
                    notice,
                )
            }
        }
    }
}

/// The description of a domain error as the Node may see it: internal failures are not
/// detailed (they are logged instead).
fn public_description(error: &DomainError) -> String {
    match error.fault_code() {
        FaultCode::SystemError => {
            tracing::error!(error = %error, "paForNode request failed");
            "internal error: the request can be retried".into()
        }
        _ => error.to_string(),
    }
}

fn xml_response(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(ContentType(mime_xml()))
        .body(body)
}

fn mime_xml() -> actix_web::mime::Mime {
    "text/xml; charset=utf-8".parse().unwrap_or(actix_web::mime::TEXT_XML)
}

async fn handle(request: HttpRequest, payload: web::Payload, endpoint: web::Data<SoapEndpoint>) -> HttpResponse {
    let started = Instant::now();
    if let Err((status, why)) = endpoint.gate.check(&request) {
        tracing::warn!(peer = ?request.peer_addr(), why, "paForNode call refused");
        return xml_response(status, soap_fault(true, FaultCode::SystemError, why));
    }
    let action = request
        .headers()
        .get("SOAPAction")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let action_operation = action.as_deref().and_then(Operation::from_soap_action);

    // The body, capped while it streams in.
    let limit = endpoint.settings.max_body_bytes;
    let mut raw_body = None;
    let decoded = match payload.to_bytes_limited(limit).await {
        Ok(Ok(body)) => {
            let decoded = match std::str::from_utf8(&body) {
                Ok(text) => decode_request(text, action.as_deref(), endpoint.clock.now()),
                Err(_) => Err(DecodeError::syntax(action_operation, "the request is not UTF-8")),
            };
            raw_body = Some(body);
            decoded
        }
        Ok(Err(_)) => Err(DecodeError::syntax(
            action_operation,
            format!("the request body exceeds {limit} bytes"),
        )),
        Err(e) => {
            tracing::warn!(error = %e, "paForNode body could not be read");
            Err(DecodeError::syntax(
                action_operation,
                "the request body could not be read",
            ))
        }
    };
    let request = match decoded {
        Ok(request) => request,
        Err(mut e) => {
            let reason = e.description.clone();
            let named_ente = e.station.as_ref().map(|s| s.ente.clone());
            // A request that is not for one of our stations is answered as such first.
            if let Some(station) = e.station.take()
                && let Err(wrong) = endpoint.node.check_station(&station).await
            {
                e.fault = wrong.fault_code();
                e.description = public_description(&wrong);
            }
            let operation = e.operation.or(action_operation);
            if matches!(operation, Some(Operation::SendRt | Operation::SendRtV2)) {
                // A receipt we cannot read still proves a payment: keep it for operators, and
                // answer as usual only once it is stored (else the Node is asked to retry).
                let entry = QuarantineEntry::capture(
                    endpoint.clock.now(),
                    request.peer_addr().map(|peer| peer.to_string()),
                    operation.map(|o| o.name().to_owned()),
                    named_ente.or_else(|| raw_body.as_deref().and_then(scan_id_pa)),
                    reason,
                    raw_body.as_deref(),
                );
                match endpoint.node.quarantine(entry).await {
                    Ok(id) => tracing::warn!(
                        quarantine_id = id,
                        fault = e.fault.as_str(),
                        "unreadable receipt quarantined"
                    ),
                    Err(error) => {
                        tracing::error!(%error, "an unreadable receipt could not be quarantined");
                        e.fault = error.fault_code();
                        e.description = public_description(&error);
                    }
                }
            }
            return answer_decode_error(&endpoint, e);
        }
    };
    let (operation, answer, notice) = endpoint.serve(request).await;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    match answer {
        Ok(body) => {
            endpoint.counters.record(operation.name(), "OK");
            tracing::info!(operation = operation.name(), notice, elapsed_ms, "paForNode OK");
            xml_response(StatusCode::OK, body)
        }
        Err(fault) => {
            endpoint.counters.record(operation.name(), fault.code.as_str());
            tracing::info!(
                operation = operation.name(),
                notice,
                fault = fault.code.as_str(),
                elapsed_ms,
                "paForNode KO"
            );
            xml_response(StatusCode::OK, encode::ko(operation, &fault))
        }
    }
}

/// The `idPA` of a body the decoder gave up on before reading it, found by a plain scan, so an
/// operator limited to that Ente sees the quarantined message; `None` if there is no valid one.
fn scan_id_pa(body: &[u8]) -> Option<pagopa_domain::EnteId> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<idPA>")? + "<idPA>".len();
    let end = start + text[start..].find("</idPA>")?;
    text[start..end].trim().parse().ok()
}

fn answer_decode_error(endpoint: &SoapEndpoint, error: DecodeError) -> HttpResponse {
    match error.operation {
        Some(operation) => {
            endpoint.counters.record(operation.name(), error.fault.as_str());
            tracing::info!(
                operation = operation.name(),
                fault = error.fault.as_str(),
                description = error.description,
                "paForNode request refused"
            );
            let fault = Fault {
                code: error.fault,
                description: error.description.clone(),
                id: endpoint.fault_id(error.broker.as_deref()),
            };
            xml_response(StatusCode::OK, encode::ko(operation, &fault))
        }
        None => {
            endpoint.counters.record("unknown", error.fault.as_str());
            tracing::info!(description = error.description, "paForNode body names no operation");
            xml_response(
                StatusCode::BAD_REQUEST,
                soap_fault(true, error.fault, &error.description),
            )
        }
    }
}
