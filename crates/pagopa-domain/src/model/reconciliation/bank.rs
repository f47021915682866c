//! Bank credits: the treasury's statement lines that bring the PSPs' money, and what their
//! remittance information points to.

use chrono::{DateTime, NaiveDate, Utc};

use crate::model::{FlowId, FlowKey, ReceiptId};
use crate::value::EnteId;

/// The most credits one statement may hold.
pub const MAX_STATEMENT_CREDITS: usize = 1_000_000;

/// The form a statement was uploaded in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementFormat {
    /// ISO 20022 `camt.053` (BankToCustomerStatement).
    Camt053,
    /// CSV: `date`, `amount`, `account`, `remittance` (and an optional `reference`).
    Csv,
}

impl StatementFormat {
    /// Short stable name, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Camt053 => "camt053",
            Self::Csv => "csv",
        }
    }

    /// The format a stored name stands for.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Camt053, Self::Csv]
            .into_iter()
            .find(|format| format.as_str() == name)
    }
}

/// One credit of a statement, as the bank wrote it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BankCredit {
    /// The day it was booked.
    pub booking_date: NaiveDate,
    /// The value date, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_date: Option<NaiveDate>,
    /// The amount in cents, positive.
    pub amount_cents: i64,
    /// The account credited (an IBAN, as written), if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The unstructured remittance information, joined.
    pub remittance: String,
    /// The bank's reference of the entry (`AcctSvcrRef`, end-to-end id), if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_reference: Option<String>,
    /// The payer's name, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debtor_name: Option<String>,
}

/// A statement as read from its file, before it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankStatement {
    /// The Ente whose account it is.
    pub ente: EnteId,
    /// The form it came in.
    pub format: StatementFormat,
    /// SHA-256 of the file, hex: the same file twice is one statement.
    pub digest: String,
    /// The statement's own id, if it has one (camt `Stmt/Id`).
    pub statement_id: Option<String>,
    /// The credits (debits are left out when reading).
    pub credits: Vec<BankCredit>,
    /// The file as uploaded.
    pub raw: String,
}

/// A stored credit: the credit, its id and what it was matched to.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredCredit {
    /// Unique id.
    pub id: u64,
    /// The statement it came in.
    pub statement: u64,
    /// The Ente.
    pub ente: EnteId,
    /// The credit.
    pub credit: BankCredit,
    /// What the remittance says.
    pub reference: CreditReference,
    /// What it was matched to.
    pub matched: CreditMatch,
}

/// What a credit was matched to.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum CreditMatch {
    /// Not matched (yet).
    Unmatched,
    /// The cumulative credit of a flow, for its amount.
    Flow {
        /// The flow.
        key: FlowKey,
    },
    /// The flow it names, for another amount.
    FlowAmountDiffers {
        /// The flow.
        key: FlowKey,
        /// The flow's total, in cents.
        flow_cents: i64,
    },
    /// A single payment's credit, by its IUV.
    Payment {
        /// The receipt.
        receipt_id: ReceiptId,
    },
}

impl CreditMatch {
    /// Short stable name, as stored and shown.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Unmatched => "unmatched",
            Self::Flow { .. } => "flow",
            Self::FlowAmountDiffers { .. } => "flow_amount_differs",
            Self::Payment { .. } => "payment",
        }
    }
}

/// A statement once stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StatementSummary {
    /// Unique id.
    pub id: u64,
    /// The Ente.
    pub ente: EnteId,
    /// Its form.
    pub format: StatementFormat,
    /// SHA-256 of the file.
    pub digest: String,
    /// The statement's own id, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_id: Option<String>,
    /// How many credits it held.
    pub credits: u64,
    /// Their sum, in cents.
    pub total_cents: i64,
    /// When it was uploaded.
    pub uploaded_at: DateTime<Utc>,
    /// Who uploaded it.
    pub uploaded_by: String,
}

/// What storing a statement did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatementStored {
    /// Stored, with the ids of its credits in file order.
    New {
        /// The statement.
        summary: StatementSummary,
        /// Its credits, stored.
        credits: Vec<StoredCredit>,
    },
    /// The same file was uploaded before.
    Duplicate(StatementSummary),
}

/// What a credit's remittance information points to.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum CreditReference {
    /// `/PUR/LGPE-RIVERSAMENTO/URI/<flow id>`: a PSP's cumulative credit.
    Flow(FlowId),
    /// `/RFS/<IUV>/…` or `/RFB/<IUV>/…`: one payment's credit.
    Iuv(String),
    /// Nothing we recognise.
    None,
}

impl CreditReference {
    /// Reads a remittance text tolerantly: case, spaces and line breaks inside the markers and
    /// the id (banks wrap the 140 characters at fixed widths), text before the marker, a `TXT`
    /// part between `LGPE-RIVERSAMENTO` and `URI`, a missing `/PUR` prefix.
    ///
    /// ```
    /// use pagopa_domain::CreditReference;
    ///
    /// let text = "BONIFICO SEPA /PUR/LGPE-RIVERSAMENTO/URI/2026-11-25ABI03069-\n 0001 ";
    /// assert!(matches!(CreditReference::parse(text), CreditReference::Flow(id) if id.as_str() == "2026-11-25ABI03069-0001"));
    /// let text = "/RFB/052601000004711/12.00/TXT/TARI";
    /// assert_eq!(CreditReference::parse(text), CreditReference::Iuv("052601000004711".into()));
    /// assert_eq!(CreditReference::parse("STIPENDIO"), CreditReference::None);
    /// ```
    pub fn parse(remittance: &str) -> Self {
        // The markers are found with every blank removed; each kept char remembers where it was.
        let kept: Vec<(usize, char)> = remittance.char_indices().filter(|(_, c)| !c.is_whitespace()).collect();
        let compact: String = kept.iter().map(|(_, c)| c.to_ascii_uppercase()).collect();
        let original_at = |compact_byte: usize| {
            // Markers are ASCII, so the compact string's byte offset up to them counts chars.
            let chars = compact[..compact_byte].chars().count();
            kept.get(chars).map_or(remittance.len(), |(at, _)| *at)
        };
        if let Some(at) = compact.find("LGPE-RIVERSAMENTO")
            && let Some(uri) = compact[at..].find("/URI/")
        {
            let id = read_flow_id(&remittance[original_at(at + uri + "/URI/".len())..]);
            if let Ok(id) = id.parse() {
                return Self::Flow(id);
            }
        }
        for marker in ["/RFS/", "/RFB/"] {
            if let Some(at) = compact.find(marker) {
                let iuv: String = compact[at + marker.len()..]
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .take(25)
                    .collect();
                if !iuv.is_empty() {
                    return Self::Iuv(iuv);
                }
            }
        }
        Self::None
    }

    /// Short stable name, as stored.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Flow(_) => "flow",
            Self::Iuv(_) => "iuv",
            Self::None => "none",
        }
    }
}

/// Reads a flow id from the start of `text`, in its own case: blanks before it are skipped,
/// a line break inside it is a bank's wrap, and a space inside it is a wrap only while what
/// was read is not a whole flow id yet (`<YYYY-MM-DD><PSP>-<part>`); otherwise it ends the id.
fn read_flow_id(text: &str) -> String {
    let mut id = String::new();
    for c in text.chars() {
        if c == '\n' || c == '\r' {
            continue;
        }
        if c.is_whitespace() {
            if id.is_empty() || !looks_whole(&id) {
                continue;
            }
            break;
        }
        if !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) || id.len() == FlowId::MAX_LEN {
            break;
        }
        id.push(c);
    }
    id
}

/// Whether `id` has the form of a whole flow id: a date, a PSP code, a dash and something after.
fn looks_whole(id: &str) -> bool {
    let (Some(date), Some(rest)) = (id.get(..10), id.get(10..)) else {
        return false;
    };
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok()
        && rest
            .split_once('-')
            .is_some_and(|(psp, part)| !psp.is_empty() && !part.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(text: &str) -> Option<String> {
        match CreditReference::parse(text) {
            CreditReference::Flow(id) => Some(id.as_str().to_owned()),
            _ => None,
        }
    }

    #[test]
    fn flow_references_are_read_tolerantly() {
        let id = Some("2026-11-25ABI03069-0001".to_owned());
        assert_eq!(flow("/PUR/LGPE-RIVERSAMENTO/URI/2026-11-25ABI03069-0001"), id);
        assert_eq!(flow("/pur/lgpe-riversamento/uri/2026-11-25ABI03069-0001"), id);
        assert_eq!(flow("/PUR/LGPE-RIVERSAMENTO/TXT/0/URI/2026-11-25ABI03069-0001"), id);
        assert_eq!(
            flow("ACCREDITO /PUR/ LGPE- RIVERSAMENTO /URI/ 2026-11-25ABI0\n3069-0001"),
            id
        );
        assert_eq!(flow("LGPE-RIVERSAMENTO/URI/2026-11-25ABI03069-0001 COMMISSIONI"), id);
        assert_eq!(
            flow("/PUR/LGPE-RIVERSAMENTO/URI/2026-11-25ABI0 3069-0001"),
            id,
            "split at 35 chars"
        );
        assert_eq!(flow("/PUR/LGPE-RIVERSAMENTO/URI/2026-11-25ABI03069- 0001 X"), id);
        assert_eq!(flow("/PUR/LGPE-RIVERSAMENTO/URI/"), None);
        assert_eq!(flow("RIVERSAMENTO 2026-11-25ABI03069-0001"), None);
    }

    #[test]
    fn single_payment_references() {
        assert_eq!(
            CreditReference::parse("/RFS/RF18539007547034/100.00"),
            CreditReference::Iuv("RF18539007547034".into())
        );
        assert_eq!(CreditReference::parse("/RFB/"), CreditReference::None);
    }
}
