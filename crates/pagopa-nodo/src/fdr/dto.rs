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

/// The largest amount, in euro, [`amount_cents`] takes: below it every amount of two decimals
/// has at most 15 significant digits, so the `f64` nearest to it identifies it exactly.
const MAX_EXACT_EURO: f64 = 1e13;

/// An amount in decimal euro (`pay`, `sumPayments`) in cents, or `None` when it is not finite,
/// has more than two decimals or is not below 10 000 000 000 000 euro.
///
/// Exact, without floating-point arithmetic: the JSON number was read as the `f64` nearest to
/// it; that value is written with two decimals (an exact, correctly rounded conversion), read
/// back as integer cents, and taken only if that decimal amount reads back as the same `f64`
/// (or its neighbour, as `serde_json`'s default reading may be one unit in the last place
/// off). An amount of more than two decimals (`1.005`) reads back as another number and is
/// refused. Below 10^13 euro two different amounts of two decimals never share an `f64`,
/// so the cents are those the JSON text said.
pub fn amount_cents(euro: f64) -> Option<i64> {
    if !euro.is_finite() || euro.abs() >= MAX_EXACT_EURO {
        return None;
    }
    let written = format!("{euro:.2}");
    let (negative, digits) = match written.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, written.as_str()),
    };
    let (whole, fraction) = digits.split_once('.')?;
    let cents = whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(fraction.parse::<i64>().ok()?)?;
    let nearest: f64 = written.parse().ok()?;
    let same = nearest == euro
        || (nearest.is_sign_negative() == euro.is_sign_negative() && nearest.to_bits().abs_diff(euro.to_bits()) <= 1);
    same.then_some(if negative { -cents } else { cents })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cents() {
        assert_eq!(amount_cents(0.01), Some(1));
        assert_eq!(amount_cents(100.95), Some(10095));
        assert_eq!(amount_cents(-12.3), Some(-1230));
        assert_eq!(amount_cents(1.005), None);
        assert_eq!(amount_cents(f64::NAN), None);
        assert_eq!(amount_cents(f64::INFINITY), None);
        assert_eq!(amount_cents(0.1 + 0.2), Some(30), "one unit in the last place off");
        assert_eq!(amount_cents(0.0), Some(0));
        assert_eq!(amount_cents(-0.0), Some(0));
        assert_eq!(amount_cents(999_999_999.99), Some(99_999_999_999));
        assert_eq!(amount_cents(9_999_999_999_999.99), Some(999_999_999_999_999));
        assert_eq!(amount_cents(10_000_000_000_000.0), None);
        assert_eq!(amount_cents(12.345), None);
        assert_eq!(amount_cents(100.001), None);
        // Every amount of two decimals, as JSON text, comes back exactly.
        for cents in (0..2_000_000_i64)
            .step_by(7)
            .chain([99_999_999_999, 12_345_678_901_234])
        {
            let text = format!("{}.{:02}", cents / 100, cents % 100);
            let euro: f64 = serde_json::from_str(&text).unwrap();
            assert_eq!(amount_cents(euro), Some(cents), "{text}");
            assert_eq!(amount_cents(-euro), Some(-cents), "-{text}");
        }
        assert_eq!(PayStatus::StandInNoRpt.outcome_code(), 8);
    }
}
