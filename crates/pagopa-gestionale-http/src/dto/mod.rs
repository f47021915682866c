//! The JSON bodies of the contract (`docs/gestionale-http.md`) and their mapping onto the domain.
//!
//! The DTOs hold plain JSON types (strings, integer cents) so that a bad value is reported with
//! the path of its field ([`MappingError`]) instead of a bare serde message, and so that the
//! gestionale side of the contract (a simulator, a test double, a Rust back office) can use the
//! same types. Every DTO maps both ways: `from_…` builds it from the domain, `to_…` checks it and
//! builds the domain value.
//!
//! Conventions of every body: names in `camelCase`; amounts in integer euro cents; dates
//! `YYYY-MM-DD`; instants RFC 3339; optional values may be absent or `null`, and an optional text
//! that is blank counts as absent; unknown members are ignored.

mod payment;
mod position;
mod pricing;

use std::fmt::Display;
use std::str::FromStr;

use pagopa_domain::ports::GestionaleError;
use pagopa_domain::{
    AmountCents, EnteId, Iban, Metadata, MetadataEntry, StampRequest, Text, Transfer, TransferAccount,
};
pub use payment::{CancellationNotificationDto, ExpiryNotificationDto, PaymentNotificationDto};
pub use position::{DebtorDto, InstalmentDto, OptionDto, PositionDto, PositionsDto};
pub use pricing::{PricingRequestDto, QuoteDto, RefusalDto};

/// The most transfers a payment option (or a quote) may have.
const MAX_TRANSFERS: usize = 5;

/// Why a body does not map onto the domain: where (a JSON path such as
/// `positions[0].options[1].transfers[0].iban`) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct MappingError {
    /// The JSON path of the offending member.
    pub path: String,
    /// What is wrong with it.
    pub problem: String,
}

impl MappingError {
    /// An error at `path`.
    pub fn new(path: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            problem: problem.into(),
        }
    }
}

impl From<MappingError> for GestionaleError {
    fn from(error: MappingError) -> Self {
        GestionaleError::Protocol(error.to_string())
    }
}

/// Parses a required value at `path`.
fn parse<T>(path: &str, raw: &str) -> Result<T, MappingError>
where
    T: FromStr,
    T::Err: Display,
{
    raw.parse().map_err(|e: T::Err| MappingError::new(path, e.to_string()))
}

/// Parses an optional value at `path`; absent or blank is `None`.
fn parse_optional<T>(path: &str, raw: Option<&str>) -> Result<Option<T>, MappingError>
where
    T: FromStr,
    T::Err: Display,
{
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        Some(raw) => parse(path, raw).map(Some),
        None => Ok(None),
    }
}

/// An amount of integer cents at `path`.
fn amount(path: &str, cents: u64) -> Result<AmountCents, MappingError> {
    AmountCents::new(cents).map_err(|e| MappingError::new(path, format!("{e} (got {cents} cents)")))
}

/// One metadata entry: `{"key": "…", "value": "…"}`, each at most 140 characters.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MetadataEntryDto {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// The DTO form of a metadata map.
fn metadata_to_dto(metadata: &Metadata) -> Vec<MetadataEntryDto> {
    metadata
        .entries()
        .iter()
        .map(|e| MetadataEntryDto {
            key: e.key.to_string(),
            value: e.value.to_string(),
        })
        .collect()
}

/// The metadata map of `entries` at `path` (at most 15 entries).
fn metadata_from_dto(path: &str, entries: &[MetadataEntryDto]) -> Result<Metadata, MappingError> {
    let entries = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            Ok(MetadataEntry {
                key: parse(&format!("{path}[{i}].key"), &e.key)?,
                value: parse(&format!("{path}[{i}].value"), &e.value)?,
            })
        })
        .collect::<Result<Vec<_>, MappingError>>()?;
    Metadata::try_from(entries).map_err(|e| MappingError::new(path, e.to_string()))
}

/// A digital revenue stamp (marca da bollo digitale) in place of an account.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StampDto {
    /// Base64 of the SHA-256 of the document the stamp is for (at most 72 characters).
    pub document_hash: String,
    /// The stamp type: `01`.
    pub stamp_type: String,
    /// The payer's province of residence, two upper-case letters (`RM`).
    pub province: String,
}

/// A transfer (trasferimento): a share of an amount credited to one Ente's account, or a digital
/// stamp. An option or a quote has 1 to 5 of them, adding up to its amount; the first credits
/// the Ente that owns the position.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferDto {
    /// 1, 2, … in order; when absent, the transfer's place in the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u8>,
    /// The fiscal code of the Ente credited; when absent, the Ente of the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ente: Option<String>,
    /// That Ente's name, when it is not the position's owner (at most 140 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    /// The share, in integer euro cents (at least 1).
    pub amount: u64,
    /// The IBAN credited; exactly one of `iban` and `stamp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iban: Option<String>,
    /// A Poste Italiane IBAN of the same Ente accepted instead of `iban` (postal payment slips).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_iban: Option<String>,
    /// A digital stamp instead of an account; exactly one of `iban` and `stamp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stamp: Option<StampDto>,
    /// The remittance text (causale), at most 140 characters.
    pub remittance: String,
    /// The pagoPA taxonomy code (`9/0101101IM/` or `0101101IM`).
    pub category: String,
    /// Metadata echoed in the receipt (at most 15 entries).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metadata: Vec<MetadataEntryDto>,
}

impl TransferDto {
    /// The DTO of a domain transfer.
    pub fn from_transfer(transfer: &Transfer) -> Self {
        let (iban, postal_iban, stamp) = match &transfer.account {
            TransferAccount::Iban {
                iban,
                postal_alternative,
            } => (
                Some(iban.to_string()),
                postal_alternative.as_ref().map(Iban::to_string),
                None,
            ),
            TransferAccount::Stamp(stamp) => (
                None,
                None,
                Some(StampDto {
                    document_hash: stamp.document_hash.to_string(),
                    stamp_type: stamp.stamp_type.to_string(),
                    province: stamp.province.to_string(),
                }),
            ),
        };
        Self {
            id: Some(transfer.id),
            ente: Some(transfer.ente.to_string()),
            company_name: transfer.company_name.as_ref().map(Text::to_string),
            amount: transfer.amount.cents(),
            iban,
            postal_iban,
            stamp,
            remittance: transfer.remittance.to_string(),
            category: transfer.category.to_string(),
            metadata: metadata_to_dto(&transfer.metadata),
        }
    }

    /// The domain transfer at `path`, the `index`-th (0-based) of its list; `owner` is the Ente
    /// of the call, credited when `ente` is absent.
    fn to_transfer(&self, path: &str, index: usize, owner: &EnteId) -> Result<Transfer, MappingError> {
        let expected_id = index + 1;
        let id = match self.id {
            Some(id) if usize::from(id) == expected_id => id,
            Some(id) => {
                return Err(MappingError::new(
                    format!("{path}.id"),
                    format!("transfers are numbered 1, 2, … in order: expected {expected_id}, got {id}"),
                ));
            }
            // At most MAX_TRANSFERS (5) transfers reach here, so the id fits in a u8.
            None => u8::try_from(expected_id).map_err(|_| MappingError::new(path, "too many transfers"))?,
        };
        let ente = parse_optional(&format!("{path}.ente"), self.ente.as_deref())?.unwrap_or_else(|| owner.clone());
        let account = match (&self.iban, &self.stamp) {
            (Some(iban), None) => TransferAccount::Iban {
                iban: parse(&format!("{path}.iban"), iban)?,
                postal_alternative: match parse_optional::<Iban>(
                    &format!("{path}.postalIban"),
                    self.postal_iban.as_deref(),
                )? {
                    Some(postal) if !postal.is_italian_postal() => {
                        return Err(MappingError::new(
                            format!("{path}.postalIban"),
                            "not a Poste Italiane (ABI 07601) account",
                        ));
                    }
                    other => other,
                },
            },
            (None, Some(stamp)) => {
                if self.postal_iban.as_deref().is_some_and(|p| !p.trim().is_empty()) {
                    return Err(MappingError::new(
                        format!("{path}.postalIban"),
                        "a stamp transfer has no account",
                    ));
                }
                TransferAccount::Stamp(StampRequest {
                    document_hash: parse(&format!("{path}.stamp.documentHash"), &stamp.document_hash)?,
                    stamp_type: parse(&format!("{path}.stamp.stampType"), &stamp.stamp_type)?,
                    province: parse(&format!("{path}.stamp.province"), &stamp.province)?,
                })
            }
            (Some(_), Some(_)) => return Err(MappingError::new(path, "has both an iban and a stamp")),
            (None, None) => return Err(MappingError::new(path, "has neither an iban nor a stamp")),
        };
        Ok(Transfer {
            id,
            ente,
            company_name: parse_optional(&format!("{path}.companyName"), self.company_name.as_deref())?,
            amount: amount(&format!("{path}.amount"), self.amount)?,
            account,
            remittance: parse(&format!("{path}.remittance"), &self.remittance)?,
            category: parse(&format!("{path}.category"), &self.category)?,
            metadata: metadata_from_dto(&format!("{path}.metadata"), &self.metadata)?,
        })
    }
}

/// The transfers of the list at `list` (its JSON path) of an amount owed to `owner`: 1 to 5,
/// numbered in order, the first to `owner`, adding up to `total`.
fn transfers_from_dto(
    list: &str,
    owner: &EnteId,
    total: AmountCents,
    dtos: &[TransferDto],
) -> Result<Vec<Transfer>, MappingError> {
    if !(1..=MAX_TRANSFERS).contains(&dtos.len()) {
        return Err(MappingError::new(
            list,
            format!("1 to {MAX_TRANSFERS} transfers are needed, not {}", dtos.len()),
        ));
    }
    let transfers = dtos
        .iter()
        .enumerate()
        .map(|(i, dto)| dto.to_transfer(&format!("{list}[{i}]"), i, owner))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(first) = transfers.first()
        && &first.ente != owner
    {
        return Err(MappingError::new(
            format!("{list}[0].ente"),
            format!("the first transfer must credit Ente {owner} itself, not {}", first.ente),
        ));
    }
    let sum = transfers
        .iter()
        .fold(0u64, |acc, t| acc.saturating_add(t.amount.cents()));
    if sum != total.cents() {
        return Err(MappingError::new(
            list,
            format!(
                "the transfers add up to {sum} cents, the amount is {} cents",
                total.cents()
            ),
        ));
    }
    Ok(transfers)
}

#[cfg(test)]
mod tests;
