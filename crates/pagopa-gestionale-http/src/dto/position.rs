//! The answer of `GET …/debtors/{fiscalCode}/positions`: the debt positions the gestionale holds.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use pagopa_domain::{
    DebtPosition, Ente, EnteId, FiscalCode, Instalment, Origin, PaymentOption, PositionDraft, Subject, SubjectId, Text,
};

use super::{
    MappingError, MetadataEntryDto, TransferDto, amount, metadata_from_dto, metadata_to_dto, parse, parse_optional,
    transfers_from_dto,
};

/// The body of a `200` answer: `{"positions": [ … ]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PositionsDto {
    /// The debtor's positions at the Ente; may be empty.
    pub positions: Vec<PositionDto>,
}

/// A debt position (posizione debitoria) the gestionale holds: a pagamento atteso, published
/// (payable) as soon as it is received.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionDto {
    /// The gestionale's id of the position (IUPD): letters, digits, `.`, `_`, `-`, at most 50;
    /// unique within the Ente, stable across calls.
    pub iupd: String,
    /// What it is for (at most 140 characters).
    pub description: String,
    /// Who owes: the debtor asked about.
    pub debtor: DebtorDto,
    /// Whether the position stops being payable after its options' due dates (default `false`:
    /// late payment accepted).
    #[serde(default)]
    pub expires_after_due_date: bool,
    /// Not payable before this instant (RFC 3339), if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// Metadata echoed in the receipt (at most 15 entries).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metadata: Vec<MetadataEntryDto>,
    /// The single solution and/or the instalments (1 to 100), each with its own notice number.
    pub options: Vec<OptionDto>,
}

/// The debtor of a position (pagoPA `ctSubject`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DebtorDto {
    /// The fiscal code (16 characters for a person, 11 digits for an entity).
    pub fiscal_code: String,
    /// Name and surname, or company name (at most 70 characters).
    pub full_name: String,
    /// Street (at most 70 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_name: Option<String>,
    /// Civic number (at most 16 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub civic_number: Option<String>,
    /// Postal code (at most 16 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// City (at most 35 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Province or region (at most 35 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    /// ISO 3166 two-letter country code, upper case (`IT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The place of an instalment (rata) in its plan: `{"number": 1, "of": 3}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InstalmentDto {
    /// 1-based number of the instalment.
    pub number: u8,
    /// How many instalments the plan has.
    pub of: u8,
}

/// One way to pay a position: the single solution (no `instalment`) or one instalment.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OptionDto {
    /// The 18-digit notice number (codice avviso), in the Ente's layout.
    pub notice_number: String,
    /// The amount due, in integer euro cents: the sum of the transfers.
    pub amount: u64,
    /// What it is for (at most 140 characters).
    pub description: String,
    /// The due date, `YYYY-MM-DD`.
    pub due_date: String,
    /// The instalment's place in its plan; absent for the single solution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instalment: Option<InstalmentDto>,
    /// 1 to 5 transfers.
    pub transfers: Vec<TransferDto>,
    /// Metadata echoed in the receipt (at most 15 entries).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metadata: Vec<MetadataEntryDto>,
}

impl PositionsDto {
    /// The body listing `drafts`, as a gestionale would answer.
    pub fn from_drafts<'a>(drafts: impl IntoIterator<Item = &'a PositionDraft>) -> Self {
        Self {
            positions: drafts.into_iter().map(PositionDto::from_draft).collect(),
        }
    }

    /// The drafts of `debtor`'s positions at `ente`, each checked as the domain will check it
    /// (transfers, notice layout, instalment plan). Any problem makes the whole answer invalid:
    /// a position of another debtor, an iupd twice, a value that does not parse.
    pub fn to_drafts(&self, ente: &Ente, debtor: &FiscalCode) -> Result<Vec<PositionDraft>, MappingError> {
        let mut seen = BTreeSet::new();
        let mut notices = BTreeSet::new();
        self.positions
            .iter()
            .enumerate()
            .map(|(i, dto)| {
                let path = format!("positions[{i}]");
                let draft = dto.to_draft(&path, &ente.id)?;
                if draft.debtor.id.fiscal_code() != Some(debtor) {
                    return Err(MappingError::new(
                        format!("{path}.debtor.fiscalCode"),
                        format!("the position is not of the debtor asked about ({})", debtor.masked()),
                    ));
                }
                if !seen.insert(draft.iupd.clone()) {
                    return Err(MappingError::new(
                        format!("{path}.iupd"),
                        format!("iupd {} appears twice", draft.iupd),
                    ));
                }
                if let Some(j) = draft
                    .options
                    .iter()
                    .position(|o| !notices.insert(o.notice_number.clone()))
                {
                    return Err(MappingError::new(
                        format!("{path}.options[{j}].noticeNumber"),
                        format!("notice {} appears twice", draft.options[j].notice_number),
                    ));
                }
                DebtPosition::create(&ente.id, ente.notice_layout, draft.clone(), DateTime::<Utc>::UNIX_EPOCH)
                    .map_err(|e| MappingError::new(format!("{path} (iupd {})", draft.iupd), e.to_string()))?;
                Ok(draft)
            })
            .collect()
    }
}

impl PositionDto {
    /// The DTO of a draft. Origin and `publish` are not part of the contract: what the gestionale
    /// answers is always an expected, published position.
    pub fn from_draft(draft: &PositionDraft) -> Self {
        Self {
            iupd: draft.iupd.to_string(),
            description: draft.description.to_string(),
            debtor: DebtorDto::from_subject(&draft.debtor),
            expires_after_due_date: draft.expires_after_due_date,
            valid_from: draft
                .valid_from
                .map(|at| at.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            metadata: metadata_to_dto(&draft.metadata),
            options: draft.options.iter().map(OptionDto::from_option).collect(),
        }
    }

    /// The draft at `path` of a position owned by `ente`: origin expected, to be published. Checks
    /// each value and each option's transfers; [`PositionsDto::to_drafts`] checks the rest.
    pub fn to_draft(&self, path: &str, ente: &EnteId) -> Result<PositionDraft, MappingError> {
        let valid_from = match self.valid_from.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            Some(raw) => Some(
                DateTime::parse_from_rfc3339(raw)
                    .map_err(|e| {
                        MappingError::new(
                            format!("{path}.validFrom"),
                            format!("not an RFC 3339 instant ({e}): {raw:?}"),
                        )
                    })?
                    .with_timezone(&Utc),
            ),
            None => None,
        };
        if self.options.is_empty() {
            return Err(MappingError::new(
                format!("{path}.options"),
                "a position needs at least one option",
            ));
        }
        Ok(PositionDraft {
            iupd: parse(&format!("{path}.iupd"), &self.iupd)?,
            origin: Origin::Expected,
            debtor: self.debtor.to_subject(&format!("{path}.debtor"))?,
            description: parse(&format!("{path}.description"), &self.description)?,
            options: self
                .options
                .iter()
                .enumerate()
                .map(|(i, option)| option.to_option(&format!("{path}.options[{i}]"), ente))
                .collect::<Result<_, _>>()?,
            expires_after_due_date: self.expires_after_due_date,
            valid_from,
            metadata: metadata_from_dto(&format!("{path}.metadata"), &self.metadata)?,
            publish: true,
        })
    }
}

impl DebtorDto {
    /// The DTO of a subject (`ANONIMO` as the fiscal code of an anonymous one).
    pub fn from_subject(subject: &Subject) -> Self {
        Self {
            fiscal_code: subject.id.value().to_owned(),
            full_name: subject.full_name.to_string(),
            street_name: subject.street_name.as_ref().map(Text::to_string),
            civic_number: subject.civic_number.as_ref().map(Text::to_string),
            postal_code: subject.postal_code.as_ref().map(Text::to_string),
            city: subject.city.as_ref().map(Text::to_string),
            province: subject.province.as_ref().map(Text::to_string),
            country: subject.country.as_ref().map(ToString::to_string),
            email: subject.email.as_ref().map(ToString::to_string),
        }
    }

    /// The subject at `path`; the fiscal code is required (no `ANONIMO`).
    pub fn to_subject(&self, path: &str) -> Result<Subject, MappingError> {
        let field = |name: &str| format!("{path}.{name}");
        Ok(Subject {
            id: SubjectId::FiscalCode(parse::<FiscalCode>(&field("fiscalCode"), self.fiscal_code.trim())?),
            full_name: parse(&field("fullName"), &self.full_name)?,
            street_name: parse_optional(&field("streetName"), self.street_name.as_deref())?,
            civic_number: parse_optional(&field("civicNumber"), self.civic_number.as_deref())?,
            postal_code: parse_optional(&field("postalCode"), self.postal_code.as_deref())?,
            city: parse_optional(&field("city"), self.city.as_deref())?,
            province: parse_optional(&field("province"), self.province.as_deref())?,
            country: parse_optional(&field("country"), self.country.as_deref())?,
            email: parse_optional(&field("email"), self.email.as_deref())?,
        })
    }
}

impl OptionDto {
    /// The DTO of a payment option (its payment, if any, is not part of the contract).
    pub fn from_option(option: &PaymentOption) -> Self {
        Self {
            notice_number: option.notice_number.to_string(),
            amount: option.amount.cents(),
            description: option.description.to_string(),
            due_date: option.due_date.format("%Y-%m-%d").to_string(),
            instalment: option.instalment.map(|i| InstalmentDto {
                number: i.number,
                of: i.of,
            }),
            transfers: option.transfers.iter().map(TransferDto::from_transfer).collect(),
            metadata: metadata_to_dto(&option.metadata),
        }
    }

    /// The unpaid option at `path` of a position owned by `ente`.
    pub fn to_option(&self, path: &str, ente: &EnteId) -> Result<PaymentOption, MappingError> {
        let total = amount(&format!("{path}.amount"), self.amount)?;
        let due_date = NaiveDate::parse_from_str(self.due_date.trim(), "%Y-%m-%d").map_err(|_| {
            MappingError::new(
                format!("{path}.dueDate"),
                format!("not a date (YYYY-MM-DD): {:?}", self.due_date),
            )
        })?;
        let instalment = match self.instalment {
            Some(InstalmentDto { number, of }) if number == 0 || number > of => {
                return Err(MappingError::new(
                    format!("{path}.instalment"),
                    format!("instalment {number} of {of}: the number must be 1 to {of}"),
                ));
            }
            Some(InstalmentDto { number, of }) => Some(Instalment { number, of }),
            None => None,
        };
        Ok(PaymentOption {
            notice_number: parse(&format!("{path}.noticeNumber"), self.notice_number.trim())?,
            amount: total,
            description: parse(&format!("{path}.description"), &self.description)?,
            due_date,
            instalment,
            transfers: transfers_from_dto(&format!("{path}.transfers"), ente, total, &self.transfers)?,
            metadata: metadata_from_dto(&format!("{path}.metadata"), &self.metadata)?,
            payment: None,
        })
    }
}
