//! Payment options (single solution or instalment) and their transfers.

use chrono::{DateTime, NaiveDate, Utc};

use crate::model::{Metadata, Province, ReceiptId};
use crate::value::{AmountCents, EnteId, Iban, NoticeNumber, Text, TransferCategory};

/// Which account a transfer credits.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TransferAccount {
    /// A bank or postal account.
    Iban {
        /// The account credited.
        iban: Iban,
        /// A Poste Italiane account the same Ente accepts instead, for postal payment slips and
        /// `transferType=POSTAL` (sent as metadata `IBANAPPOGGIO` in V2).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        postal_alternative: Option<Iban>,
    },
    /// A digital revenue stamp (marca da bollo digitale, pagoPA V2 only): the PSP sells the
    /// stamp, no money reaches the Ente.
    Stamp(StampRequest),
}

/// What pagoPA's `richiestaMarcaDaBollo` carries.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StampRequest {
    /// Base64 of the SHA-256 of the document the stamp is for (`hashDocumento`).
    pub document_hash: Text<72>,
    /// The stamp type; `01` is the only one pagoPA defines.
    pub stamp_type: Text<2>,
    /// The payer's province of residence (`provinciaResidenza`).
    pub province: Province,
}

/// A share of a payment option credited to one Ente (trasferimento): 1..5 per option.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Transfer {
    /// 1..=5, in order.
    pub id: u8,
    /// The Ente credited (`fiscalCodePA`).
    pub ente: EnteId,
    /// That Ente's name, when it is not the position's owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<Text<140>>,
    /// The amount of this share.
    pub amount: AmountCents,
    /// The account credited, or a digital stamp.
    pub account: TransferAccount,
    /// The remittance text (causale).
    pub remittance: Text<140>,
    /// The taxonomy code.
    pub category: TransferCategory,
    /// Metadata echoed in the receipt.
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
}

impl Transfer {
    /// Whether this transfer can be credited to a Poste Italiane account.
    pub fn has_postal_account(&self) -> bool {
        match &self.account {
            TransferAccount::Iban {
                iban,
                postal_alternative,
            } => iban.is_italian_postal() || postal_alternative.is_some(),
            TransferAccount::Stamp(_) => false,
        }
    }
}

/// The place of an instalment in its plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Instalment {
    /// 1-based number of the instalment.
    pub number: u8,
    /// How many instalments the plan has.
    pub of: u8,
}

/// How an option was paid.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OptionPayment {
    /// The receipt that settled it.
    pub receipt_id: ReceiptId,
    /// When the payment happened (receipt `paymentDateTime`, else its arrival).
    pub paid_at: DateTime<Utc>,
    /// The amount paid.
    pub amount: AmountCents,
}

/// One way to pay a position: the single solution, or one instalment (rata). Each has its own
/// notice number.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PaymentOption {
    /// The notice number; its IUV identifies the option to pagoPA.
    pub notice_number: NoticeNumber,
    /// The amount due, equal to the sum of the transfers.
    pub amount: AmountCents,
    /// What it is for.
    pub description: Text<140>,
    /// Due date.
    pub due_date: NaiveDate,
    /// `None` for the single solution; the instalment's place otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instalment: Option<Instalment>,
    /// 1..5 transfers.
    pub transfers: Vec<Transfer>,
    /// Metadata echoed in the receipt.
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
    /// Set when a receipt settled this option.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<OptionPayment>,
}

impl PaymentOption {
    /// Whether a receipt settled this option.
    pub fn is_paid(&self) -> bool {
        self.payment.is_some()
    }

    /// pagoPA `allCCP`: every transfer can be credited to a postal account.
    pub fn all_postal(&self) -> bool {
        self.transfers.iter().all(Transfer::has_postal_account)
    }
}
