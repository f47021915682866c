//! The columns of a CSV file: the names `docs/imports.md` lists, the `tN_` columns of
//! transfer N and the `meta_` columns, and the header that says where each one is in a row.

use std::collections::{BTreeSet, HashMap};

use crate::FileError;

/// The columns of a position and of its option, in the order `docs/imports.md` lists them.
pub const COLUMNS: [&str; 20] = [
    "action",
    "position_id",
    "option_kind",
    "option_index",
    "notice_number",
    "amount_cents",
    "due_date",
    "valid_from",
    "description",
    "debtor_type",
    "debtor_fiscal_code",
    "debtor_name",
    "debtor_street",
    "debtor_civic",
    "debtor_postal_code",
    "debtor_city",
    "debtor_province",
    "debtor_country",
    "debtor_email",
    "expires_after_due_date",
];

/// The columns of transfer N, after its `tN_` prefix.
pub const TRANSFER_COLUMNS: [&str; 9] = [
    "ente",
    "amount_cents",
    "iban",
    "postal_iban",
    "category",
    "remittance",
    "stamp_hash",
    "stamp_type",
    "stamp_province",
];

/// Columns a header must have. The others an upsert needs (amount, due date, debtor, …) are
/// checked row by row, so a file of cancellations needs only `action` and `position_id`.
const REQUIRED: [&str; 1] = ["position_id"];

/// Transfer columns are read up to this N, so a row giving a sixth transfer is refused by the
/// rule (1 to 5 transfers) rather than by the header.
pub(super) const MAX_TRANSFER_COLUMNS: usize = 9;

/// A column of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Column {
    Named(&'static str),
    Transfer(usize, &'static str),
    Meta(String),
}

/// Where each column is in a row.
pub(super) struct Header {
    pub(super) named: HashMap<&'static str, usize>,
    pub(super) transfers: Vec<HashMap<&'static str, usize>>,
    pub(super) meta: Vec<(String, usize)>,
    pub(super) width: usize,
}

impl Header {
    pub(super) fn parse(names: &csv::StringRecord) -> Result<Self, FileError> {
        let mut header = Header {
            named: HashMap::new(),
            transfers: vec![HashMap::new(); MAX_TRANSFER_COLUMNS],
            meta: Vec::new(),
            width: names.len(),
        };
        let mut unknown = Vec::new();
        let mut seen = BTreeSet::new();
        for (at, name) in names.iter().enumerate() {
            if !seen.insert(name) {
                return Err(FileError::Header(format!(
                    "the column {name:?} appears twice in the header"
                )));
            }
            match column(name) {
                Some(Column::Named(n)) => {
                    header.named.insert(n, at);
                }
                Some(Column::Transfer(n, c)) => {
                    header.transfers[n - 1].insert(c, at);
                }
                Some(Column::Meta(key)) => header.meta.push((key, at)),
                None => unknown.push(name.to_owned()),
            }
        }
        if !unknown.is_empty() {
            return Err(FileError::Header(format!(
                "unknown columns: {} (see docs/imports.md for the column names)",
                unknown.join(", ")
            )));
        }
        let missing: Vec<&str> = REQUIRED.into_iter().filter(|c| !header.named.contains_key(c)).collect();
        if !missing.is_empty() {
            return Err(FileError::Header(format!("missing columns: {}", missing.join(", "))));
        }
        Ok(header)
    }

    pub(super) fn get<'r>(&self, record: &'r csv::StringRecord, name: &str) -> Option<&'r str> {
        self.named.get(name).and_then(|&at| record.get(at))
    }

    pub(super) fn transfer<'r>(&self, record: &'r csv::StringRecord, n: usize, name: &str) -> Option<&'r str> {
        self.transfers[n - 1]
            .get(name)
            .and_then(|&at| record.get(at))
            .filter(|v| !v.is_empty())
    }
}

fn column(name: &str) -> Option<Column> {
    if let Some(found) = COLUMNS.iter().find(|c| **c == name) {
        return Some(Column::Named(found));
    }
    if let Some(key) = name.strip_prefix("meta_") {
        return (!key.is_empty() && key.chars().count() <= 140).then(|| Column::Meta(key.to_owned()));
    }
    let rest = name.strip_prefix('t')?;
    let (digits, field) = rest.split_once('_')?;
    let n: usize = digits.parse().ok().filter(|n| (1..=MAX_TRANSFER_COLUMNS).contains(n))?;
    if digits.starts_with('0') {
        return None;
    }
    TRANSFER_COLUMNS
        .iter()
        .find(|c| **c == field)
        .map(|c| Column::Transfer(n, c))
}
