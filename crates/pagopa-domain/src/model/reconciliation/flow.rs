//! Reconciliation flows (flussi di rendicontazione, FdR): what a PSP says its cumulative credit
//! transfer to the Ente covers.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};

use crate::model::{FlowId, PartyId, ReceiptId};
use crate::value::EnteId;

/// The most payments one flow may list here (a PSP splits larger days over several flows;
/// pagoPA's own limit per flow is far lower).
pub const MAX_FLOW_LINES: usize = 1_000_000;

/// Where a flow came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowOrigin {
    /// The FdR REST API for organizations.
    Rest,
    /// `nodoChiediFlussoRendicontazione` (SOAP, being switched off).
    Soap,
    /// Uploaded by an operator as a `FlussoRiversamento` XML.
    Upload,
}

impl FlowOrigin {
    /// Short stable name, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rest => "rest",
            Self::Soap => "soap",
            Self::Upload => "upload",
        }
    }

    /// The origin a stored name stands for.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Rest, Self::Soap, Self::Upload]
            .into_iter()
            .find(|origin| origin.as_str() == name)
    }
}

/// What the PSP says of one payment (`codiceEsitoSingoloPagamento`, FdR's `payStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineOutcome {
    /// 0: executed, with its receipt.
    Executed,
    /// 3: revoked; the amount is negative and the money goes back.
    Revoked,
    /// 4: executed while the Node answered in Stand-In, with its receipt.
    StandIn,
    /// 8: executed in Stand-In without a receipt.
    StandInNoReceipt,
    /// 9: executed without a receipt.
    NoReceipt,
}

impl LineOutcome {
    /// Every outcome, in code order.
    pub const ALL: [Self; 5] = [
        Self::Executed,
        Self::Revoked,
        Self::StandIn,
        Self::StandInNoReceipt,
        Self::NoReceipt,
    ];

    /// The numeric code of the XML flow.
    pub fn code(self) -> u8 {
        match self {
            Self::Executed => 0,
            Self::Revoked => 3,
            Self::StandIn => 4,
            Self::StandInNoReceipt => 8,
            Self::NoReceipt => 9,
        }
    }

    /// The outcome of a numeric code.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|outcome| outcome.code() == code)
    }

    /// Short stable name, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Executed => "executed",
            Self::Revoked => "revoked",
            Self::StandIn => "stand_in",
            Self::StandInNoReceipt => "stand_in_no_receipt",
            Self::NoReceipt => "no_receipt",
        }
    }

    /// The outcome a stored name stands for.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|outcome| outcome.as_str() == name)
    }

    /// Whether the PSP says no receipt exists for the payment (codes 8 and 9).
    pub fn without_receipt(self) -> bool {
        matches!(self, Self::StandInNoReceipt | Self::NoReceipt)
    }
}

/// One payment a flow lists (`datiSingoliPagamenti`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FlowLine {
    /// Its place in the flow, from 1, as the flow gives it (FdR's `index`) or in document order.
    pub index: u32,
    /// `identificativoUnivocoVersamento`, as written (an IUV of another intermediary may not be
    /// one of ours in form).
    pub iuv: String,
    /// `identificativoUnivocoRiscossione`: the receipt id.
    pub iur: String,
    /// `indiceDatiSingoloPagamento` / `idTransfer`: which transfer of the receipt, 1..=5.
    pub transfer_id: Option<u8>,
    /// `singoloImportoPagato` in cents; negative for a revocation.
    pub amount_cents: i64,
    /// `codiceEsitoSingoloPagamento`.
    pub outcome: LineOutcome,
    /// `dataEsitoSingoloPagamento`.
    pub outcome_date: NaiveDate,
}

impl FlowLine {
    /// The receipt id the line names, when it is one in form.
    pub fn receipt_id(&self) -> Option<ReceiptId> {
        self.iur.parse().ok()
    }

    /// The key that makes two lines the same payment: IUV, IUR and transfer.
    pub fn key(&self) -> (&str, &str, Option<u8>) {
        (&self.iuv, &self.iur, self.transfer_id)
    }
}

/// Identifies a flow, whatever its revision: the Ente it pays, the PSP, the flow id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct FlowKey {
    /// The Ente the flow pays (`istitutoRicevente`).
    pub ente: EnteId,
    /// The PSP that sent it (`istitutoMittente`).
    pub psp: PartyId,
    /// `identificativoFlusso`.
    pub flow_id: FlowId,
}

impl fmt::Display for FlowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.ente, self.psp, self.flow_id)
    }
}

/// One revision of a flow: its header and its lines.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FlowRevision {
    /// Which flow.
    pub key: FlowKey,
    /// The revision, from 1 (XML flows, which carry none, are revision 1 unless the REST API
    /// said otherwise).
    pub revision: u32,
    /// The PSP's name, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psp_name: Option<String>,
    /// `dataOraFlusso`: when the PSP wrote it.
    pub flow_date: DateTime<Utc>,
    /// When the platform published it (REST), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<DateTime<Utc>>,
    /// `identificativoUnivocoRegolamento`: the SEPA credit transfer's reference (TRN).
    pub regulation: String,
    /// `dataRegolamento`: the day the money is credited.
    pub regulation_date: NaiveDate,
    /// `codiceBicBancaDiRiversamento`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bic: Option<String>,
    /// `numeroTotalePagamenti` as the PSP declared it.
    pub declared_count: u64,
    /// `importoTotalePagamenti` in cents, as the PSP declared it.
    pub declared_total_cents: i64,
    /// The payments.
    pub lines: Vec<FlowLine>,
}

impl FlowRevision {
    /// The sum of the lines, in cents.
    pub fn lines_total_cents(&self) -> i64 {
        self.lines.iter().map(|line| line.amount_cents).sum()
    }

    /// Whether the declared count and total are those of the lines.
    pub fn totals_match(&self) -> bool {
        self.declared_count == self.lines.len() as u64 && self.declared_total_cents == self.lines_total_cents()
    }

    /// What is wrong with the flow as a document, before any matching: lines beyond
    /// [`MAX_FLOW_LINES`], revision 0, a transfer id outside 1..=5, a positive revoked amount.
    pub fn check(&self) -> Result<(), FlowError> {
        if self.revision == 0 {
            return Err(FlowError::Revision);
        }
        if self.lines.len() > MAX_FLOW_LINES {
            return Err(FlowError::TooManyLines(self.lines.len()));
        }
        for line in &self.lines {
            if let Some(id) = line.transfer_id
                && !(1..=5).contains(&id)
            {
                return Err(FlowError::Line {
                    index: line.index,
                    problem: format!("transfer index {id} is not 1 to 5"),
                });
            }
            if line.iur.is_empty() || line.iuv.is_empty() {
                return Err(FlowError::Line {
                    index: line.index,
                    problem: "the IUV and the IUR are required".into(),
                });
            }
        }
        Ok(())
    }
}

/// Why a flow cannot be taken at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FlowError {
    /// Revision 0.
    #[error("a flow revision starts at 1")]
    Revision,
    /// More lines than [`MAX_FLOW_LINES`].
    #[error("the flow lists {0} payments, more than the {MAX_FLOW_LINES} taken")]
    TooManyLines(usize),
    /// A line that cannot be a payment.
    #[error("payment {index}: {problem}")]
    Line {
        /// The line's index.
        index: u32,
        /// What is wrong.
        problem: String,
    },
    /// The flow pays another Ente, or one not served here.
    #[error("the flow pays Ente {0}, which is not served here")]
    UnknownEnte(EnteId),
    /// The document is not a flow (bad XML, not valid against the schema).
    #[error("not a valid FlussoRiversamento: {0}")]
    Document(String),
}

/// A flow revision's raw form, as received: each JSON page of the REST API, or the XML.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RawDocument {
    /// What it is: `header`, `payments-1`, `payments-2`, … or `xml`.
    pub part: String,
    /// The media type (`application/json`, `application/xml`).
    pub media_type: String,
    /// The body as received.
    pub body: String,
}

/// A flow the platform lists as published, before it is fetched.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PublishedFlow {
    /// Which flow.
    pub key: FlowKey,
    /// Its latest revision.
    pub revision: u32,
    /// When it was published, if the source says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<DateTime<Utc>>,
    /// `dataOraFlusso`, if the source says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_date: Option<DateTime<Utc>>,
}

/// A flow revision fetched from a source, with its raw documents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchedFlow {
    /// The revision, decoded.
    pub flow: FlowRevision,
    /// What was received.
    pub raw: Vec<RawDocument>,
}

/// How a stored line matched a receipt.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum LineMatch {
    /// The receipt is here and the transfer's amount is the line's.
    Matched {
        /// The receipt.
        receipt_id: ReceiptId,
    },
    /// The receipt is here, with another amount for that transfer.
    AmountDiffers {
        /// The receipt.
        receipt_id: ReceiptId,
        /// The transfer's amount on the receipt.
        receipt_cents: i64,
    },
    /// A revocation of a payment (matched or not).
    Revoked,
    /// Codes 8 and 9: no receipt exists, as the PSP says.
    WithoutReceipt,
    /// No receipt for a payment that should have one.
    Missing,
    /// The same IUV, IUR and transfer appear earlier in the flow.
    Duplicate,
    /// An IUV no position of the Ente has, not of the Ente's notice layout: another
    /// intermediary's payment.
    ForeignIuv,
}

impl LineMatch {
    /// Short stable name, as stored and shown.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Matched { .. } => "matched",
            Self::AmountDiffers { .. } => "amount_differs",
            Self::Revoked => "revoked",
            Self::WithoutReceipt => "without_receipt",
            Self::Missing => "missing",
            Self::Duplicate => "duplicate",
            Self::ForeignIuv => "foreign_iuv",
        }
    }

    /// The receipt the line was matched to, if any.
    pub fn receipt(&self) -> Option<&ReceiptId> {
        match self {
            Self::Matched { receipt_id } | Self::AmountDiffers { receipt_id, .. } => Some(receipt_id),
            _ => None,
        }
    }
}

/// Where a flow revision stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowStatus {
    /// Stored, not matched yet.
    Received,
    /// Every line matched its receipt (or needs none), totals right.
    Reconciled,
    /// Matched, with anomalies.
    Anomalous,
    /// Reconciled and its bank credit found.
    Cashed,
    /// A newer revision took its place (kept as it was).
    Superseded,
}

impl FlowStatus {
    /// Every status.
    pub const ALL: [Self; 5] = [
        Self::Received,
        Self::Reconciled,
        Self::Anomalous,
        Self::Cashed,
        Self::Superseded,
    ];

    /// Short stable name, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Reconciled => "reconciled",
            Self::Anomalous => "anomalous",
            Self::Cashed => "cashed",
            Self::Superseded => "superseded",
        }
    }

    /// The status a stored name stands for.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == name)
    }
}

/// A flow revision as kept, without its lines: what lists show.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FlowSummary {
    /// Which flow.
    pub key: FlowKey,
    /// The revision.
    pub revision: u32,
    /// Whether it is the latest revision (the one matched).
    pub current: bool,
    /// Where it came from.
    pub origin: FlowOrigin,
    /// Where it stands.
    pub status: FlowStatus,
    /// `dataOraFlusso`.
    pub flow_date: DateTime<Utc>,
    /// When the platform published it, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<DateTime<Utc>>,
    /// The credit transfer's reference.
    pub regulation: String,
    /// The day the money is credited.
    pub regulation_date: NaiveDate,
    /// As declared.
    pub declared_count: u64,
    /// As declared, in cents.
    pub declared_total_cents: i64,
    /// Lines stored.
    pub lines_count: u64,
    /// Their sum, in cents.
    pub lines_total_cents: i64,
    /// The bank credit that brought the money, once found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_id: Option<u64>,
    /// When it reached us.
    pub received_at: DateTime<Utc>,
}

impl FlowSummary {
    /// The summary of a revision just stored: `received`, not cashed.
    pub fn of(flow: &FlowRevision, origin: FlowOrigin, current: bool, received_at: DateTime<Utc>) -> Self {
        Self {
            key: flow.key.clone(),
            revision: flow.revision,
            current,
            origin,
            status: FlowStatus::Received,
            flow_date: flow.flow_date,
            published_at: flow.published_at,
            regulation: flow.regulation.clone(),
            regulation_date: flow.regulation_date,
            declared_count: flow.declared_count,
            declared_total_cents: flow.declared_total_cents,
            lines_count: flow.lines.len() as u64,
            lines_total_cents: flow.lines_total_cents(),
            credit_id: None,
            received_at,
        }
    }
}

/// A flow revision as kept: its summary, its header, its lines and how each matched.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredFlow {
    /// What lists show.
    pub summary: FlowSummary,
    /// The revision as received.
    pub flow: FlowRevision,
    /// How each line matched, in line order; empty until matched.
    pub matches: Vec<LineMatch>,
}

/// What storing a revision did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlowStored {
    /// A revision not seen before; `superseded` is the revision it replaced as current.
    New {
        /// The previous current revision, now superseded.
        superseded: Option<u32>,
    },
    /// This revision was already stored (nothing changed).
    AlreadyStored,
    /// An older revision than the current one: stored, not current.
    Older {
        /// The current revision.
        current: u32,
    },
}
