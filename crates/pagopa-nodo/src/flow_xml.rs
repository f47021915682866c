//! Reconciliation flows as XML: the `FlussoRiversamento` document (`FlussoRiversamento_1_0_4.xsd`,
//! namespace [`FLUSSO_NS`], elements qualified) read into a [`FlowRevision`] and written back.
//!
//! [`decode`] is strict, as the schema is: every element in its order and namespace, nothing
//! unknown, each value of its simple type and facets; an error names the element
//! (`FlussoRiversamento/datiSingoliPagamenti[2]/singoloImportoPagato: …`). What it takes:
//!
//! - `identificativoFlusso` → [`FlowKey::flow_id`]; `istitutoMittente/identificativoUnivocoMittente/
//!   codiceIdentificativoUnivoco` → [`FlowKey::psp`]; `istitutoRicevente/identificativoUnivocoRicevente/
//!   codiceIdentificativoUnivoco` (type `G`) → [`FlowKey::ente`], an 11-digit fiscal code;
//! - `dataOraFlusso` (an `xsd:dateTime`; without an offset it is Italian time) → `flow_date`;
//! - `identificativoUnivocoRegolamento`, `dataRegolamento`, `codiceBicBancaDiRiversamento`,
//!   `denominazioneMittente` (the PSP's name), `numeroTotalePagamenti`;
//! - `importoTotalePagamenti` and each `singoloImportoPagato` (`\d+\.\d{2}`) → exact cents, no
//!   floating point;
//! - each `datiSingoliPagamenti` → a [`FlowLine`], its index its place in the document from 1,
//!   `codiceEsitoSingoloPagamento` 0, 3, 4, 8 or 9 ([`LineOutcome`]). The schema writes every
//!   amount without a sign; a revoked payment (3) is negative in the domain, so its amount is
//!   negated. `denominazioneRicevente` is checked and not kept.
//!
//! The XML carries no revision: the flow is revision 1. The document may be at most
//! [`MAX_DOCUMENT_BYTES`], UTF-8, without a DOCTYPE (see [`crate::xml::parse`]).
//!
//! [`encode`] writes the document back, valid against the schema for any flow [`decode`] gives
//! (see its documentation for what other flows need).

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use pagopa_domain::model::reconciliation::MAX_FLOW_LINES;
use pagopa_domain::model::{FlowError, FlowKey, FlowLine, FlowRevision, LineOutcome};

use crate::soap::time;
use crate::xml::{self, Element, Sequence, XmlError, XmlWriter};

/// The namespace of `FlussoRiversamento`.
pub const FLUSSO_NS: &str = "http://www.digitpa.gov.it/schemas/2011/Pagamenti/";

/// The largest document [`decode`] reads: 64 MiB, about 150 000 payments.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024 * 1024;

/// The root element.
const ROOT: &str = "FlussoRiversamento";

/// The elements a flow has besides its payments (with room to spare), and per payment.
const HEADER_ELEMENTS: usize = 32;
const ELEMENTS_PER_LINE: usize = 7;

/// The largest amount the schema allows, in cents (999999999.99).
const MAX_AMOUNT_CENTS: u64 = 99_999_999_999;

/// Why a document is not a flow.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FlowXmlError {
    /// Longer than [`MAX_DOCUMENT_BYTES`].
    #[error("the flow document is {size} bytes, more than the {max} taken")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The cap.
        max: usize,
    },
    /// Not UTF-8.
    #[error("the flow document is not UTF-8 (byte {valid_up_to} is not)")]
    NotUtf8 {
        /// Where the first bad byte is.
        valid_up_to: usize,
    },
    /// Not well-formed XML, a DOCTYPE, too many elements.
    #[error("the flow document is not XML that can be read: {0}")]
    Malformed(String),
    /// Well-formed, not of the schema: the message starts with the element's path.
    #[error("not a valid FlussoRiversamento: {0}")]
    Schema(String),
    /// Of the schema, not a flow the domain takes ([`FlowRevision::check`]).
    #[error(transparent)]
    Flow(FlowError),
}

impl From<FlowXmlError> for FlowError {
    fn from(error: FlowXmlError) -> Self {
        match error {
            FlowXmlError::Flow(error) => error,
            other => FlowError::Document(other.to_string()),
        }
    }
}

impl From<XmlError> for FlowXmlError {
    fn from(error: XmlError) -> Self {
        Self::Schema(error.0)
    }
}

fn invalid(path: &str, problem: impl std::fmt::Display) -> FlowXmlError {
    FlowXmlError::Schema(format!("{path}: {problem}"))
}

/// Reads a `FlussoRiversamento` document (see the module documentation).
pub fn decode(document: &[u8]) -> Result<FlowRevision, FlowXmlError> {
    if document.len() > MAX_DOCUMENT_BYTES {
        return Err(FlowXmlError::TooLarge {
            size: document.len(),
            max: MAX_DOCUMENT_BYTES,
        });
    }
    let text = std::str::from_utf8(document).map_err(|e| FlowXmlError::NotUtf8 {
        valid_up_to: e.valid_up_to(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let max_elements = HEADER_ELEMENTS + ELEMENTS_PER_LINE * MAX_FLOW_LINES;
    let root = xml::parse_with_max_elements(text, max_elements).map_err(|e| FlowXmlError::Malformed(e.0))?;
    if root.name != ROOT || root.namespace.as_deref() != Some(FLUSSO_NS) {
        let namespace = root.namespace.as_deref().unwrap_or("no namespace");
        return Err(FlowXmlError::Schema(format!(
            "the root element is <{}> in {namespace}, not <{ROOT}> in {FLUSSO_NS}",
            root.name
        )));
    }
    let flow = flow(&root)?;
    flow.check().map_err(FlowXmlError::Flow)?;
    Ok(flow)
}

fn flow(root: &Element) -> Result<FlowRevision, FlowXmlError> {
    let mut seq = root.sequence_in(ROOT, FLUSSO_NS)?;
    let version = seq.text("versioneOggetto")?;
    if !matches!(version, "1.0" | "1.1") {
        return Err(invalid(
            &seq.path_of("versioneOggetto"),
            format!("{version:?} is not 1.0 or 1.1"),
        ));
    }
    let path = seq.path_of("identificativoFlusso");
    let flow_id = seq.text("identificativoFlusso")?;
    if flow_id.is_empty()
        || flow_id.len() > 35
        || !flow_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
    {
        return Err(invalid(
            &path,
            format!("{flow_id:?} is not 1 to 35 letters, digits, '-' or '_'"),
        ));
    }
    let flow_id = flow_id.parse().map_err(|e| invalid(&path, e))?;
    let flow_date = date_time(&mut seq, "dataOraFlusso")?;
    let regulation = text(&mut seq, "identificativoUnivocoRegolamento", 1, 35)?.to_owned();
    let regulation_date = date(&mut seq, "dataRegolamento")?;

    let path = seq.path_of("istitutoMittente");
    let sender = seq.required("istitutoMittente")?;
    let mut sender_seq = sender.sequence_in(&path, FLUSSO_NS)?;
    let psp = identifier(&mut sender_seq, "identificativoUnivocoMittente", &["G", "A", "B"])?;
    let psp_path = format!("{path}/identificativoUnivocoMittente/codiceIdentificativoUnivoco");
    let psp = psp.parse().map_err(|e| invalid(&psp_path, e))?;
    let psp_name = optional_text(&mut sender_seq, "denominazioneMittente", 3, 70)?.map(str::to_owned);
    sender_seq.end()?;

    let bic = optional_text(&mut seq, "codiceBicBancaDiRiversamento", 1, 35)?.map(str::to_owned);

    let path = seq.path_of("istitutoRicevente");
    let receiver = seq.required("istitutoRicevente")?;
    let mut receiver_seq = receiver.sequence_in(&path, FLUSSO_NS)?;
    let ente = identifier(&mut receiver_seq, "identificativoUnivocoRicevente", &["G"])?;
    let ente_path = format!("{path}/identificativoUnivocoRicevente/codiceIdentificativoUnivoco");
    let ente = ente.parse().map_err(|e| invalid(&ente_path, e))?;
    optional_text(&mut receiver_seq, "denominazioneRicevente", 1, 140)?;
    receiver_seq.end()?;

    let path = seq.path_of("numeroTotalePagamenti");
    let declared_count = count(seq.text("numeroTotalePagamenti")?, &path)?;
    let path = seq.path_of("importoTotalePagamenti");
    let declared_total = amount(seq.text("importoTotalePagamenti")?, &path)?;
    let declared_total_cents = i64::try_from(declared_total).map_err(|e| invalid(&path, e))?;

    let path = seq.path_of("datiSingoliPagamenti");
    let payments = seq.repeated("datiSingoliPagamenti", 1, MAX_FLOW_LINES)?;
    seq.end()?;
    let lines = payments
        .iter()
        .enumerate()
        .map(|(n, payment)| line(payment, n + 1, &path))
        .collect::<Result<Vec<_>, _>>()?;

    Ok(FlowRevision {
        key: FlowKey { ente, psp, flow_id },
        revision: 1,
        psp_name,
        flow_date,
        published_at: None,
        regulation,
        regulation_date,
        bic,
        declared_count,
        declared_total_cents,
        lines,
    })
}

fn line(payment: &Element, number: usize, path: &str) -> Result<FlowLine, FlowXmlError> {
    let path = format!("{path}[{number}]");
    let index = u32::try_from(number).map_err(|e| invalid(&path, e))?;
    let mut seq = payment.sequence_in(&path, FLUSSO_NS)?;
    let iuv = text(&mut seq, "identificativoUnivocoVersamento", 1, 35)?.to_owned();
    let iur = text(&mut seq, "identificativoUnivocoRiscossione", 1, 35)?.to_owned();
    let transfer_path = seq.path_of("indiceDatiSingoloPagamento");
    let transfer_id = match seq.optional_text("indiceDatiSingoloPagamento")? {
        Some(raw) => Some(transfer_index(raw, &transfer_path)?),
        None => None,
    };
    let amount_path = seq.path_of("singoloImportoPagato");
    let cents = amount(seq.text("singoloImportoPagato")?, &amount_path)?;
    if cents == 0 {
        return Err(invalid(&amount_path, "the amount must be at least 0.01"));
    }
    let outcome_path = seq.path_of("codiceEsitoSingoloPagamento");
    let code = seq.text("codiceEsitoSingoloPagamento")?;
    let outcome = match code {
        "0" | "3" | "4" | "8" | "9" => code.parse().ok().and_then(LineOutcome::from_code),
        _ => None,
    }
    .ok_or_else(|| invalid(&outcome_path, format!("{code:?} is not 0, 3, 4, 8 or 9")))?;
    let outcome_date = date(&mut seq, "dataEsitoSingoloPagamento")?;
    seq.end()?;
    let cents = i64::try_from(cents).map_err(|e| invalid(&amount_path, e))?;
    let amount_cents = if outcome == LineOutcome::Revoked { -cents } else { cents };
    Ok(FlowLine {
        index,
        iuv,
        iur,
        transfer_id,
        amount_cents,
        outcome,
        outcome_date,
    })
}

/// `ctIdentificativoUnivoco` / `ctIdentificativoUnivocoPersonaG` inside `name`: the type among
/// `types`, and the code it returns.
fn identifier<'a>(seq: &mut Sequence<'a>, name: &str, types: &[&str]) -> Result<&'a str, FlowXmlError> {
    let path = seq.path_of(name);
    let element = seq.required(name)?;
    let mut inner = element.sequence_in(&path, FLUSSO_NS)?;
    let kind = inner.text("tipoIdentificativoUnivoco")?;
    if !types.contains(&kind) {
        return Err(invalid(
            &inner.path_of("tipoIdentificativoUnivoco"),
            format!("{kind:?} is not one of {}", types.join(", ")),
        ));
    }
    let code = text(&mut inner, "codiceIdentificativoUnivoco", 1, 35)?;
    inner.end()?;
    Ok(code)
}

/// A required string of `min..=max` characters.
fn text<'a>(seq: &mut Sequence<'a>, name: &str, min: usize, max: usize) -> Result<&'a str, FlowXmlError> {
    let raw = seq.text(name)?;
    length(raw, &seq.path_of(name), min, max)
}

fn optional_text<'a>(
    seq: &mut Sequence<'a>,
    name: &str,
    min: usize,
    max: usize,
) -> Result<Option<&'a str>, FlowXmlError> {
    match seq.optional_text(name)? {
        Some(raw) => length(raw, &seq.path_of(name), min, max).map(Some),
        None => Ok(None),
    }
}

fn length<'a>(raw: &'a str, path: &str, min: usize, max: usize) -> Result<&'a str, FlowXmlError> {
    let chars = raw.chars().count();
    if !(min..=max).contains(&chars) {
        return Err(invalid(
            path,
            format!("{min} to {max} characters required, found {chars}"),
        ));
    }
    Ok(raw)
}

fn date(seq: &mut Sequence<'_>, name: &str) -> Result<NaiveDate, FlowXmlError> {
    let raw = seq.text(name)?;
    time::parse_date(raw).ok_or_else(|| invalid(&seq.path_of(name), format!("{raw:?} is not a date (YYYY-MM-DD)")))
}

fn date_time(seq: &mut Sequence<'_>, name: &str) -> Result<DateTime<Utc>, FlowXmlError> {
    let raw = seq.text(name)?;
    let well_formed = raw.as_bytes().get(10) == Some(&b'T');
    well_formed
        .then(|| time::parse_date_time(raw))
        .flatten()
        .ok_or_else(|| {
            invalid(
                &seq.path_of(name),
                format!("{raw:?} is not a date and time (YYYY-MM-DDThh:mm:ss)"),
            )
        })
}

/// `stImporto` / `stImportoTotalePagamenti`: `\d+\.\d{2}`, at most 999999999.99. In cents.
fn amount(raw: &str, path: &str) -> Result<u64, FlowXmlError> {
    let bad = || {
        invalid(
            path,
            format!("{raw:?} is not an amount like 12.50 (at most 999999999.99)"),
        )
    };
    let (euros, cents) = raw.split_once('.').ok_or_else(bad)?;
    let significant = euros.trim_start_matches('0');
    if euros.is_empty()
        || significant.len() > 9
        || cents.len() != 2
        || !euros.bytes().chain(cents.bytes()).all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let euros: u64 = if significant.is_empty() {
        0
    } else {
        significant.parse().map_err(|_| bad())?
    };
    let cents: u64 = cents.parse().map_err(|_| bad())?;
    let total = euros * 100 + cents;
    if total > MAX_AMOUNT_CENTS {
        return Err(bad());
    }
    Ok(total)
}

/// `stNumeroTotalePagamenti`: an `xsd:decimal` without fraction, 1 to 15 digits, at least 1.
fn count(raw: &str, path: &str) -> Result<u64, FlowXmlError> {
    let bad = || {
        invalid(
            path,
            format!("{raw:?} is not a whole number from 1 (15 digits at most)"),
        )
    };
    let digits = raw.strip_prefix('+').unwrap_or(raw);
    let digits = match digits.split_once('.') {
        Some((whole, fraction)) if fraction.bytes().all(|b| b == b'0') => whole,
        Some(_) => return Err(bad()),
        None => digits,
    };
    let significant = digits.trim_start_matches('0');
    if digits.is_empty() || significant.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match significant.parse::<u64>() {
        Ok(count) if count >= 1 => Ok(count),
        _ => Err(bad()),
    }
}

/// `stIndice`: an `xsd:integer` from 1 to 5.
fn transfer_index(raw: &str, path: &str) -> Result<u8, FlowXmlError> {
    let digits = raw.strip_prefix('+').unwrap_or(raw);
    let significant = digits.trim_start_matches('0');
    match significant.parse::<u8>() {
        Ok(index @ 1..=5) if digits.bytes().all(|b| b.is_ascii_digit()) => Ok(index),
        _ => Err(invalid(path, format!("{raw:?} is not a whole number from 1 to 5"))),
    }
}

/// `cents` as `\d+\.\d{2}`, without a sign.
fn euros(cents: i64) -> String {
    let cents = cents.unsigned_abs();
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Writes `flow` as a `FlussoRiversamento` (version 1.0, namespace [`FLUSSO_NS`] as the default
/// namespace, `dataOraFlusso` in UTC with `Z`).
///
/// The document is valid against `FlussoRiversamento_1_0_4.xsd` for every flow [`decode`]
/// gives, and for any flow whose texts fit the schema (ids and the regulation of 1 to 35
/// characters, as those of the REST API do), with at least one line and a declared count from 1.
/// Amounts are written without a sign, as the schema asks (a revocation's negative amount as its
/// magnitude: its code says what it is). The PSP's name is written only when it has 3 to 70
/// characters, the BIC only when it has 1 to 35; the Ente's name, which the domain does not
/// keep, is not written.
pub fn encode(flow: &FlowRevision) -> String {
    let mut w = XmlWriter::with_capacity(1024 + 400 * flow.lines.len());
    let chars = |s: &str| s.chars().count();
    let psp_name = flow.psp_name.as_deref().filter(|name| (3..=70).contains(&chars(name)));
    let bic = flow.bic.as_deref().filter(|bic| (1..=35).contains(&chars(bic)));
    w.raw(r#"<?xml version="1.0" encoding="UTF-8"?>"#)
        .raw(&format!(r#"<{ROOT} xmlns="{FLUSSO_NS}">"#))
        .leaf("versioneOggetto", "1.0")
        .leaf("identificativoFlusso", &flow.key.flow_id)
        .leaf(
            "dataOraFlusso",
            flow.flow_date.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        )
        .leaf("identificativoUnivocoRegolamento", &flow.regulation)
        .leaf("dataRegolamento", flow.regulation_date)
        .open("istitutoMittente")
        .open("identificativoUnivocoMittente")
        .leaf("tipoIdentificativoUnivoco", "G")
        .leaf("codiceIdentificativoUnivoco", &flow.key.psp)
        .close("identificativoUnivocoMittente")
        .optional_leaf("denominazioneMittente", psp_name)
        .close("istitutoMittente")
        .optional_leaf("codiceBicBancaDiRiversamento", bic)
        .open("istitutoRicevente")
        .open("identificativoUnivocoRicevente")
        .leaf("tipoIdentificativoUnivoco", "G")
        .leaf("codiceIdentificativoUnivoco", &flow.key.ente)
        .close("identificativoUnivocoRicevente")
        .close("istitutoRicevente")
        .leaf("numeroTotalePagamenti", flow.declared_count)
        .leaf("importoTotalePagamenti", euros(flow.declared_total_cents));
    for line in &flow.lines {
        w.open("datiSingoliPagamenti")
            .leaf("identificativoUnivocoVersamento", &line.iuv)
            .leaf("identificativoUnivocoRiscossione", &line.iur)
            .optional_leaf("indiceDatiSingoloPagamento", line.transfer_id)
            .leaf("singoloImportoPagato", euros(line.amount_cents))
            .leaf("codiceEsitoSingoloPagamento", line.outcome.code())
            .leaf("dataEsitoSingoloPagamento", line.outcome_date)
            .close("datiSingoliPagamenti");
    }
    w.close(ROOT);
    w.finish()
}

#[cfg(test)]
mod tests;
