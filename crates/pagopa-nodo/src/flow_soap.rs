//! The client of the Node's `nodeForPa` SOAP interface for the reconciliation flows of stations
//! not on the FdR REST API (the interface is being switched off): [`NodoFlowSource`], the
//! domain's [`FlowSource`] (`nodo-soap`).
//!
//! - [`FlowSource::published`]: `nodoChiediElencoFlussiRendicontazione` with
//!   `identificativoDominio` = the Ente: the (`identificativoFlusso`, `dataOraFlusso`) pairs,
//!   those with `dataOraFlusso` after `after` taken, oldest first. Each is revision 1 (the SOAP
//!   interface gives the latest revision and no number), without a publication time, its
//!   `flow_date` the `dataOraFlusso`, its PSP read from the flow id ([`psp_of_flow_id`]).
//! - [`FlowSource::fetch`]: `nodoChiediFlussoRendicontazione` with `identificativoDominio` and
//!   `identificativoFlusso` (no `identificativoPSP`: the one in the key is only read from the
//!   flow id): `xmlRendicontazione`, base64, is decoded and read by [`crate::flow_xml::decode`].
//!   The raw document is part `xml`, `application/xml`, the XML itself. A flow of another Ente
//!   or with another id than asked for is refused; a PSP code other than the one read from the
//!   flow id (an ABI or BIC code, type `A` or `B`) is kept as the flow says, with a warning.
//!
//! The requests follow `nodeForPa.wsdl` (document/literal, SOAP 1.1, `SOAPAction` the
//! operation's name): the body element in [`NODE_FOR_PA_NS`], its children unqualified, as
//! `nodeForPa.xsd` declares them. Errors:
//!
//! - a `fault` in the answer (`ctRisposta`): not transient, except `PPT_SYSTEM_ERROR` and the
//!   codes that name a timeout; its `faultCode`, `faultString` and `description` in the message;
//! - a SOAP `Fault`: transient when it is the server's (`soap:Server`);
//! - no answer, an error status: transient as [`HttpError::is_transient`] says;
//! - an answer not of the schema, a `xmlRendicontazione` that is not base64 or not a valid
//!   flow: not transient.
//!
//! Each call is made once (both are reads: the caller may try again).

use std::fmt;

use async_trait::async_trait;
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use pagopa_domain::cause_chain;
use pagopa_domain::model::{FetchedFlow, FlowError, FlowId, FlowKey, FlowOrigin, PartyId, PublishedFlow, RawDocument};
use pagopa_domain::ports::{FlowSource, FlowSourceError};
use pagopa_domain::value::EnteId;
use pagopa_http_client::header::{ACCEPT, HeaderName};
use pagopa_http_client::{
    BaseUrl, Cleartext, HttpClient, HttpError, Method, Secret, SubscriptionKey, Url, explanation, timeout_from_ms,
};

use crate::flow_xml::{self, MAX_DOCUMENT_BYTES};
use crate::soap::{SOAP_ENVELOPE_NS, time};
use crate::xml::{self, Element, Sequence, XmlError, XmlWriter};

mod answer;
mod error;
mod settings;

use answer::{read_flow, read_list, response_element};
pub use error::{NodoCall, NodoError, NodoFault};
pub use settings::{NodoFlowConfigError, NodoFlowSettings, UAT_BASE_URL};

/// The namespace of the `nodeForPa` request and response elements.
pub const NODE_FOR_PA_NS: &str = "http://ws.pagamenti.telematici.gov/";

/// The media type of the raw document of a SOAP flow.
pub const XML_MEDIA_TYPE: &str = "application/xml";

/// The fault codes after which trying later may help.
pub const TRANSIENT_FAULTS: &[&str] = &["PPT_SYSTEM_ERROR"];

const USER_AGENT: &str = concat!("pagopa-nodo/", env!("CARGO_PKG_VERSION"));

/// The most bytes of an answer read: a flow of [`MAX_DOCUMENT_BYTES`] in base64, and its envelope.
const MAX_ANSWER_BYTES: usize = MAX_DOCUMENT_BYTES / 3 * 4 + 64 * 1024;

/// The most elements of an answer: a list of 300 000 flows.
const MAX_ANSWER_ELEMENTS: usize = 1_000_000;

/// The PSP of a flow id, by the convention `<dataRegolamento YYYY-MM-DD><idPSP>-<unique part>`:
/// what lies between the ten characters of the date and the first `-` after them. `None` when
/// the id does not start with a date or has no `-` after a non-empty PSP id.
///
/// ```
/// use pagopa_nodo::flow_soap::psp_of_flow_id;
///
/// assert_eq!(psp_of_flow_id("2025-01-0788888888888-0001-a").unwrap().as_str(), "88888888888");
/// assert_eq!(psp_of_flow_id("2025-01-07ABI03069-x_1").unwrap().as_str(), "ABI03069");
/// assert!(psp_of_flow_id("2025-01-0788888888888").is_none());
/// assert!(psp_of_flow_id("20250107-88888888888-1").is_none());
/// ```
pub fn psp_of_flow_id(flow_id: &str) -> Option<PartyId> {
    let date = flow_id.get(..10)?;
    NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let (psp, rest) = flow_id[10..].split_once('-')?;
    if rest.is_empty() {
        return None;
    }
    psp.parse().ok()
}

/// The `nodeForPa` flows client of one station: the [`FlowSource`] `nodo-soap`. Cloning is cheap
/// and shares the connection pool. `Debug` never shows the password or the key.
#[derive(Clone)]
pub struct NodoFlowSource {
    http: HttpClient,
    url: Url,
    broker_id: String,
    station_id: String,
    password: Secret,
    subscription_key: Option<SubscriptionKey>,
}

impl fmt::Debug for NodoFlowSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodoFlowSource")
            .field("url", &self.url.as_str())
            .field("broker_id", &self.broker_id)
            .field("station_id", &self.station_id)
            .field("password", &pagopa_http_client::REDACTED)
            .field("subscription_key", &self.subscription_key)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

impl NodoFlowSource {
    /// A client for `settings`, checked: https outside the local machine, ids of 1 to 35
    /// characters, a password of 8 to 15, a key headers can carry, a timeout.
    pub fn new(settings: NodoFlowSettings) -> Result<Self, NodoFlowConfigError> {
        let base_url = BaseUrl::parse(&settings.base_url, "nodeForPa", Cleartext::Refuse)?;
        for (field, value) in [("broker_id", &settings.broker_id), ("station_id", &settings.station_id)] {
            if !(1..=35).contains(&value.trim().chars().count()) {
                return Err(NodoFlowConfigError::Identifier { field });
            }
        }
        let password = settings.password.expose().trim();
        let length = password.chars().count();
        if !(8..=15).contains(&length) {
            return Err(NodoFlowConfigError::Password(length));
        }
        let subscription_key = settings
            .subscription_key
            .as_ref()
            .map(SubscriptionKey::new)
            .transpose()?;
        let timeout = timeout_from_ms(settings.timeout_ms).ok_or(NodoFlowConfigError::Timeout)?;
        let http = HttpClient::builder("nodo-soap", timeout)
            .user_agent(USER_AGENT)
            .max_body_bytes(MAX_ANSWER_BYTES)
            .build()
            .map_err(NodoFlowConfigError::Client)?;
        Ok(Self {
            http,
            url: base_url.endpoint([]),
            broker_id: settings.broker_id.trim().to_owned(),
            station_id: settings.station_id.trim().to_owned(),
            password: Secret::new(password),
            subscription_key,
        })
    }

    /// The endpoint the requests are posted to.
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// The envelope of `call` for `ente`, with `identificativoFlusso` when `flow_id` is given.
    fn request_body(&self, call: NodoCall, ente: &EnteId, flow_id: Option<&FlowId>) -> String {
        let element = format!("nfpa:{}", call.name());
        let mut w = XmlWriter::with_capacity(1024);
        w.raw(r#"<?xml version="1.0" encoding="UTF-8"?>"#)
            .raw(&format!(
                r#"<soapenv:Envelope xmlns:soapenv="{SOAP_ENVELOPE_NS}" xmlns:nfpa="{NODE_FOR_PA_NS}">"#
            ))
            .raw("<soapenv:Header/><soapenv:Body>")
            .open(&element)
            .leaf("identificativoIntermediarioPA", &self.broker_id)
            .leaf("identificativoStazioneIntermediarioPA", &self.station_id)
            .leaf("password", self.password.expose())
            .leaf("identificativoDominio", ente)
            .optional_leaf("identificativoFlusso", flow_id)
            .close(&element)
            .raw("</soapenv:Body></soapenv:Envelope>");
        w.finish()
    }

    /// Posts `call` and returns its response element's parsed tree, after its `fault`.
    async fn call(&self, call: NodoCall, body: String) -> Result<Element, NodoError> {
        let http = |source| NodoError::Http { call, source };
        let mut request = self
            .http
            .request(Method::POST, self.url.clone())
            .header(HeaderName::from_static("soapaction"), call.name())
            .header(ACCEPT, "text/xml")
            .body_bytes("text/xml; charset=utf-8", body.into_bytes());
        if let Some(key) = &self.subscription_key {
            request = request.subscription_key(key);
        }
        let answer = self.http.send(request).await.map_err(http)?;
        let status = answer.status();
        if (300..400).contains(&status) {
            return Err(http(answer.into_error("a 2xx").await));
        }
        let body = answer.read_all().await.map_err(http)?;
        let envelope = std::str::from_utf8(&body)
            .map_err(|_| XmlError("the answer is not UTF-8".into()))
            .and_then(|text| xml::parse_with_max_elements(text, MAX_ANSWER_ELEMENTS));
        let envelope = match envelope {
            Ok(envelope) => envelope,
            // Not SOAP at all: the status says what happened, else the body is not of the schema.
            Err(_) if !(200..300).contains(&status) => {
                return Err(http(HttpError::Status {
                    status,
                    excerpt: explanation(&body, &[], 200),
                }));
            }
            Err(e) => return Err(NodoError::Answer { call, problem: e.0 }),
        };
        let answer = response_element(call, &envelope)?;
        if !(200..300).contains(&status) {
            return Err(http(HttpError::Status {
                status,
                excerpt: explanation(&body, &[], 200),
            }));
        }
        Ok(answer.clone())
    }

    async fn list(&self, ente: &EnteId) -> Result<Vec<(FlowId, DateTime<Utc>)>, NodoError> {
        let call = NodoCall::ListFlows;
        let answer = self.call(call, self.request_body(call, ente, None)).await?;
        read_list(&answer).map_err(|e| NodoError::Answer { call, problem: e.0 })
    }

    async fn flow(&self, key: &FlowKey) -> Result<FetchedFlow, NodoError> {
        let call = NodoCall::Flow;
        let flow_id = key.flow_id.as_str().to_owned();
        let answer = self
            .call(call, self.request_body(call, &key.ente, Some(&key.flow_id)))
            .await?;
        let encoded = read_flow(&answer).map_err(|e| NodoError::Answer { call, problem: e.0 })?;
        let compact: Vec<u8> = encoded.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        let document = base64::engine::general_purpose::STANDARD
            .decode(&compact)
            .map_err(|e| NodoError::Base64 {
                flow_id: flow_id.clone(),
                problem: e.to_string(),
            })?;
        let failed = |source: FlowError| NodoError::Flow {
            flow_id: flow_id.clone(),
            source,
        };
        let flow = flow_xml::decode(&document).map_err(|e| failed(e.into()))?;
        if flow.key.ente != key.ente || flow.key.flow_id != key.flow_id {
            return Err(failed(FlowError::Document(format!(
                "the document is flow {}, not {key}",
                flow.key
            ))));
        }
        if flow.key.psp != key.psp {
            tracing::warn!(flow = %key, psp = %flow.key.psp, "the flow names another PSP code than its id; kept as the flow says");
        }
        // decode took it, so it is UTF-8.
        let body = String::from_utf8_lossy(&document);
        let body = body.strip_prefix('\u{feff}').unwrap_or(&body).to_owned();
        Ok(FetchedFlow {
            flow,
            raw: vec![RawDocument {
                part: "xml".into(),
                media_type: XML_MEDIA_TYPE.into(),
                body,
            }],
        })
    }
}

#[async_trait]
impl FlowSource for NodoFlowSource {
    async fn published(&self, ente: &EnteId, after: DateTime<Utc>) -> Result<Vec<PublishedFlow>, FlowSourceError> {
        let listed = self.list(ente).await?;
        let mut flows = Vec::new();
        for (flow_id, flow_date) in listed {
            if flow_date <= after {
                continue;
            }
            let psp = psp_of_flow_id(flow_id.as_str()).ok_or_else(|| FlowSourceError {
                message: format!(
                    "the Node lists flow {flow_id} of Ente {ente}, whose id is not <YYYY-MM-DD><idPSP>-<unique part>"
                ),
                transient: false,
                source: None,
            })?;
            flows.push(PublishedFlow {
                key: FlowKey {
                    ente: ente.clone(),
                    psp,
                    flow_id,
                },
                revision: 1,
                published_at: None,
                flow_date: Some(flow_date),
            });
        }
        flows.sort_by(|a, b| a.flow_date.cmp(&b.flow_date).then_with(|| a.key.cmp(&b.key)));
        Ok(flows)
    }

    async fn fetch(&self, flow: &PublishedFlow) -> Result<FetchedFlow, FlowSourceError> {
        Ok(self.flow(&flow.key).await?)
    }

    fn name(&self) -> &'static str {
        "nodo-soap"
    }

    fn origin(&self) -> FlowOrigin {
        FlowOrigin::Soap
    }
}

#[cfg(test)]
mod tests;
