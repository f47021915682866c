//! The actix-web endpoint the Node calls: authentication, a size-capped body, decoding,
//! dispatch to [`NodeOperations`] and the in-band answer.
//!
//! Every request that names a `paForNode` operation (by its body element or its `SOAPAction`)
//! gets HTTP 200 and that operation's response, `outcome` KO with the fault when it fails; never
//! a 500. Only a body that names no operation gets a SOAP `Fault` (HTTP 400), and a caller that
//! fails authentication a SOAP `Fault` with HTTP 401 or 403.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, web};
use pagopa_domain::DomainError;
use pagopa_domain::FaultCode;
use pagopa_domain::ports::Clock;
use pagopa_domain::services::NodeOperations;
use sha2::{Digest, Sha256};

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
}

impl Default for SoapSettings {
    fn default() -> Self {
        Self {
            path: "/pagopa/paForNode".into(),
            fault_id: None,
            max_body_bytes: 1024 * 1024,
            auth: NodeAuth::default(),
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
            .finish()
    }
}

/// Node authentication (DESIGN §6): besides the station ids every request carries, an optional
/// shared secret in a header and an optional allow-list of client addresses. TLS is terminated in
/// front of the service.
#[derive(Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeAuth {
    /// The header that carries the secret (default `X-Node-Secret` when a secret is set).
    pub header: Option<String>,
    /// The shared secret. Compared through SHA-256 digests, never logged.
    pub secret: Option<String>,
    /// Allowed client addresses: single addresses or CIDR blocks (`10.1.0.0/16`, `::1`).
    /// Empty: any address.
    pub allowed_ips: Vec<String>,
}

impl std::fmt::Debug for NodeAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeAuth")
            .field("header", &self.header)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .field("allowed_ips", &self.allowed_ips)
            .finish()
    }
}

impl NodeAuth {
    /// Checks the allow-list entries and the secret, naming the first bad one.
    pub fn validate(&self) -> Result<(), String> {
        for raw in &self.allowed_ips {
            Block::parse(raw)?;
        }
        if self.secret.as_deref() == Some("") {
            return Err("the Node secret must not be empty".into());
        }
        Ok(())
    }
}

/// An address block of the allow-list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Block {
    network: IpAddr,
    prefix: u8,
}

impl Block {
    fn parse(raw: &str) -> Result<Self, String> {
        let (address, prefix) = match raw.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (raw, None),
        };
        let network: IpAddr = address
            .trim()
            .parse()
            .map_err(|_| format!("{raw:?} is not an IP address or CIDR block"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{raw:?}: the prefix length must be 0..={max}"))?,
            None => max,
        };
        Ok(Self { network, prefix })
    }

    fn contains(&self, address: IpAddr) -> bool {
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(address),
            v4 => v4,
        };
        match (self.network, address) {
            (IpAddr::V4(net), IpAddr::V4(addr)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(addr) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(addr)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(addr) & mask
            }
            _ => false,
        }
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
    blocks: Arc<Vec<Block>>,
    secret_digest: Option<[u8; 32]>,
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
        let blocks = settings
            .auth
            .allowed_ips
            .iter()
            .map(|raw| Block::parse(raw))
            .collect::<Result<Vec<_>, _>>()?;
        if !settings.path.starts_with('/') {
            return Err(format!("the SOAP path {:?} must start with '/'", settings.path));
        }
        let secret_digest = match settings.auth.secret.as_deref() {
            Some("") => return Err("the Node secret must not be empty".into()),
            Some(secret) => Some(Sha256::digest(secret.as_bytes()).into()),
            None => None,
        };
        Ok(Self {
            node,
            clock,
            settings: Arc::new(settings),
            blocks: Arc::new(blocks),
            secret_digest,
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

    fn authorize(&self, request: &HttpRequest) -> Result<(), (StatusCode, &'static str)> {
        if !self.blocks.is_empty() {
            let allowed = request
                .peer_addr()
                .is_some_and(|peer| self.blocks.iter().any(|b| b.contains(peer.ip())));
            if !allowed {
                return Err((StatusCode::FORBIDDEN, "the client address is not allowed"));
            }
        }
        if let Some(expected) = &self.secret_digest {
            let header = self.settings.auth.header.as_deref().unwrap_or("X-Node-Secret");
            let given = request
                .headers()
                .get(header)
                .map(|v| Sha256::digest(v.as_bytes()))
                .ok_or((StatusCode::UNAUTHORIZED, "the Node secret is missing"))?;
            // Digests of equal length: the comparison time does not depend on the secret.
            let differs = given.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if differs != 0 {
                return Err((StatusCode::UNAUTHORIZED, "the Node secret is wrong"));
            }
        }
        Ok(())
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
    if let Err((status, why)) = endpoint.authorize(&request) {
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
    let decoded = match payload.to_bytes_limited(limit).await {
        Ok(Ok(body)) => match std::str::from_utf8(&body) {
            Ok(text) => decode_request(text, action.as_deref(), endpoint.clock.now()),
            Err(_) => Err(DecodeError::syntax(action_operation, "the request is not UTF-8")),
        },
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
            // A request that is not for one of our stations is answered as such first.
            if let Some(station) = e.station.take()
                && let Err(wrong) = endpoint.node.check_station(&station).await
            {
                e.fault = wrong.fault_code();
                e.description = public_description(&wrong);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_blocks() {
        let block = Block::parse("10.1.0.0/16").unwrap();
        assert!(block.contains("10.1.200.3".parse().unwrap()));
        assert!(!block.contains("10.2.0.1".parse().unwrap()));
        assert!(block.contains("::ffff:10.1.0.9".parse().unwrap()));
        let one = Block::parse("127.0.0.1").unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        assert!(Block::parse("::1").unwrap().contains("::1".parse().unwrap()));
        assert!(Block::parse("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
        assert!(Block::parse("10.0.0.0/33").is_err());
        assert!(Block::parse("example.org").is_err());
    }
}
