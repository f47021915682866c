//! `POST …/payments`: a payment the gestionale is told about.

use chrono::{DateTime, SecondsFormat, Utc};
use pagopa_domain::{
    CancellationNotification, ExpiryNotification, Iupd, PaymentNotification, ReceiptDisposition, ReceiptId,
};

use super::{MappingError, amount, parse, parse_optional};

/// The body we send for a payment (a receipt pagoPA delivered). `receiptId` is unique
/// platform-wide and is the idempotency key: the same notification may arrive more than once.
/// Optional members are always present, `null` when unknown.
///
/// ```json
/// {"receiptId": "c2e0f1a4b5d6", "ente": "80012345676", "noticeNumber": "305260100000471130",
///  "iuv": "05260100000471130", "iupd": "TARI-2026-4711", "amount": 24570,
///  "paidAt": "2026-11-25T10:00:00Z", "disposition": "settled", "settledBy": null,
///  "expectedAmount": null, "otherReceipts": null, "problem": null,
///  "pspName": "Banca Esempio S.p.A.", "needsReview": false}
/// ```
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentNotificationDto {
    /// The receipt id (the payment token pagoPA assigned, IUR in reconciliation flows).
    pub receipt_id: String,
    /// The creditor Ente's fiscal code.
    pub ente: String,
    /// The 18-digit notice number paid.
    pub notice_number: String,
    /// Its IUV.
    pub iuv: String,
    /// The position's iupd, or `null` when the notice matched no position.
    #[serde(default)]
    pub iupd: Option<String>,
    /// The amount paid, in integer euro cents.
    pub amount: u64,
    /// When paid, RFC 3339 in UTC.
    pub paid_at: String,
    /// What the receipt meant: `settled`, `settled_after_expiry`, `double_payment`,
    /// `unknown_notice`, `cancelled_position`, `secondary_beneficiary`, `plan_overlap`,
    /// `amount_differs` or `transfers_differ`.
    pub disposition: String,
    /// For `double_payment`, the receipt that had already settled the option, when known;
    /// otherwise `null`.
    #[serde(default)]
    pub settled_by: Option<String>,
    /// For `amount_differs`, the notice's amount when the receipt arrived (`amount` is what
    /// was paid); otherwise `null`.
    #[serde(default)]
    pub expected_amount: Option<u64>,
    /// For `plan_overlap`, the receipts that had paid the plan's other kind of option (the
    /// instalments, or the single solution); otherwise `null`.
    #[serde(default)]
    pub other_receipts: Option<Vec<String>>,
    /// For `transfers_differ`, what differs; otherwise `null`.
    #[serde(default)]
    pub problem: Option<String>,
    /// The name of the PSP that collected the money.
    pub psp_name: String,
    /// Whether the receipt needs an operator's review (any disposition but `settled` and
    /// `secondary_beneficiary`): the "receipt needing review" event. Absent from older senders
    /// (false).
    #[serde(default)]
    pub needs_review: bool,
}

impl PaymentNotificationDto {
    /// The body for `notification`.
    pub fn from_notification(notification: &PaymentNotification) -> Self {
        let settled_by = match &notification.disposition {
            ReceiptDisposition::DoublePayment { settled_by } => settled_by.as_ref().map(ReceiptId::to_string),
            _ => None,
        };
        let expected_amount = match &notification.disposition {
            ReceiptDisposition::AmountDiffers { expected, .. } => Some(expected.cents()),
            _ => None,
        };
        let other_receipts = match &notification.disposition {
            ReceiptDisposition::PlanOverlap { other_receipts } => {
                Some(other_receipts.iter().map(ReceiptId::to_string).collect())
            }
            _ => None,
        };
        let problem = match &notification.disposition {
            ReceiptDisposition::TransfersDiffer { problem } => Some(problem.clone()),
            _ => None,
        };
        Self {
            receipt_id: notification.receipt_id.to_string(),
            ente: notification.ente.to_string(),
            notice_number: notification.notice_number.to_string(),
            iuv: notification.iuv.to_string(),
            iupd: notification.iupd.as_ref().map(Iupd::to_string),
            amount: notification.amount.cents(),
            paid_at: notification.paid_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            disposition: notification.disposition.as_str().to_owned(),
            settled_by,
            expected_amount,
            other_receipts,
            problem,
            psp_name: notification.psp_name.clone(),
            needs_review: notification.disposition.needs_review(),
        }
    }

    /// The notification it carries, for the gestionale side.
    pub fn to_notification(&self) -> Result<PaymentNotification, MappingError> {
        let paid_at = DateTime::parse_from_rfc3339(self.paid_at.trim())
            .map_err(|e| MappingError::new("paidAt", format!("not an RFC 3339 instant ({e}): {:?}", self.paid_at)))?
            .with_timezone(&Utc);
        let disposition = match self.disposition.as_str() {
            "settled" => ReceiptDisposition::Settled,
            "settled_after_expiry" => ReceiptDisposition::SettledAfterExpiry,
            "double_payment" => ReceiptDisposition::DoublePayment {
                settled_by: parse_optional("settledBy", self.settled_by.as_deref())?,
            },
            "unknown_notice" => ReceiptDisposition::UnknownNotice,
            "cancelled_position" => ReceiptDisposition::CancelledPosition,
            "secondary_beneficiary" => ReceiptDisposition::SecondaryBeneficiary,
            "plan_overlap" => ReceiptDisposition::PlanOverlap {
                other_receipts: self
                    .other_receipts
                    .iter()
                    .flatten()
                    .map(|id| parse("otherReceipts", id))
                    .collect::<Result<_, _>>()?,
            },
            "amount_differs" => ReceiptDisposition::AmountDiffers {
                expected: amount(
                    "expectedAmount",
                    self.expected_amount
                        .ok_or_else(|| MappingError::new("expectedAmount", "required for amount_differs"))?,
                )?,
                paid: amount("amount", self.amount)?,
            },
            "transfers_differ" => ReceiptDisposition::TransfersDiffer {
                problem: self.problem.clone().unwrap_or_default(),
            },
            other => {
                return Err(MappingError::new(
                    "disposition",
                    format!("{other:?} is not a receipt disposition"),
                ));
            }
        };
        Ok(PaymentNotification {
            receipt_id: parse("receiptId", &self.receipt_id)?,
            ente: parse("ente", &self.ente)?,
            notice_number: parse("noticeNumber", &self.notice_number)?,
            iuv: parse("iuv", &self.iuv)?,
            iupd: parse_optional("iupd", self.iupd.as_deref())?,
            amount: amount("amount", self.amount)?,
            paid_at,
            disposition,
            psp_name: self.psp_name.clone(),
        })
    }
}

/// The body we send when a position expired by itself (`POST …/expirations`): its last due
/// date passed on the Italian calendar and it expires after its due dates. Idempotent on the
/// Ente, the iupd and the due date.
///
/// ```json
/// {"ente": "80012345676", "iupd": "MENSA-2025-03", "noticeNumbers": ["305250300000194264"],
///  "lastDueDate": "2025-04-30", "expiredAt": "2025-05-01T00:05:00Z"}
/// ```
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpiryNotificationDto {
    /// The creditor Ente's fiscal code.
    pub ente: String,
    /// The position's iupd.
    pub iupd: String,
    /// Its notice numbers, none paid.
    pub notice_numbers: Vec<String>,
    /// Its last due date (`YYYY-MM-DD`).
    pub last_due_date: String,
    /// When it was expired, RFC 3339 in UTC.
    pub expired_at: String,
}

impl ExpiryNotificationDto {
    /// The body for `notification`.
    pub fn from_notification(notification: &ExpiryNotification) -> Self {
        Self {
            ente: notification.ente.to_string(),
            iupd: notification.iupd.to_string(),
            notice_numbers: notification.notices.iter().map(ToString::to_string).collect(),
            last_due_date: notification.last_due_date.format("%Y-%m-%d").to_string(),
            expired_at: notification.expired_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        }
    }
}

/// The body of `POST …/entes/{ente}/cancellations`: an operator cancelled a position (its
/// notices are no longer payable). Idempotent on the Ente and the iupd.
///
/// ```json
/// {"ente": "80012345676", "iupd": "TARI-2026-4711", "noticeNumbers": ["305260100000471130"],
///  "cancelledAt": "2026-12-01T09:30:00Z"}
/// ```
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancellationNotificationDto {
    /// The creditor Ente's fiscal code.
    pub ente: String,
    /// The position's iupd.
    pub iupd: String,
    /// Its notice numbers.
    pub notice_numbers: Vec<String>,
    /// When it was cancelled, RFC 3339 in UTC.
    pub cancelled_at: String,
}

impl CancellationNotificationDto {
    /// The body for `notification`.
    pub fn from_notification(notification: &CancellationNotification) -> Self {
        Self {
            ente: notification.ente.to_string(),
            iupd: notification.iupd.to_string(),
            notice_numbers: notification.notices.iter().map(ToString::to_string).collect(),
            cancelled_at: notification.cancelled_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        }
    }
}
