//! Node requests: from the SOAP envelope to the domain's values.
//!
//! The reader follows `paForNode.xsd`: elements in sequence order, occurrences, no extra
//! elements, unqualified children, and the facets of every simple type (lengths, patterns,
//! two-decimal amounts, dates). A request that breaks them is `PAA_SINTASSI_XSD`. A value the
//! schema allows but this Ente cannot have issued is answered with the business code instead: an
//! `idPA` that is not an 11-digit Ente id is `PAA_ID_DOMINIO_ERRATO`, an 18-digit notice number
//! whose check digits are wrong is `PAA_PAGAMENTO_SCONOSCIUTO`.
//!
//! Receipts cannot be refused in business terms (they prove a payment), so their texts and
//! personal data are read leniently: control characters become spaces, blank or overlong
//! optional texts are left out (required ones are cut, or `-`), a payer or debtor identifier
//! that is not an Italian fiscal code is kept as anonymous, an e-mail or country the domain does
//! not accept is dropped; the raw message, which is stored with the receipt, keeps the original.
//! A receipt with `outcome` KO proves no payment and is `PAA_SEMANTICA`.

mod receipt;

use std::collections::BTreeMap;
use std::str::FromStr;

use base64::Engine;
use chrono::{DateTime, Utc};
use pagopa_domain::FaultCode;
use pagopa_domain::model::{Delivery, Metadata, PrimitiveVersion, Psp, Receipt, ReceiptTransfer, Subject, SubjectId};
use pagopa_domain::services::{ActivateRequest, StationIds, TransferType};
use pagopa_domain::value::{AmountCents, EnteId, NoticeNumber, Text};

use super::{Operation, PA_FOR_NODE_NS, SOAP_ENVELOPE_NS, time};
use crate::xml::{self, Element, Sequence, XmlError};

/// A decoded Node request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeRequest {
    /// `paVerifyPaymentNotice`.
    Verify {
        /// The station ids.
        station: StationIds,
        /// `qrCode.fiscalCode`.
        ente: EnteId,
        /// `qrCode.noticeNumber`.
        notice_number: NoticeNumber,
    },
    /// `paGetPayment` / `paGetPaymentV2`.
    Activate(ActivateRequest),
    /// `paSendRT` / `paSendRTV2`.
    Receipt {
        /// The station ids.
        station: StationIds,
        /// The receipt, with its delivery data and raw message.
        receipt: Box<Receipt>,
    },
    /// `paDemandPaymentNotice`.
    Demand {
        /// The station ids.
        station: StationIds,
        /// `idServizio`.
        service_id: String,
        /// `idSoggettoServizio`.
        subject_service_id: String,
        /// The leaves of `datiSpecificiServizioRequest`, names in snake case
        /// (`annoValidita` → `anno_validita`).
        values: BTreeMap<String, String>,
    },
}

impl NodeRequest {
    /// The station ids the request carries.
    pub fn station(&self) -> &StationIds {
        match self {
            Self::Verify { station, .. } | Self::Receipt { station, .. } | Self::Demand { station, .. } => station,
            Self::Activate(request) => &request.station,
        }
    }
}

/// A request that cannot be served as sent, with the fault to answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{fault}: {description}")]
pub struct DecodeError {
    /// The operation, when it could be told from the body or the `SOAPAction`; without it no
    /// `paForNode` response element can be chosen.
    pub operation: Option<Operation>,
    /// The fault code.
    pub fault: FaultCode,
    /// What is wrong, for the fault's `description`.
    pub description: String,
    /// The request's `idBrokerPA`, when it was read.
    pub broker: Option<String>,
    /// The station ids, when they were read before the error: the endpoint checks them first,
    /// so a request that is not ours is answered as such whatever else is wrong with it.
    pub station: Option<Box<StationIds>>,
}

impl DecodeError {
    /// `PAA_SINTASSI_XSD` for a body that cannot be read as a request of `operation`.
    pub fn syntax(operation: Option<Operation>, description: impl Into<String>) -> Self {
        Self {
            operation,
            fault: FaultCode::SintassiXsd,
            description: description.into(),
            broker: None,
            station: None,
        }
    }
}

/// An error inside one request, before the operation is attached.
#[derive(Debug)]
pub(super) struct Bad {
    pub(super) fault: FaultCode,
    pub(super) description: String,
}

/// For readers of responses (`node`), which report plain XML errors.
impl From<Bad> for XmlError {
    fn from(bad: Bad) -> Self {
        XmlError(format!("{}: {}", bad.fault, bad.description))
    }
}

impl From<XmlError> for Bad {
    fn from(e: XmlError) -> Self {
        Self {
            fault: FaultCode::SintassiXsd,
            description: e.0,
        }
    }
}

fn syntax(path: &str, problem: impl std::fmt::Display) -> Bad {
    Bad::from(XmlError::at(path, problem))
}

/// Decodes a SOAP envelope. `soap_action` is the HTTP header, if any; `received_at` stamps a
/// receipt's delivery, which also keeps `body` verbatim.
pub fn decode_request(
    body: &str,
    soap_action: Option<&str>,
    received_at: DateTime<Utc>,
) -> Result<NodeRequest, DecodeError> {
    let from_action = soap_action.and_then(Operation::from_soap_action);
    let fail = |operation, bad: Bad, broker| DecodeError {
        operation,
        fault: bad.fault,
        description: bad.description,
        broker,
        station: None,
    };
    let envelope = xml::parse(body).map_err(|e| fail(from_action, e.into(), None))?;
    let request = body_element(&envelope).map_err(|e| fail(from_action, e, None))?;
    let operation = Operation::from_request_element(&request.name).ok_or_else(|| {
        fail(
            from_action,
            syntax("Body", format!("<{}> is not a paForNode request", request.name)),
            None,
        )
    })?;
    if request.namespace.as_deref() != Some(PA_FOR_NODE_NS) {
        // The official pagoPA example of paVerifyPaymentNoticeReq itself carries the nodeForPsp
        // namespace: the element's local name decides, as it does for the Node's own tools.
        tracing::debug!(namespace = ?request.namespace, "paForNode request element in another namespace");
    }
    if let Some(action) = soap_action.filter(|a| !a.trim().trim_matches('"').is_empty())
        && from_action != Some(operation)
    {
        return Err(fail(
            Some(operation),
            syntax(
                "SOAPAction",
                format!("{action:?} does not match the body element <{}>", request.name),
            ),
            None,
        ));
    }
    let broker = request
        .child("idBrokerPA")
        .map(|b| b.value().to_owned())
        .filter(|b| !b.is_empty());
    decode_operation(operation, request, body, received_at).map_err(|e| {
        let mut error = fail(Some(operation), e, broker);
        if error.fault != FaultCode::SintassiXsd {
            error.station = request
                .sequence("")
                .ok()
                .and_then(|mut seq| station_ids(&mut seq).ok())
                .map(Box::new);
        }
        error
    })
}

fn body_element(envelope: &Element) -> Result<&Element, Bad> {
    if envelope.name != "Envelope" || envelope.namespace.as_deref() != Some(SOAP_ENVELOPE_NS) {
        return Err(syntax("/", "the document is not a SOAP 1.1 envelope"));
    }
    let mut seq = envelope.sequence("Envelope")?;
    seq.optional_any_namespace("Header");
    let body = seq
        .optional_any_namespace("Body")
        .ok_or_else(|| syntax("Envelope", "<Body> expected"))?;
    seq.end()?;
    if body.namespace.as_deref() != Some(SOAP_ENVELOPE_NS) {
        return Err(syntax("Envelope/Body", "Body must be in the SOAP envelope namespace"));
    }
    match body.children.as_slice() {
        [only] if body.value().is_empty() => Ok(only),
        _ => Err(syntax("Envelope/Body", "the Body must hold exactly one element")),
    }
}

fn decode_operation(
    operation: Operation,
    request: &Element,
    raw: &str,
    received_at: DateTime<Utc>,
) -> Result<NodeRequest, Bad> {
    let path = request.name.as_str();
    let mut seq = request.sequence(path)?;
    let station = station_ids(&mut seq)?;
    let decoded = match operation {
        Operation::VerifyPaymentNotice => {
            let (ente, notice_number) = qr_code(&mut seq)?;
            NodeRequest::Verify {
                station,
                ente,
                notice_number,
            }
        }
        Operation::GetPayment | Operation::GetPaymentV2 => {
            let (ente, notice_number) = qr_code(&mut seq)?;
            if let Some(amount) = seq.optional_text("amount")? {
                amount_or_zero(amount, &seq.path_of("amount"))?;
            }
            let payment_note = seq
                .optional_text("paymentNote")?
                .map(|note| text_facet::<210>(note, &seq.path_of("paymentNote")).map(str::to_owned))
                .transpose()?;
            let transfer_type = match seq.optional_text("transferType")? {
                None => None,
                Some("POSTAL") => Some(TransferType::Postal),
                Some("PAGOPA") => Some(TransferType::PagoPa),
                Some(other) => {
                    return Err(syntax(
                        &seq.path_of("transferType"),
                        format!("{other:?} is not allowed"),
                    ));
                }
            };
            if let Some(due) = seq.optional_text("dueDate")? {
                date(due, &seq.path_of("dueDate"))?;
            }
            NodeRequest::Activate(ActivateRequest {
                station,
                ente,
                notice_number,
                transfer_type,
                version: if operation == Operation::GetPayment {
                    PrimitiveVersion::V1
                } else {
                    PrimitiveVersion::V2
                },
                payment_note,
            })
        }
        Operation::SendRt | Operation::SendRtV2 => {
            let version = if operation == Operation::SendRt {
                PrimitiveVersion::V1
            } else {
                PrimitiveVersion::V2
            };
            let element = seq.required("receipt")?;
            let delivery = Delivery {
                recipient: station.ente.clone(),
                broker_id: party(&station.broker, &format!("{path}/idBrokerPA"))?,
                station_id: party(&station.station, &format!("{path}/idStation"))?,
                version,
                received_at,
                raw_message: Some(raw.to_owned()),
                recovered: false,
            };
            let receipt = receipt::receipt(element, &format!("{path}/receipt"), delivery)?;
            NodeRequest::Receipt {
                station,
                receipt: Box::new(receipt),
            }
        }
        Operation::DemandPaymentNotice => {
            let service_id = exact_length(seq.text("idServizio")?, 5, &seq.path_of("idServizio"))?;
            let subject_service_id =
                exact_length(seq.text("idSoggettoServizio")?, 5, &seq.path_of("idSoggettoServizio"))?;
            let path = seq.path_of("datiSpecificiServizioRequest");
            let encoded = seq.text("datiSpecificiServizioRequest")?;
            let values = service_data(encoded, &path)?;
            NodeRequest::Demand {
                station,
                service_id: service_id.to_owned(),
                subject_service_id: subject_service_id.to_owned(),
                values,
            }
        }
    };
    seq.end()?;
    Ok(decoded)
}

fn station_ids(seq: &mut Sequence<'_>) -> Result<StationIds, Bad> {
    let id_pa = text_facet::<35>(seq.text("idPA")?, &seq.path_of("idPA"))?;
    let broker = text_facet::<35>(seq.text("idBrokerPA")?, &seq.path_of("idBrokerPA"))?;
    let station = text_facet::<35>(seq.text("idStation")?, &seq.path_of("idStation"))?;
    let ente = EnteId::from_str(id_pa).map_err(|_| Bad {
        fault: FaultCode::IdDominioErrato,
        description: format!("idPA {id_pa} is not an Ente served by this station"),
    })?;
    Ok(StationIds {
        ente,
        broker: broker.to_owned(),
        station: station.to_owned(),
    })
}

fn qr_code(seq: &mut Sequence<'_>) -> Result<(EnteId, NoticeNumber), Bad> {
    let path = seq.path_of("qrCode");
    let mut qr = seq.required("qrCode")?.sequence(&path)?;
    let ente = fiscal_code_pa(qr.text("fiscalCode")?, &qr.path_of("fiscalCode"))?;
    let notice = notice_number(qr.text("noticeNumber")?, &qr.path_of("noticeNumber"))?;
    qr.end()?;
    Ok((ente, notice))
}

pub(super) fn fiscal_code_pa(raw: &str, path: &str) -> Result<EnteId, Bad> {
    if raw.len() != 11 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(syntax(path, format!("{raw:?} is not 11 digits")));
    }
    EnteId::from_str(raw).map_err(|e| syntax(path, e))
}

pub(super) fn notice_number(raw: &str, path: &str) -> Result<NoticeNumber, Bad> {
    if raw.len() != 18 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(syntax(path, format!("{raw:?} is not 18 digits")));
    }
    NoticeNumber::from_str(raw).map_err(|e| Bad {
        fault: FaultCode::PagamentoSconosciuto,
        description: format!("notice {raw} was not issued by this Ente: {e}"),
    })
}

pub(super) fn text_facet<'s, const N: usize>(raw: &'s str, path: &str) -> Result<&'s str, Bad> {
    let length = raw.chars().count();
    if length == 0 || length > N {
        return Err(syntax(path, format!("1..{N} characters allowed, found {length}")));
    }
    Ok(raw)
}

pub(super) fn text<const N: usize>(raw: &str, path: &str) -> Result<Text<N>, Bad> {
    text_facet::<N>(raw, path)?;
    raw.parse().map_err(|e| syntax(path, e))
}

fn exact_length<'s>(raw: &'s str, length: usize, path: &str) -> Result<&'s str, Bad> {
    if raw.chars().count() != length {
        return Err(syntax(path, format!("exactly {length} characters required")));
    }
    Ok(raw)
}

/// `stAmount`: `\d+\.\d{2}`, at most 999999999.99, zero allowed. In cents.
pub(super) fn amount_or_zero(raw: &str, path: &str) -> Result<u64, Bad> {
    let bad = || syntax(path, format!("{raw:?} is not an amount like 12.50"));
    let (euros, cents) = raw.split_once('.').ok_or_else(bad)?;
    // An xsd:decimal may carry leading zeros.
    let significant = euros.trim_start_matches('0');
    if euros.is_empty()
        || significant.len() > 9
        || cents.len() != 2
        || !euros.bytes().chain(cents.bytes()).all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let euros: u64 = euros.parse().map_err(|_| bad())?;
    let cents: u64 = cents.parse().map_err(|_| bad())?;
    Ok(euros * 100 + cents)
}

/// `stAmountNotZero`.
pub(super) fn amount(raw: &str, path: &str) -> Result<AmountCents, Bad> {
    let cents = amount_or_zero(raw, path)?;
    AmountCents::new(cents).map_err(|e| syntax(path, e))
}

pub(super) fn date(raw: &str, path: &str) -> Result<chrono::NaiveDate, Bad> {
    time::parse_date(raw).ok_or_else(|| syntax(path, format!("{raw:?} is not a date (YYYY-MM-DD)")))
}

pub(super) fn boolean(raw: &str, path: &str) -> Result<bool, Bad> {
    match raw {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(syntax(path, format!("{other:?} is not a boolean"))),
    }
}

pub(super) fn party<T: FromStr>(raw: &str, path: &str) -> Result<T, Bad>
where
    T::Err: std::fmt::Display,
{
    raw.parse().map_err(|e: T::Err| Bad {
        fault: FaultCode::SintassiExtraXsd,
        description: format!("{path}: {e}"),
    })
}

/// A `ctSubject`. In a receipt (`lenient_texts`) its texts are mended rather than refused and an
/// address part the domain cannot keep is left out.
pub(super) fn subject(element: &Element, path: &str, lenient_texts: bool) -> Result<Subject, Bad> {
    let mut seq = element.sequence(path)?;
    let id_path = seq.path_of("uniqueIdentifier");
    let mut id = seq.required("uniqueIdentifier")?.sequence(&id_path)?;
    match id.text("entityUniqueIdentifierType")? {
        "F" | "G" => {}
        other => {
            return Err(syntax(
                &id.path_of("entityUniqueIdentifierType"),
                format!("{other:?} is not F or G"),
            ));
        }
    }
    let value = id.text("entityUniqueIdentifierValue")?;
    let length = value.chars().count();
    if !(2..=16).contains(&length) {
        return Err(syntax(
            &id.path_of("entityUniqueIdentifierValue"),
            "2..16 characters allowed",
        ));
    }
    id.end()?;
    let subject_id = value.parse().map(SubjectId::FiscalCode).unwrap_or(SubjectId::Anonymous);
    let full_name = if lenient_texts {
        receipt::lenient_required(seq.text("fullName")?)
    } else {
        text(seq.text("fullName")?, &seq.path_of("fullName"))?
    };
    let mut subject = Subject::new(subject_id, full_name);
    if lenient_texts {
        subject.street_name = seq.optional_text("streetName")?.and_then(receipt::lenient);
        subject.civic_number = seq.optional_text("civicNumber")?.and_then(receipt::lenient);
        subject.postal_code = seq.optional_text("postalCode")?.and_then(receipt::lenient);
        subject.city = seq.optional_text("city")?.and_then(receipt::lenient);
        subject.province = seq.optional_text("stateProvinceRegion")?.and_then(receipt::lenient);
        subject.country = seq.optional_text("country")?.and_then(|c| c.parse().ok());
        subject.email = seq.optional_text("e-mail")?.and_then(|e| e.parse().ok());
        seq.end()?;
        return Ok(subject);
    }
    subject.street_name = optional_text(&mut seq, "streetName")?;
    subject.civic_number = optional_text(&mut seq, "civicNumber")?;
    subject.postal_code = optional_text(&mut seq, "postalCode")?;
    subject.city = optional_text(&mut seq, "city")?;
    subject.province = optional_text(&mut seq, "stateProvinceRegion")?;
    if let Some(country) = seq.optional_text("country")? {
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(syntax(&seq.path_of("country"), "two capital letters required"));
        }
        subject.country = country.parse().ok();
    }
    if let Some(email) = seq.optional_text("e-mail")? {
        if email.is_empty() || email.len() > 256 || !email.contains('@') {
            return Err(syntax(&seq.path_of("e-mail"), "not an e-mail address"));
        }
        subject.email = email.parse().ok();
    }
    seq.end()?;
    Ok(subject)
}

pub(super) fn optional_text<const N: usize>(seq: &mut Sequence<'_>, name: &str) -> Result<Option<Text<N>>, Bad> {
    seq.optional_text(name)?
        .map(|v| text(v, &seq.path_of(name)))
        .transpose()
}

/// An optional `metadata` element; empty when absent.
pub(super) fn optional_metadata(seq: &mut Sequence<'_>) -> Result<Metadata, Bad> {
    match seq.optional("metadata")? {
        Some(element) => metadata(element, &seq.path_of("metadata")),
        None => Ok(Metadata::default()),
    }
}

pub(super) fn metadata(element: &Element, path: &str) -> Result<Metadata, Bad> {
    let mut seq = element.sequence(path)?;
    let entries = seq.repeated("mapEntry", 1, Metadata::MAX_ENTRIES)?;
    seq.end()?;
    let mut metadata = Metadata::default();
    for (index, entry) in entries.into_iter().enumerate() {
        let entry_path = format!("{path}/mapEntry[{}]", index + 1);
        let mut pair = entry.sequence(&entry_path)?;
        let key = text(pair.text("key")?, &pair.path_of("key"))?;
        let value = text(pair.text("value")?, &pair.path_of("value"))?;
        pair.end()?;
        metadata.insert(key, value).map_err(|e| syntax(&entry_path, e))?;
    }
    Ok(metadata)
}

/// The leaves of the base64 XML of `datiSpecificiServizioRequest`, by snake-case name.
fn service_data(encoded: &str, path: &str) -> Result<BTreeMap<String, String>, Bad> {
    let compact: String = encoded.split_whitespace().collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| syntax(path, "not base64"))?;
    let document = String::from_utf8(bytes).map_err(|_| syntax(path, "the decoded data is not UTF-8"))?;
    let root = xml::parse(&document).map_err(|e| Bad {
        fault: FaultCode::SintassiExtraXsd,
        description: format!("{path}: {}", e.0),
    })?;
    let mut values = BTreeMap::new();
    collect_leaves(&root, &mut values);
    Ok(values)
}

fn collect_leaves(element: &Element, values: &mut BTreeMap<String, String>) {
    if element.children.is_empty() {
        values.insert(snake_case(&element.name), element.value().to_owned());
    }
    for child in &element.children {
        collect_leaves(child, values);
    }
}

fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (index, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if index > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c == '-' {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_names() {
        assert_eq!(snake_case("annoValidita"), "anno_validita");
        assert_eq!(snake_case("codiceFiscale"), "codice_fiscale");
        assert_eq!(snake_case("tipologia"), "tipologia");
    }

    #[test]
    fn amounts() {
        assert_eq!(amount_or_zero("0.00", "x").unwrap(), 0);
        assert_eq!(amount_or_zero("245.70", "x").unwrap(), 24_570);
        for bad in ["245.7", "245", ".70", "-1.00", "1,00", "1000000000.00", "1.000"] {
            assert!(amount_or_zero(bad, "x").is_err(), "{bad}");
        }
        assert!(amount("0.00", "x").is_err());
    }
}
