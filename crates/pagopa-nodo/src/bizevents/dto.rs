//! The JSON of the receipts service (`CtReceiptModelResponse` of `biz_events.json`), named as
//! in the specification, and its mapping onto the domain's [`Receipt`].
//!
//! The mapping reads the texts leniently, as the SOAP receipts are read: a receipt proves a
//! payment and is never refused over a text the domain would cut or mend (control characters
//! become spaces, long texts are cut, a blank required text becomes `-`). Identifiers, amounts
//! and the outcome are strict.

use pagopa_domain::model::{Delivery, Metadata, PartyId, Psp, Receipt, ReceiptId, ReceiptTransfer, Subject, SubjectId};
use pagopa_domain::value::{AmountCents, EnteId, Iuv, NoticeNumber, Text};

use crate::fdr::dto::amount_cents;
use crate::soap::time;

/// A member of `metadata`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct MapEntry {
    /// The key.
    #[serde(default)]
    pub key: Option<String>,
    /// The value.
    #[serde(default)]
    pub value: Option<String>,
}

/// `Debtor` and `Payer`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Party {
    /// `F` or `G`.
    pub entity_unique_identifier_type: String,
    /// The fiscal code, or `ANONIMO`.
    pub entity_unique_identifier_value: String,
    /// Name.
    pub full_name: String,
    /// Street.
    #[serde(default)]
    pub street_name: Option<String>,
    /// Civic number.
    #[serde(default)]
    pub civic_number: Option<String>,
    /// Postal code.
    #[serde(default)]
    pub postal_code: Option<String>,
    /// City.
    #[serde(default)]
    pub city: Option<String>,
    /// Province or region.
    #[serde(default)]
    pub state_province_region: Option<String>,
    /// Country.
    #[serde(default)]
    pub country: Option<String>,
    /// E-mail.
    #[serde(default)]
    pub email: Option<String>,
}

/// `TransferPA`.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferPa {
    /// 1..=5; absent in some answers (then its place in the list).
    #[serde(default)]
    pub id_transfer: Option<i64>,
    /// Euro.
    pub transfer_amount: f64,
    /// The Ente credited.
    #[serde(rename = "fiscalCodePA")]
    pub fiscal_code_pa: String,
    /// The account (empty for a stamp).
    pub iban: String,
    /// The stamp (empty for an account).
    pub mbd_attachment: String,
    /// The remittance text.
    pub remittance_information: String,
    /// The taxonomy code.
    pub transfer_category: String,
    /// Echoed metadata.
    #[serde(default)]
    pub metadata: Option<Vec<MapEntry>>,
}

/// `CtReceiptModelResponse`: the receipt as the service keeps it.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CtReceiptModelResponse {
    /// The receipt id (the IUR of the flows).
    pub receipt_id: String,
    /// The notice paid.
    pub notice_number: String,
    /// The creditor Ente.
    pub fiscal_code: String,
    /// `OK`.
    pub outcome: String,
    /// The IUV.
    pub creditor_reference_id: String,
    /// Euro.
    pub payment_amount: f64,
    /// The description.
    pub description: String,
    /// The Ente's name.
    pub company_name: String,
    /// The office.
    #[serde(default)]
    pub office_name: Option<String>,
    /// The debtor.
    pub debtor: Party,
    /// 1 to 5 transfers.
    pub transfer_list: Vec<TransferPa>,
    /// The PSP.
    #[serde(rename = "idPSP")]
    pub id_psp: String,
    /// Its fiscal code.
    #[serde(default)]
    pub psp_fiscal_code: Option<String>,
    /// Its VAT number.
    #[serde(default, rename = "pspPartitaIVA")]
    pub psp_partita_iva: Option<String>,
    /// Its name.
    pub psp_company_name: String,
    /// The channel.
    pub id_channel: String,
    /// Its description.
    #[serde(default)]
    pub channel_description: Option<String>,
    /// The payer.
    #[serde(default)]
    pub payer: Option<Party>,
    /// The payment method.
    #[serde(default)]
    pub payment_method: Option<String>,
    /// The fee, euro.
    #[serde(default)]
    pub fee: Option<f64>,
    /// The fee borne by the Ente, euro.
    #[serde(default)]
    pub primary_ci_incurred_fee: Option<f64>,
    /// The bundle.
    #[serde(default)]
    pub id_bundle: Option<String>,
    /// The Ente's bundle.
    #[serde(default)]
    pub id_ci_bundle: Option<String>,
    /// When it was paid (a date-time, though the specification says `date`).
    #[serde(default)]
    pub payment_date_time: Option<String>,
    /// The PSP's operating day.
    #[serde(default)]
    pub application_date: Option<String>,
    /// The credit day.
    #[serde(default)]
    pub transfer_date: Option<String>,
    /// Echoed metadata.
    #[serde(default)]
    pub metadata: Option<Vec<MapEntry>>,
}

fn lenient<const N: usize>(raw: &str) -> Option<Text<N>> {
    let mended: String = raw.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    Text::truncating(&mended)
}

fn lenient_required<const N: usize>(raw: &str) -> Text<N> {
    lenient(raw).unwrap_or_else(|| Text::truncating("-").unwrap_or_else(|| unreachable!("a dash is a text")))
}

fn optional<const N: usize>(raw: &Option<String>) -> Option<Text<N>> {
    raw.as_deref().and_then(lenient)
}

fn cents(euro: f64, member: &str) -> Result<u64, String> {
    amount_cents(euro)
        .and_then(|cents| u64::try_from(cents).ok())
        .ok_or_else(|| format!("{member} {euro} is not an amount in cents"))
}

fn amount(euro: f64, member: &str) -> Result<AmountCents, String> {
    AmountCents::new(cents(euro, member)?).map_err(|e| format!("{member}: {e}"))
}

fn metadata(entries: &Option<Vec<MapEntry>>) -> Metadata {
    let mut metadata = Metadata::default();
    for entry in entries.iter().flatten() {
        if let (Some(key), Some(value)) = (optional(&entry.key), optional(&entry.value)) {
            // More entries than a receipt carries are dropped; the raw answer keeps them.
            let _ = metadata.insert(key, value);
        }
    }
    metadata
}

impl Party {
    fn subject(&self) -> Subject {
        let id = self
            .entity_unique_identifier_value
            .parse()
            .map(SubjectId::FiscalCode)
            .unwrap_or(SubjectId::Anonymous);
        let mut subject = Subject::new(id, lenient_required(&self.full_name));
        subject.street_name = optional(&self.street_name);
        subject.civic_number = optional(&self.civic_number);
        subject.postal_code = optional(&self.postal_code);
        subject.city = optional(&self.city);
        subject.province = optional(&self.state_province_region);
        subject.country = self.country.as_deref().and_then(|c| c.parse().ok());
        subject.email = self.email.as_deref().and_then(|e| e.parse().ok());
        subject
    }
}

impl TransferPa {
    fn transfer(&self, place: usize) -> Result<ReceiptTransfer, String> {
        let at = |member: &str| format!("transferList[{place}].{member}");
        let id = match self.id_transfer {
            Some(id @ 1..=5) => id as u8,
            None if place < 5 => place as u8 + 1,
            other => return Err(format!("{} {other:?} is not 1..5", at("idTransfer"))),
        };
        let ente: EnteId = self
            .fiscal_code_pa
            .parse()
            .map_err(|e| format!("{} {:?}: {e}", at("fiscalCodePA"), self.fiscal_code_pa))?;
        let (iban, stamp_attachment) = match (self.iban.trim(), self.mbd_attachment.trim()) {
            ("", "") => return Err(format!("{} and {} are both empty", at("iban"), at("mbdAttachment"))),
            ("", stamp) => (None, Some(stamp.to_owned())),
            (iban, _) => (
                Some(iban.parse().map_err(|e| format!("{} {iban:?}: {e}", at("iban")))?),
                None,
            ),
        };
        Ok(ReceiptTransfer {
            id,
            amount: amount(self.transfer_amount, &at("transferAmount"))?,
            ente,
            company_name: None,
            iban,
            stamp_attachment,
            remittance: lenient_required(&self.remittance_information),
            category: self
                .transfer_category
                .parse()
                .map_err(|e| format!("{} {:?}: {e}", at("transferCategory"), self.transfer_category))?,
            metadata: metadata(&self.metadata),
        })
    }
}

impl CtReceiptModelResponse {
    /// The receipt as the domain records it, delivered as `delivery` says. Refused (with the
    /// member named) when an identifier, an amount or the outcome is not a receipt's.
    pub fn into_receipt(self, delivery: Delivery) -> Result<Receipt, String> {
        if self.outcome != "OK" {
            return Err(format!("outcome {:?}: only OK proves a payment", self.outcome));
        }
        if !(1..=5).contains(&self.transfer_list.len()) {
            return Err(format!("{} transfers, not 1 to 5", self.transfer_list.len()));
        }
        let parse = |member: &str, raw: &str| format!("{member} {raw:?}");
        let receipt_id: ReceiptId = self
            .receipt_id
            .parse()
            .map_err(|e| format!("{}: {e}", parse("receiptId", &self.receipt_id)))?;
        let notice_number: NoticeNumber = self
            .notice_number
            .parse()
            .map_err(|e| format!("{}: {e}", parse("noticeNumber", &self.notice_number)))?;
        let ente: EnteId = self
            .fiscal_code
            .parse()
            .map_err(|e| format!("{}: {e}", parse("fiscalCode", &self.fiscal_code)))?;
        let creditor_reference_id: Iuv = self
            .creditor_reference_id
            .parse()
            .map_err(|e| format!("{}: {e}", parse("creditorReferenceId", &self.creditor_reference_id)))?;
        let psp_id: PartyId = self
            .id_psp
            .parse()
            .map_err(|e| format!("{}: {e}", parse("idPSP", &self.id_psp)))?;
        let channel_id: PartyId = self
            .id_channel
            .parse()
            .map_err(|e| format!("{}: {e}", parse("idChannel", &self.id_channel)))?;
        let transfers = self
            .transfer_list
            .iter()
            .enumerate()
            .map(|(place, transfer)| transfer.transfer(place))
            .collect::<Result<Vec<_>, _>>()?;
        let payment_date_time = self.payment_date_time.as_deref().and_then(time::parse_date_time);
        Ok(Receipt {
            receipt_id,
            notice_number,
            ente,
            outcome_ok: true,
            creditor_reference_id,
            amount: amount(self.payment_amount, "paymentAmount")?,
            description: lenient_required(&self.description),
            company_name: lenient_required(&self.company_name),
            office_name: optional(&self.office_name),
            debtor: self.debtor.subject(),
            payer: self.payer.as_ref().map(Party::subject),
            transfers,
            psp: Psp {
                id: psp_id,
                fiscal_code: optional(&self.psp_fiscal_code),
                vat_number: optional(&self.psp_partita_iva),
                company_name: lenient_required(&self.psp_company_name),
                channel_id,
                channel_description: lenient_required(self.channel_description.as_deref().unwrap_or("")),
            },
            payment_method: optional(&self.payment_method),
            payment_note: None,
            fee_cents: self.fee.map(|fee| cents(fee, "fee")).transpose()?,
            primary_ci_incurred_fee_cents: self
                .primary_ci_incurred_fee
                .map(|fee| cents(fee, "primaryCiIncurredFee"))
                .transpose()?,
            bundle_id: optional(&self.id_bundle),
            ci_bundle_id: optional(&self.id_ci_bundle),
            payment_date_time,
            application_date: self.application_date.as_deref().and_then(time::parse_date),
            transfer_date: self.transfer_date.as_deref().and_then(time::parse_date),
            metadata: metadata(&self.metadata),
            stand_in: false,
            delivery,
        })
    }
}
