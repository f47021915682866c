//! A catalogue service: its form, its amount rule and how the amount is split into transfers.

use super::{FieldKind, FieldName, FieldValue, Form, FormValues, Formula, FormulaError};
use crate::model::{Ente, Metadata, ServiceCode, StampRequest, Transfer, TransferAccount};
use crate::value::{AmountCents, AmountError, EnteId, Iban, Text, TransferCategory};

/// How a service's amount is found.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum AmountRule {
    /// Always the same amount.
    Fixed {
        /// The amount.
        amount: AmountCents,
    },
    /// An amount per value of one choice or text field.
    Table {
        /// The field the table is keyed by.
        field: FieldName,
        /// The prices.
        prices: Vec<PriceEntry>,
    },
    /// A formula over number and boolean fields, giving euro cents.
    Formula {
        /// The formula.
        formula: Formula,
    },
    /// The Ente's gestionale validates and prices each request.
    Gestionale,
}

/// One row of a price table.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PriceEntry {
    /// The field value.
    pub value: Text<70>,
    /// Its price.
    pub amount: AmountCents,
}

/// Which account a transfer of a spontaneous payment credits.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum AccountTemplate {
    /// The Ente's treasury account (with its postal account as the alternative, if any).
    EnteBank,
    /// The Ente's postal account.
    EntePostal,
    /// A given account.
    Iban {
        /// The account.
        iban: Iban,
        /// A postal alternative.
        postal_alternative: Option<Iban>,
    },
    /// A digital revenue stamp whose document hash and province come from form fields.
    Stamp {
        /// The field holding the base64 SHA-256 of the document.
        document_hash_field: FieldName,
        /// The field holding the payer's province.
        province_field: FieldName,
    },
}

/// Which part of the amount a transfer takes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Share {
    /// A fixed amount (a stamp's 16,00 EUR, a fixed fee).
    Fixed {
        /// The amount.
        amount: AmountCents,
    },
    /// What the fixed shares leave; exactly one transfer has it.
    Remainder,
}

/// A transfer of every payment of the service.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TransferTemplate {
    /// Another Ente credited, or `None` for the service's own Ente.
    pub ente: Option<EnteId>,
    /// That other Ente's name.
    pub company_name: Option<Text<140>>,
    /// The account.
    pub account: AccountTemplate,
    /// Taxonomy code.
    pub category: TransferCategory,
    /// Remittance text; `{field}` is replaced by the field's value.
    pub remittance: Text<140>,
    /// Which part of the amount.
    pub share: Share,
}

/// A service of an Ente's spontaneous catalogue.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SpontaneousService {
    /// The Ente offering it.
    pub ente: EnteId,
    /// Its code in the catalogue.
    pub code: ServiceCode,
    /// Its name.
    pub name: Text<140>,
    /// A longer explanation for the citizen.
    pub description: Option<Text<1000>>,
    /// The 5-character `idServizio` under which PSPs request it with `paDemandPaymentNotice`.
    pub demand_service_id: Option<Text<5>>,
    /// The form.
    pub form: Form,
    /// How it is priced.
    pub amount: AmountRule,
    /// How the amount is split (1..5 transfers, the first to the Ente itself).
    pub transfers: Vec<TransferTemplate>,
    /// The position's description; `{field}` is replaced by the field's value.
    pub payment_description: Text<140>,
    /// Days from the request to the due date of the notice created.
    pub due_in_days: u16,
    /// Whether citizens can request it now.
    pub active: bool,
}

/// Why a service definition is unusable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogueError {
    /// Two fields with one name.
    #[error("field '{0}' is defined twice")]
    DuplicateField(FieldName),
    /// A rule or template names a field the form lacks or of the wrong kind.
    #[error("'{field}' must be a {expected} field of the form")]
    FieldReference {
        /// The field.
        field: String,
        /// What kind it must be.
        expected: &'static str,
    },
    /// Not 1..5 transfer templates, or not exactly one remainder share.
    #[error("a service has 1 to 5 transfers, exactly one of which takes the remainder")]
    Transfers,
    /// The first transfer does not credit the service's own Ente.
    #[error("the first transfer must credit the service's own Ente")]
    PrimaryTransfer,
    /// Another Ente's transfer without an explicit account.
    #[error("a transfer to another Ente needs an explicit IBAN")]
    ForeignAccount,
    /// A postal template but the Ente has no postal account.
    #[error("the Ente has no postal account")]
    NoPostalAccount,
    /// An empty price table.
    #[error("the price table is empty")]
    EmptyTable,
}

/// Why a request cannot be priced.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PricingError {
    /// The table has no row for the value given.
    #[error("no price for '{value}' of field '{field}'")]
    NoPrice {
        /// The field.
        field: FieldName,
        /// Its value.
        value: String,
    },
    /// The formula failed.
    #[error(transparent)]
    Formula(#[from] FormulaError),
    /// The price is zero, negative or too large.
    #[error("the computed amount is not payable: {0}")]
    Amount(#[from] AmountError),
    /// The fixed shares take all of the amount or more.
    #[error("the fixed shares leave nothing for the remainder transfer")]
    SharesExceedAmount,
    /// A stamp field has no usable value.
    #[error("field '{0}' is needed for the digital stamp")]
    StampField(FieldName),
    /// The service is priced by the gestionale: ask it.
    #[error("this service is priced by the gestionale")]
    NeedsGestionale,
    /// The service definition is unusable.
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
}

/// Replaces every `{field}` in `template` with the field's value (empty when absent) and cuts the
/// result to `MAX` characters.
pub fn render_template<const MAX: usize>(template: &Text<MAX>, values: &FormValues) -> Text<MAX> {
    let mut out = String::new();
    let mut rest = template.as_str();
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                let value = values
                    .iter()
                    .find(|(k, _)| k.as_str() == name)
                    .map(|(_, v)| v.to_text());
                out.push_str(&value.unwrap_or_default());
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    Text::truncating(&out).unwrap_or_else(|| template.clone())
}

impl SpontaneousService {
    /// Checks the definition: unique field names, rules and templates that name fields of the
    /// right kind, 1..5 transfers with one remainder, the first to the Ente itself.
    pub fn validate(&self, ente: &Ente) -> Result<(), CatalogueError> {
        let mut names = std::collections::HashSet::new();
        for field in &self.form.fields {
            if !names.insert(&field.name) {
                return Err(CatalogueError::DuplicateField(field.name.clone()));
            }
        }
        let field_of =
            |name: &FieldName, expected: &'static str, ok: fn(&FieldKind) -> bool| match self.form.field(name.as_str())
            {
                Some(field) if ok(&field.kind) => Ok(()),
                _ => Err(CatalogueError::FieldReference {
                    field: name.to_string(),
                    expected,
                }),
            };
        match &self.amount {
            AmountRule::Table { field, prices } => {
                if prices.is_empty() {
                    return Err(CatalogueError::EmptyTable);
                }
                field_of(field, "choice or text", |k| {
                    matches!(k, FieldKind::Choice { .. } | FieldKind::Text { .. })
                })?;
            }
            AmountRule::Formula { formula } => {
                for name in formula.fields() {
                    field_of(name, "number or boolean", |k| {
                        matches!(k, FieldKind::Number { .. } | FieldKind::Boolean)
                    })?;
                }
            }
            AmountRule::Fixed { .. } | AmountRule::Gestionale => {}
        }
        let remainders = self.transfers.iter().filter(|t| t.share == Share::Remainder).count();
        if !(1..=5).contains(&self.transfers.len()) || remainders != 1 {
            return Err(CatalogueError::Transfers);
        }
        if self.transfers[0].ente.as_ref().is_some_and(|e| e != &ente.id) {
            return Err(CatalogueError::PrimaryTransfer);
        }
        for template in &self.transfers {
            let foreign = template.ente.as_ref().is_some_and(|e| e != &ente.id);
            match &template.account {
                AccountTemplate::EnteBank if foreign => return Err(CatalogueError::ForeignAccount),
                AccountTemplate::EntePostal if foreign => return Err(CatalogueError::ForeignAccount),
                AccountTemplate::EntePostal if ente.postal_iban.is_none() => {
                    return Err(CatalogueError::NoPostalAccount);
                }
                AccountTemplate::Stamp {
                    document_hash_field,
                    province_field,
                } => {
                    field_of(document_hash_field, "text", |k| matches!(k, FieldKind::Text { .. }))?;
                    field_of(province_field, "text or choice", |k| {
                        matches!(k, FieldKind::Text { .. } | FieldKind::Choice { .. })
                    })?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The amount of a request by the service's own rule. A gestionale-priced service answers
    /// [`PricingError::NeedsGestionale`].
    pub fn price(&self, values: &FormValues) -> Result<AmountCents, PricingError> {
        match &self.amount {
            AmountRule::Fixed { amount } => Ok(*amount),
            AmountRule::Table { field, prices } => {
                let value = values.get(field).map(FieldValue::to_text).unwrap_or_default();
                prices
                    .iter()
                    .find(|p| p.value.as_str() == value)
                    .map(|p| p.amount)
                    .ok_or(PricingError::NoPrice {
                        field: field.clone(),
                        value,
                    })
            }
            AmountRule::Formula { formula } => {
                let cents = formula.evaluate(values)?.round_to_integer();
                if cents <= 0 {
                    return Err(PricingError::Amount(AmountError::Zero));
                }
                Ok(AmountCents::new(
                    u64::try_from(cents).map_err(|_| AmountError::TooLarge)?,
                )?)
            }
            AmountRule::Gestionale => Err(PricingError::NeedsGestionale),
        }
    }

    /// Splits `amount` into the service's transfers.
    pub fn transfers_for(
        &self,
        ente: &Ente,
        amount: AmountCents,
        values: &FormValues,
    ) -> Result<Vec<Transfer>, PricingError> {
        let fixed: u64 = self
            .transfers
            .iter()
            .filter_map(|t| match t.share {
                Share::Fixed { amount } => Some(amount.cents()),
                Share::Remainder => None,
            })
            .sum();
        let remainder = amount
            .cents()
            .checked_sub(fixed)
            .filter(|r| *r > 0)
            .ok_or(PricingError::SharesExceedAmount)?;
        let mut out = Vec::with_capacity(self.transfers.len());
        for (index, template) in self.transfers.iter().enumerate() {
            let share = match template.share {
                Share::Fixed { amount } => amount,
                Share::Remainder => AmountCents::new(remainder)?,
            };
            let account = match &template.account {
                AccountTemplate::EnteBank => TransferAccount::Iban {
                    iban: ente.bank_iban.clone(),
                    postal_alternative: ente.postal_iban.clone(),
                },
                AccountTemplate::EntePostal => TransferAccount::Iban {
                    iban: ente.postal_iban.clone().ok_or(CatalogueError::NoPostalAccount)?,
                    postal_alternative: None,
                },
                AccountTemplate::Iban {
                    iban,
                    postal_alternative,
                } => TransferAccount::Iban {
                    iban: iban.clone(),
                    postal_alternative: postal_alternative.clone(),
                },
                AccountTemplate::Stamp {
                    document_hash_field,
                    province_field,
                } => {
                    let text = |name: &FieldName| values.get(name).map(FieldValue::to_text);
                    let document_hash = text(document_hash_field)
                        .and_then(|h| h.parse().ok())
                        .ok_or_else(|| PricingError::StampField(document_hash_field.clone()))?;
                    let province = text(province_field)
                        .and_then(|p| p.parse().ok())
                        .ok_or_else(|| PricingError::StampField(province_field.clone()))?;
                    let stamp_type = "01"
                        .parse()
                        .map_err(|_| PricingError::StampField(document_hash_field.clone()))?;
                    TransferAccount::Stamp(StampRequest {
                        document_hash,
                        stamp_type,
                        province,
                    })
                }
            };
            out.push(Transfer {
                // At most five templates, so the id fits in u8.
                id: (index + 1) as u8,
                ente: template.ente.clone().unwrap_or_else(|| ente.id.clone()),
                company_name: template.company_name.clone(),
                amount: share,
                account,
                remittance: render_template(&template.remittance, values),
                category: template.category.clone(),
                metadata: Metadata::default(),
            });
        }
        Ok(out)
    }
}
