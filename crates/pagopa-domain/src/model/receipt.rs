//! Receipts (ricevute telematiche): pagoPA's proof that a payment happened.

use chrono::{DateTime, NaiveDate, Utc};

use crate::model::{Metadata, PartyId, ReceiptId, Subject};
use crate::value::{AmountCents, EnteId, Iban, Iuv, NoticeNumber, Text, TransferCategory};

/// The pagoPA interface version a message came through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrimitiveVersion {
    /// `paGetPayment` / `paSendRT`.
    V1,
    /// `paGetPaymentV2` / `paSendRTV2`.
    V2,
}

/// A transfer as the receipt reports it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReceiptTransfer {
    /// 1..=5.
    pub id: u8,
    /// The amount.
    pub amount: AmountCents,
    /// The Ente credited.
    pub ente: EnteId,
    /// Its name, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<Text<140>>,
    /// The account credited, or `None` when the transfer was a digital stamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iban: Option<Iban>,
    /// The signed stamp document (base64 `MBDAttachment`) when the transfer was a digital stamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stamp_attachment: Option<String>,
    /// The remittance text.
    pub remittance: Text<140>,
    /// The taxonomy code.
    pub category: TransferCategory,
    /// Echoed metadata.
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
}

impl ReceiptTransfer {
    /// Whether this transfer is money credited to an account of `ente`: what a
    /// reconciliation flow reports. A digital stamp (no IBAN) never is in a flow.
    pub fn is_credited_to(&self, ente: &EnteId) -> bool {
        &self.ente == ente && self.iban.is_some()
    }
}

/// The PSP that collected the payment.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Psp {
    /// `idPSP`.
    pub id: PartyId,
    /// `pspFiscalCode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fiscal_code: Option<Text<70>>,
    /// `pspPartitaIVA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_number: Option<Text<20>>,
    /// `PSPCompanyName`.
    pub company_name: Text<70>,
    /// `idChannel`.
    pub channel_id: PartyId,
    /// `channelDescription`.
    pub channel_description: Text<70>,
}

/// Who delivered the receipt and how: the station data of the `paSendRT` call.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Delivery {
    /// `idPA`: the Ente the receipt was delivered to (the secondary beneficiary for a broadcast
    /// copy).
    pub recipient: EnteId,
    /// `idBrokerPA`.
    pub broker_id: PartyId,
    /// `idStation`.
    pub station_id: PartyId,
    /// V1 or V2.
    pub version: PrimitiveVersion,
    /// When it reached us.
    pub received_at: DateTime<Utc>,
    /// The raw SOAP body as received (the JSON answer for a recovered receipt), kept as
    /// evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_message: Option<String>,
    /// Read back from pagoPA's receipts service (biz-events) by reconciliation, because a flow
    /// reported a payment whose `paSendRT` never reached us; `false` for a receipt the Node
    /// delivered.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recovered: bool,
}

/// Every field of a pagoPA receipt (ctReceipt / ctReceiptV2) that a back end keeps.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Receipt {
    /// `receiptId`: the payment token.
    pub receipt_id: ReceiptId,
    /// The notice paid.
    pub notice_number: NoticeNumber,
    /// The creditor Ente (`fiscalCode`).
    pub ente: EnteId,
    /// Always `true` in practice: pagoPA sends receipts only for successful payments.
    pub outcome_ok: bool,
    /// `creditorReferenceId`.
    pub creditor_reference_id: Iuv,
    /// `paymentAmount`.
    pub amount: AmountCents,
    /// `description`.
    pub description: Text<140>,
    /// `companyName`.
    pub company_name: Text<140>,
    /// `officeName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office_name: Option<Text<140>>,
    /// `debtor`.
    pub debtor: Subject,
    /// `payer`, when different from the debtor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<Subject>,
    /// `transferList`.
    pub transfers: Vec<ReceiptTransfer>,
    /// PSP data.
    pub psp: Psp,
    /// `paymentMethod`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<Text<35>>,
    /// `paymentNote` (V2): our cart id for Checkout payments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_note: Option<Text<210>>,
    /// `fee` in cents, paid by the payer on top of the amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_cents: Option<u64>,
    /// `primaryCiIncurredFee` in cents (V2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_ci_incurred_fee_cents: Option<u64>,
    /// `idBundle` (V2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle_id: Option<Text<70>>,
    /// `idCiBundle` (V2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_bundle_id: Option<Text<70>>,
    /// `paymentDateTime`: the legal payment time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_date_time: Option<DateTime<Utc>>,
    /// `applicationDate`: the PSP's operating day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_date: Option<NaiveDate>,
    /// `transferDate`: when the money is credited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_date: Option<NaiveDate>,
    /// Echoed payment-level metadata.
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
    /// Paid while the Node answered in Stand-In (the Ente never saw the activation).
    pub stand_in: bool,
    /// How it reached us.
    pub delivery: Delivery,
}

impl Receipt {
    /// The legal time of payment: `paymentDateTime` if given, else the arrival time.
    pub fn paid_at(&self) -> DateTime<Utc> {
        self.payment_date_time.unwrap_or(self.delivery.received_at)
    }
}

/// What a stored receipt meant for the position it names. Every receipt is stored, whatever its
/// disposition; those that need a person are flagged for operators.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ReceiptDisposition {
    /// It paid an open option.
    Settled,
    /// It paid an option of a position that had expired: settled, and flagged, because the
    /// Ente had stopped expecting the money.
    SettledAfterExpiry,
    /// The option was already paid by another receipt: a double payment to refund.
    DoublePayment {
        /// The receipt that had settled the option.
        settled_by: Option<ReceiptId>,
    },
    /// No position of the Ente has this notice.
    UnknownNotice,
    /// The position was cancelled: the money must be refunded or the position restored.
    CancelledPosition,
    /// A copy delivered to a secondary beneficiary of a multi-beneficiary payment whose primary
    /// Ente is not served here.
    SecondaryBeneficiary,
    /// It paid an option of an instalment plan whose other kind was already paid: the single
    /// solution after an instalment, or an instalment after the single solution (in either
    /// order). The payment is recorded on its option and the position is paid, but the debtor
    /// paid more than the debt: refund or offset.
    PlanOverlap {
        /// The receipts that had paid the other kind of option.
        other_receipts: Vec<ReceiptId>,
    },
    /// It paid an open option, but not the option's current amount (changed after the
    /// activation, or a Stand-In payment on an old copy): settled, and the difference is the
    /// Ente's to sort out.
    AmountDiffers {
        /// The option's amount when the receipt arrived.
        expected: AmountCents,
        /// The receipt's `paymentAmount`.
        paid: AmountCents,
    },
    /// It paid an open option for its amount, but its transfers (count, amounts, Enti,
    /// accounts) are not those we would have answered at activation.
    TransfersDiffer {
        /// What differs, for the operator.
        problem: String,
    },
}

impl ReceiptDisposition {
    /// Every stored name, for parsing and documentation.
    pub const NAMES: [&'static str; 9] = [
        "settled",
        "settled_after_expiry",
        "double_payment",
        "unknown_notice",
        "cancelled_position",
        "secondary_beneficiary",
        "plan_overlap",
        "amount_differs",
        "transfers_differ",
    ];

    /// Whether the receipt paid an option of a position of the Ente (whatever it then flags).
    pub fn pays_position(&self) -> bool {
        !matches!(
            self,
            Self::UnknownNotice | Self::CancelledPosition | Self::SecondaryBeneficiary | Self::DoublePayment { .. }
        )
    }

    /// Whether an operator must look at the receipt.
    pub fn needs_review(&self) -> bool {
        !matches!(self, Self::Settled | Self::SecondaryBeneficiary)
    }

    /// Short stable name, as stored and shown.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Settled => "settled",
            Self::SettledAfterExpiry => "settled_after_expiry",
            Self::DoublePayment { .. } => "double_payment",
            Self::UnknownNotice => "unknown_notice",
            Self::CancelledPosition => "cancelled_position",
            Self::SecondaryBeneficiary => "secondary_beneficiary",
            Self::PlanOverlap { .. } => "plan_overlap",
            Self::AmountDiffers { .. } => "amount_differs",
            Self::TransfersDiffer { .. } => "transfers_differ",
        }
    }
}

/// A receipt as kept: the receipt and what it meant.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredReceipt {
    /// The receipt as received.
    pub receipt: Receipt,
    /// What it meant for the position.
    pub disposition: ReceiptDisposition,
}
