//! `POST …/pricing`: a spontaneous request to validate and price, the quote, and a refusal.

use std::collections::BTreeMap;

use pagopa_domain::ports::{GestionaleQuote, PricingRequest};
use pagopa_domain::{EnteId, FieldError, FiscalCode};

use super::{MappingError, TransferDto, amount, parse, parse_optional, transfers_from_dto};

/// The body we send: the catalogue service, who asks, and the form values as text (already
/// validated against the service's form). The Ente is in the URL.
///
/// ```json
/// {"service": "PASSO-CARRABILE", "debtor": "VRDGPP80A01B157X", "values": {"targa": "AB123CD"}}
/// ```
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PricingRequestDto {
    /// The code of the service in the Ente's catalogue.
    pub service: String,
    /// The fiscal code of who asks, or `null` when unknown (an anonymous request).
    #[serde(default)]
    pub debtor: Option<String>,
    /// The form values by field name, as text (numbers `12.5`, dates `YYYY-MM-DD`, booleans
    /// `true`/`false`).
    #[serde(default)]
    pub values: BTreeMap<String, String>,
}

impl PricingRequestDto {
    /// The body for `request`.
    pub fn from_request(request: &PricingRequest) -> Self {
        Self {
            service: request.service.to_string(),
            debtor: request.debtor.as_ref().map(FiscalCode::to_string),
            values: request.values.clone(),
        }
    }

    /// The request it carries for `ente` (the Ente of the URL), for the gestionale side.
    pub fn to_request(&self, ente: EnteId) -> Result<PricingRequest, MappingError> {
        Ok(PricingRequest {
            ente,
            service: parse("service", self.service.trim())?,
            debtor: parse_optional("debtor", self.debtor.as_deref())?,
            values: self.values.clone(),
        })
    }
}

/// The body of a `200` answer: the price, and optionally the description and the transfers of the
/// position to create (otherwise the service's own description and transfer templates apply).
///
/// ```json
/// {"amount": 5000, "description": "Passo carrabile AB123CD 2026"}
/// ```
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteDto {
    /// The amount, in integer euro cents (at least 1).
    pub amount: u64,
    /// A description for the position (at most 140 characters), if the gestionale has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// 1 to 5 transfers adding up to `amount`, the first to the Ente itself, if the gestionale
    /// decides them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfers: Option<Vec<TransferDto>>,
}

impl QuoteDto {
    /// The body of a quote, as a gestionale would answer.
    pub fn from_quote(quote: &GestionaleQuote) -> Self {
        Self {
            amount: quote.amount.cents(),
            description: quote.description.as_ref().map(ToString::to_string),
            transfers: quote
                .transfers
                .as_ref()
                .map(|transfers| transfers.iter().map(TransferDto::from_transfer).collect()),
        }
    }

    /// The quote for a request to `ente`, its transfers checked (count, numbering, first to
    /// `ente`, sum equal to the amount).
    pub fn to_quote(&self, ente: &EnteId) -> Result<GestionaleQuote, MappingError> {
        let total = amount("amount", self.amount)?;
        Ok(GestionaleQuote {
            amount: total,
            description: parse_optional("description", self.description.as_deref())?,
            transfers: match &self.transfers {
                // An empty list would mean "no way to credit the money": refused, as is any
                // other transfer count outside 1..=5.
                Some(transfers) => Some(transfers_from_dto("transfers", ente, total, transfers)?),
                None => None,
            },
        })
    }
}

/// The body of a refusal (`400`, `409`, `422`, …): why, for the citizen, and the problems with
/// single form fields, if any, in the domain's [`FieldError`] shape.
///
/// ```json
/// {"reason": "La targa non risulta registrata",
///  "fields": [{"field": "targa", "problem": "pattern"}]}
/// ```
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RefusalDto {
    /// Why, in words for the citizen.
    pub reason: String,
    /// Problems with single fields; may be empty.
    #[serde(default)]
    pub fields: Vec<FieldError>,
}
