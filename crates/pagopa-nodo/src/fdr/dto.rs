//! The JSON of the FdR organization API (`fdr_organization.json`, pagopa/pagopa-api `070efa9`):
//! one type per schema this client reads, the members named as in the specification.
//!
//! The specification marks almost nothing required. A member this client cannot do without
//! (the identity of a flow, the pagination, the totals of a published flow) is required here,
//! so that an answer without it is a decode error naming it; everything else is an `Option`.
//! Unknown members are ignored (the service adds some over time); the raw page is kept by the
//! caller anyway.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

/// `Metadata`: where a page sits in the whole result.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// `pageSize`: the size of this page.
    #[serde(default)]
    pub page_size: Option<u32>,
    /// `pageNumber`: the index of this page, from 1.
    pub page_number: u64,
    /// `totPage`: how many pages the whole result has (0 when it is empty).
    pub tot_page: u64,
}

/// A page of a paginated answer: `PaginatedFlowsResponse` ([`FlowsPage`]) and
/// `PaginatedPaymentsResponse` ([`PaymentsPage`]) share this shape.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Page<T> {
    /// `metadata`: the page's place in the result.
    pub metadata: Metadata,
    /// `count`: how many elements the whole result has.
    #[serde(default)]
    pub count: Option<u64>,
    /// `data`: the elements of this page.
    #[serde(default = "Vec::new")]
    pub data: Vec<T>,
}

/// `PaginatedFlowsResponse`: a page of the published flows of an organization.
pub type FlowsPage = Page<FlowByPsp>;

/// `PaginatedPaymentsResponse`: a page of the payments of a flow.
pub type PaymentsPage = Page<Payment>;

/// `FlowByPSP`: one published flow in the list, enough to fetch it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowByPsp {
    /// `fdr`: the flow's id, `<dataRegolamento><idPSP>-<unique>`.
    pub fdr: String,
    /// `pspId`: the PSP that sent it.
    pub psp_id: String,
    /// `revision`: the revision listed (the latest published one).
    pub revision: u64,
    /// `published`: when this revision was published.
    #[serde(default)]
    pub published: Option<DateTime<Utc>>,
    /// `flowDate`: the flow's own date and time.
    #[serde(default)]
    pub flow_date: Option<DateTime<Utc>>,
}

/// `ReportingFlowStatusEnum`: where a flow is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FlowStatus {
    /// `CREATED`: a draft.
    Created,
    /// `INSERTED`: payments being added.
    Inserted,
    /// `PUBLISHED`: final for this revision.
    Published,
}

/// `SenderTypeEnum`: how the PSP is identified in `sender.id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SenderType {
    /// `LEGAL_PERSON` (type G).
    LegalPerson,
    /// `ABI_CODE` (type A).
    AbiCode,
    /// `BIC_CODE` (type B).
    BicCode,
}

/// `Sender`: the PSP sending the flow (`istitutoMittente`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sender {
    /// `type`: how `id` identifies the PSP.
    #[serde(rename = "type")]
    pub sender_type: SenderType,
    /// `id`: the PSP's code of that type.
    pub id: String,
    /// `pspId`: the PSP's id on pagoPA.
    pub psp_id: String,
    /// `pspName`: the PSP's name.
    pub psp_name: String,
    /// `pspBrokerId`: the PSP's broker.
    pub psp_broker_id: String,
    /// `channelId`: the PSP's channel.
    pub channel_id: String,
}

/// `Receiver`: the organization the flow is for (`istitutoRicevente`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receiver {
    /// `id`: the receiver's code.
    pub id: String,
    /// `organizationId`: the organization's fiscal code.
    pub organization_id: String,
    /// `organizationName`: the organization's name.
    pub organization_name: String,
}

/// `SingleFlowResponse`: the header of one revision of a published flow.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SingleFlowResponse {
    /// `status`: `PUBLISHED` for the flows this API gives organizations.
    #[serde(default)]
    pub status: Option<FlowStatus>,
    /// `revision`: this revision's number.
    pub revision: u64,
    /// `created`: when the revision was created.
    #[serde(default)]
    pub created: Option<DateTime<Utc>>,
    /// `updated`: when it last changed.
    #[serde(default)]
    pub updated: Option<DateTime<Utc>>,
    /// `fdr`: the flow's id.
    pub fdr: String,
    /// `fdrDate`: the flow's date and time (`dataOraFlusso`).
    #[serde(default)]
    pub fdr_date: Option<DateTime<Utc>>,
    /// `regulation`: the SCT's unique id (`identificativoUnivocoRegolamento`, the TRN).
    pub regulation: String,
    /// `regulationDate`: the SCT's date (`dataRegolamento`).
    pub regulation_date: NaiveDate,
    /// `bicCodePouringBank`: the BIC of the bank the SCT is poured into.
    #[serde(default)]
    pub bic_code_pouring_bank: Option<String>,
    /// `sender`: the PSP.
    pub sender: Sender,
    /// `receiver`: the organization.
    pub receiver: Receiver,
    /// `published`: when this revision was published.
    #[serde(default)]
    pub published: Option<DateTime<Utc>>,
    /// `computedTotPayments`: how many payments the service counted.
    #[serde(default)]
    pub computed_tot_payments: Option<u64>,
    /// `computedSumPayments`: the sum of the payments the service computed, in euro.
    #[serde(default)]
    pub computed_sum_payments: Option<f64>,
    /// `totPayments`: how many payments the PSP declared (`numeroTotalePagamenti`).
    pub tot_payments: u64,
    /// `sumPayments`: the total the PSP declared, in euro (`importoTotalePagamenti`).
    pub sum_payments: f64,
}

/// The `payStatus` of a [`Payment`], with its `codiceEsitoSingoloPagamento`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PayStatus {
    /// `EXECUTED` (0).
    Executed,
    /// `REVOKED` (3): the amount is negative.
    Revoked,
    /// `STAND_IN` (4): executed while the Node was in Stand-In.
    StandIn,
    /// `STAND_IN_NO_RPT` (8): executed in Stand-In without a receipt.
    StandInNoRpt,
    /// `NO_RPT` (9): executed without a receipt.
    NoRpt,
}

impl PayStatus {
    /// The `codiceEsitoSingoloPagamento` of the XML flow.
    pub fn outcome_code(self) -> u8 {
        match self {
            Self::Executed => 0,
            Self::Revoked => 3,
            Self::StandIn => 4,
            Self::StandInNoRpt => 8,
            Self::NoRpt => 9,
        }
    }
}

/// `Payment`: one payment of a flow (`datiSingoliPagamenti`). All members are required by the
/// specification.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    /// `index`: the payment's place in the flow, from 1, unique in it.
    pub index: u64,
    /// `iuv`: the IUV.
    pub iuv: String,
    /// `iur`: the IUR, the receipt's `receiptId`.
    pub iur: String,
    /// `idTransfer`: the transfer's `idTransfer` (1 to 5), `indiceDatiSingoloPagamento`.
    pub id_transfer: u32,
    /// `pay`: the amount in euro, negative for a revocation (see [`amount_cents`]).
    pub pay: f64,
    /// `payStatus`: the outcome.
    pub pay_status: PayStatus,
    /// `payDate`: the outcome's date and time.
    pub pay_date: DateTime<Utc>,
}

impl Payment {
    /// [`Payment::pay`] in euro cents, or `None` when it has more than two decimals.
    pub fn pay_cents(&self) -> Option<i64> {
        amount_cents(self.pay)
    }
}

/// An amount in decimal euro (`pay`, `sumPayments`) in cents, or `None` when it is not finite,
/// has more than two decimals or is out of range.
pub fn amount_cents(euro: f64) -> Option<i64> {
    let cents = euro * 100.0;
    let rounded = cents.round();
    // An amount of two decimals is within a rounding error of a whole number of cents.
    if !rounded.is_finite() || (cents - rounded).abs() > 1e-6 || rounded.abs() > 9.0e15 {
        return None;
    }
    // In range (checked above), so the conversion is exact.
    Some(rounded as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cents() {
        assert_eq!(amount_cents(0.01), Some(1));
        assert_eq!(amount_cents(100.95), Some(10095));
        assert_eq!(amount_cents(-12.3), Some(-1230));
        assert_eq!(amount_cents(1.005), None);
        assert_eq!(amount_cents(f64::NAN), None);
        assert_eq!(PayStatus::StandInNoRpt.outcome_code(), 8);
    }
}
