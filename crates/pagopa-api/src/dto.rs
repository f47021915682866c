//! What the REST API sends and receives. Amounts travel as integer cents (`amount_cents`) and, for
//! display, in the Italian print form (`amount`).

use std::collections::BTreeMap;

use pagopa_domain::services::{NoticeState, NoticeSummary};
use pagopa_domain::{DebtPosition, Ente, FieldError, FieldProblem, SpontaneousService};

/// An Ente served here.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct EnteDto {
    /// Fiscal code.
    pub id: String,
    /// Name.
    pub name: String,
    /// Office, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub office_name: Option<String>,
}

impl From<&Ente> for EnteDto {
    fn from(ente: &Ente) -> Self {
        Self {
            id: ente.id.to_string(),
            name: ente.name.to_string(),
            office_name: ente.office_name.as_ref().map(ToString::to_string),
        }
    }
}

/// A catalogue service in a list.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ServiceSummaryDto {
    /// Code, for the detail and submission URLs.
    pub code: String,
    /// Name.
    pub name: String,
    /// Explanation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl From<&SpontaneousService> for ServiceSummaryDto {
    fn from(service: &SpontaneousService) -> Self {
        Self {
            code: service.code.to_string(),
            name: service.name.to_string(),
            description: service.description.as_ref().map(ToString::to_string),
        }
    }
}

/// A catalogue service with its form as JSON Schema.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ServiceDto {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Explanation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The amount in cents when it does not depend on the form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_amount_cents: Option<u64>,
    /// The form, as JSON Schema 2020-12.
    #[schema(value_type = Object)]
    pub form: serde_json::Value,
}

/// A spontaneous request.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpontaneousRequestDto {
    /// Field name → value (string, number or boolean; null or "" for an empty optional field).
    #[schema(value_type = Object)]
    pub values: BTreeMap<String, serde_json::Value>,
    /// Who pays, if known: fiscal code (16 characters with its check character, or 11 digits);
    /// with a citizen token it must be the citizen's.
    #[serde(default)]
    #[schema(pattern = "^([A-Za-z0-9]{16}|[0-9]{11})$")]
    pub payer_fiscal_code: Option<String>,
    /// Who pays, if known: full name.
    #[serde(default)]
    pub payer_name: Option<String>,
}

impl SpontaneousRequestDto {
    /// The values as the text the domain validates, or the fields whose JSON type is wrong.
    pub fn text_values(&self) -> Result<BTreeMap<String, String>, Vec<FieldError>> {
        let mut values = BTreeMap::new();
        let mut errors = Vec::new();
        for (name, value) in &self.values {
            let text = match value {
                serde_json::Value::Null => continue,
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::Number(n) => n.to_string(),
                _ => {
                    errors.push(FieldError {
                        field: name.clone(),
                        problem: FieldProblem::WrongType,
                    });
                    continue;
                }
            };
            values.insert(name.clone(), text);
        }
        if errors.is_empty() { Ok(values) } else { Err(errors) }
    }
}

/// A payment option as the citizen sees it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PaymentDto {
    /// The Ente.
    pub ente: String,
    /// The position id.
    pub iupd: String,
    /// The 18-digit notice number.
    pub notice_number: String,
    /// The notice number as printed (groups of four).
    pub notice_number_print: String,
    /// The IUV.
    pub iuv: String,
    /// Amount in cents.
    pub amount_cents: u64,
    /// Amount as printed (`1.234,50`).
    pub amount: String,
    /// Due date.
    pub due_date: String,
    /// What it is for.
    pub description: String,
}

impl PaymentDto {
    /// The first option of `position`.
    pub fn first_option(position: &DebtPosition) -> Option<Self> {
        let option = position.options.first()?;
        Some(Self {
            ente: position.ente.to_string(),
            iupd: position.iupd.to_string(),
            notice_number: option.notice_number.to_string(),
            notice_number_print: option.notice_number.to_print_form(),
            iuv: option.notice_number.iuv().to_string(),
            amount_cents: option.amount.cents(),
            amount: option.amount.to_italian(),
            due_date: option.due_date.to_string(),
            description: position.description.to_string(),
        })
    }
}

/// A notice as anyone holding it may see it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct NoticeDto {
    /// The Ente.
    pub ente: String,
    /// Its name.
    pub company_name: String,
    /// The notice number.
    pub notice_number: String,
    /// Amount in cents.
    pub amount_cents: u64,
    /// Amount as printed.
    pub amount: String,
    /// Due date.
    pub due_date: String,
    /// What it is for.
    pub description: String,
    /// `payable`, `paid`, `expired`, `cancelled` or `not_payable`.
    #[schema(value_type = String)]
    pub state: NoticeState,
}

impl From<NoticeSummary> for NoticeDto {
    fn from(notice: NoticeSummary) -> Self {
        Self {
            ente: notice.ente.to_string(),
            company_name: notice.company_name.to_string(),
            notice_number: notice.notice_number.to_string(),
            amount_cents: notice.amount.cents(),
            amount: notice.amount.to_italian(),
            due_date: notice.due_date.to_string(),
            description: notice.description.to_string(),
            state: notice.state,
        }
    }
}

/// One way to pay a position, as the citizen sees it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct OptionDto {
    /// The notice number.
    pub notice_number: String,
    /// As printed.
    pub notice_number_print: String,
    /// Amount in cents.
    pub amount_cents: u64,
    /// Amount as printed.
    pub amount: String,
    /// Due date.
    pub due_date: String,
    /// What it is for.
    pub description: String,
    /// `n` of `of` for an instalment; absent for the single solution.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<u8>>)]
    pub instalment: Option<(u8, u8)>,
    /// Paid already.
    pub paid: bool,
    /// Can be paid now.
    pub payable: bool,
}

/// A citizen's position.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PositionDto {
    /// The Ente.
    pub ente: String,
    /// The position id.
    pub iupd: String,
    /// What it is for.
    pub description: String,
    /// Status (`valid`, `partially_paid`, `paid`, …).
    pub status: &'static str,
    /// The single solution and/or instalments.
    pub options: Vec<OptionDto>,
}

impl PositionDto {
    /// The position as of `now`.
    pub fn new(position: &DebtPosition, now: chrono::DateTime<chrono::Utc>) -> Self {
        Self {
            ente: position.ente.to_string(),
            iupd: position.iupd.to_string(),
            description: position.description.to_string(),
            status: position.status.as_str(),
            options: position
                .options
                .iter()
                .map(|o| OptionDto {
                    notice_number: o.notice_number.to_string(),
                    notice_number_print: o.notice_number.to_print_form(),
                    amount_cents: o.amount.cents(),
                    amount: o.amount.to_italian(),
                    due_date: o.due_date.to_string(),
                    description: o.description.to_string(),
                    instalment: o.instalment.map(|i| (i.number, i.of)),
                    paid: o.is_paid(),
                    payable: position.payable_option(&o.notice_number, now).is_ok(),
                })
                .collect(),
        }
    }
}

/// A citizen's positions, and the Enti whose back office could not be asked just now.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct MyPositionsDto {
    /// Positions, by Ente and id.
    pub positions: Vec<PositionDto>,
    /// Enti whose positions may be out of date.
    pub stale_entes: Vec<String>,
}

/// A receipt as the citizen sees it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ReceiptDto {
    /// The receipt id (IUR).
    pub receipt_id: String,
    /// The Ente.
    pub ente: String,
    /// Its name.
    pub company_name: String,
    /// The notice paid.
    pub notice_number: String,
    /// Amount in cents.
    pub amount_cents: u64,
    /// Amount as printed.
    pub amount: String,
    /// When paid.
    pub paid_at: String,
    /// The PSP.
    pub psp: String,
    /// What was paid.
    pub description: String,
}

impl From<&pagopa_domain::StoredReceipt> for ReceiptDto {
    fn from(stored: &pagopa_domain::StoredReceipt) -> Self {
        let r = &stored.receipt;
        Self {
            receipt_id: r.receipt_id.to_string(),
            ente: r.ente.to_string(),
            company_name: r.company_name.to_string(),
            notice_number: r.notice_number.to_string(),
            amount_cents: r.amount.cents(),
            amount: r.amount.to_italian(),
            paid_at: r.paid_at().to_rfc3339(),
            psp: r.psp.company_name.to_string(),
            description: r.description.to_string(),
        }
    }
}

/// A notice to put in a cart.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartNoticeDto {
    /// The Ente's fiscal code.
    #[schema(pattern = "^[0-9]{11}$")]
    pub ente: String,
    /// The 18-digit notice number (its check digits are checked: 400 when wrong).
    #[schema(pattern = "^[0-3][0-9]{17}$")]
    pub notice_number: String,
}

/// Where the browser returns from Checkout (user experience only: the outcome comes from the
/// receipts, read with `GET /api/v1/carts/{id}`).
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnUrlsDto {
    /// After a successful payment.
    pub ok: String,
    /// After the payer cancelled.
    pub cancel: String,
    /// After an error.
    pub error: String,
    /// Checkout v2: outcome unknown after a timeout.
    #[serde(default)]
    pub waiting: Option<String>,
}

/// A request to pay 1..5 notices through pagoPA Checkout.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartCartDto {
    /// 1..5 distinct notices.
    #[schema(min_items = 1, max_items = 5)]
    pub notices: Vec<CartNoticeDto>,
    /// Where Checkout sends the receipt, if given.
    #[serde(default)]
    pub email: Option<String>,
    /// Where the browser returns.
    pub return_urls: ReturnUrlsDto,
}

/// A cart and where it stands.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CartDto {
    /// Its id (also the `paymentNote` pagoPA echoes).
    pub id: String,
    /// `created`, `in_progress`, `paid`, `failed` or `uncertain`.
    pub status: &'static str,
    /// Where to send the browser, while in progress.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkout_url: Option<String>,
    /// The total in cents.
    pub total_cents: u64,
    /// The notices.
    pub notices: Vec<String>,
}

impl From<&pagopa_domain::Cart> for CartDto {
    fn from(cart: &pagopa_domain::Cart) -> Self {
        Self {
            id: cart.id.to_string(),
            status: cart.status.as_str(),
            checkout_url: cart.checkout_url.clone(),
            total_cents: cart.total().map(|t| t.cents()).unwrap_or_default(),
            notices: cart.items.iter().map(|i| i.notice_number.to_string()).collect(),
        }
    }
}
