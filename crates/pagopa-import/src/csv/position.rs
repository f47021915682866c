//! A position whose adjacent rows are being read: what its first row says of the whole
//! position, the values every row must repeat, and the draft (or the issue) it becomes.

use std::collections::BTreeSet;

use pagopa_domain::{
    Ente, FiscalCodeKind, ImportContent, ImportDraft, ImportItem, Instalment, Metadata, Origin, PositionDraft,
    RowIssue, RowRef, Subject, SubjectId, Text,
};

use super::columns::Header;
use super::row::{OptionRow, option_row};
use crate::text::{self, Field};

/// A position whose rows are being read.
pub(super) struct Pending {
    pub(super) id: String,
    cancel: bool,
    /// The values every row of the position must repeat.
    shared: Vec<(&'static str, String)>,
    rows: Vec<RowRef>,
    head: Field<PositionHead>,
    options: Vec<OptionRow>,
    issue: Option<RowIssue>,
}

/// What the first row says of the whole position.
struct PositionHead {
    debtor: Subject,
    description: Text<140>,
    expires_after_due_date: bool,
    valid_from: Option<chrono::DateTime<chrono::Utc>>,
}

/// Columns whose value is the position's, not the option's: each row must repeat it.
const POSITION_COLUMNS: [&str; 14] = [
    "action",
    "valid_from",
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
    "position_id",
];

impl Pending {
    pub(super) fn start(header: &Header, record: &csv::StringRecord, id: String) -> Self {
        let shared = POSITION_COLUMNS
            .iter()
            .map(|c| (*c, header.get(record, c).unwrap_or("").to_owned()))
            .collect();
        let action = header.get(record, "action").unwrap_or("");
        let (cancel, action_issue) = match action {
            "" | "upsert" => (false, None),
            "cancel" => (true, None),
            other => (false, Some(text::choice("action", other, "upsert, cancel"))),
        };
        Pending {
            id,
            cancel,
            shared,
            rows: Vec::new(),
            head: if cancel {
                Err(text::missing("debtor"))
            } else {
                head(header, record)
            },
            options: Vec::new(),
            issue: action_issue,
        }
    }

    pub(super) fn add(&mut self, header: &Header, record: &csv::StringRecord, row: u64, ente: &Ente) {
        let index_text = header.get(record, "option_index").unwrap_or("");
        let option_index = index_text.parse::<u32>().ok();
        self.rows.push(RowRef { row, option_index });
        if self.issue.is_some() {
            return;
        }
        if let Some(extra) = record.iter().skip(header.width).position(|cell| !cell.is_empty()) {
            self.issue = Some(RowIssue::new(
                "unknown_column",
                format!(
                    "riga {row}: la cella {} non ha una colonna nell'intestazione",
                    header.width + extra + 1
                ),
                format!(
                    "row {row}: cell {} has no column in the header",
                    header.width + extra + 1
                ),
            ));
            return;
        }
        for (name, first) in &self.shared {
            let here = header.get(record, name).unwrap_or("");
            if here != first {
                self.issue = Some(RowIssue::new(
                    "inconsistent_position",
                    format!(
                        "{name}: le righe della stessa posizione devono ripeterne il valore ({first:?} / {here:?})"
                    ),
                    format!("{name}: the rows of one position must repeat its value ({first:?} / {here:?})"),
                ));
                return;
            }
        }
        if self.cancel {
            return;
        }
        match option_row(header, record, ente) {
            Ok(option) => {
                let duplicate = self.options.iter().any(|o| o.instalment == option.instalment);
                if duplicate {
                    self.issue = Some(RowIssue::new(
                        "duplicate_key",
                        format!("option_index: l'opzione {index_text:?} della posizione compare due volte"),
                        format!("option_index: option {index_text:?} of the position appears twice"),
                    ));
                } else {
                    self.options.push(option);
                }
            }
            Err(issue) => self.issue = Some(issue),
        }
    }

    pub(super) fn finish(self) -> ImportItem {
        let content = self.content();
        ImportItem {
            rows: self.rows,
            position_id: self.id,
            content,
        }
    }

    fn content(&self) -> Result<ImportContent, RowIssue> {
        if let Some(issue) = &self.issue {
            return Err(issue.clone());
        }
        let iupd = text::iupd("position_id", &self.id)?;
        if self.cancel {
            return Ok(ImportContent::Cancel(iupd));
        }
        let head = self.head.as_ref().map_err(Clone::clone)?;
        let count = self.options.iter().filter(|o| o.instalment.is_some()).count();
        let of = u8::try_from(count).unwrap_or(u8::MAX);
        let mut ordered: Vec<&OptionRow> = self.options.iter().collect();
        ordered.sort_by_key(|o| o.instalment.map_or(0, u16::from));
        let mut allocate = BTreeSet::new();
        let mut options = Vec::with_capacity(ordered.len());
        for (at, row) in ordered.into_iter().enumerate() {
            let mut option = row.option.clone();
            option.instalment = row.instalment.map(|number| Instalment { number, of });
            if row.allocate {
                allocate.insert(at);
            }
            options.push(option);
        }
        let draft = PositionDraft {
            iupd,
            origin: Origin::Expected,
            debtor: head.debtor.clone(),
            description: head.description.clone(),
            options,
            expires_after_due_date: head.expires_after_due_date,
            valid_from: head.valid_from,
            metadata: Metadata::default(),
            publish: true,
        };
        Ok(ImportContent::Upsert(ImportDraft { draft, allocate }))
    }
}

fn head(header: &Header, record: &csv::StringRecord) -> Field<PositionHead> {
    let get = |name: &str| header.get(record, name);
    let code = text::fiscal_code(
        "debtor_fiscal_code",
        text::required("debtor_fiscal_code", get("debtor_fiscal_code"))?,
    )?;
    match (get("debtor_type").unwrap_or(""), code.kind()) {
        ("" | "F", FiscalCodeKind::Person) | ("" | "G", FiscalCodeKind::Entity) => {}
        (given @ ("F" | "G"), _) => {
            return Err(RowIssue::new(
                "debtor_type",
                format!("debtor_type: {given} non corrisponde al codice fiscale {code}"),
                format!("debtor_type: {given} does not match fiscal code {code}"),
            ));
        }
        (other, _) => return Err(text::choice("debtor_type", other, "F, G")),
    }
    let name = text::text::<70>("debtor_name", text::required("debtor_name", get("debtor_name"))?)?;
    let mut debtor = Subject::new(SubjectId::FiscalCode(code), name);
    debtor.street_name = text::optional(get("debtor_street"), |v| text::text("debtor_street", v))?;
    debtor.civic_number = text::optional(get("debtor_civic"), |v| text::text("debtor_civic", v))?;
    debtor.postal_code = text::optional(get("debtor_postal_code"), |v| text::text("debtor_postal_code", v))?;
    debtor.city = text::optional(get("debtor_city"), |v| text::text("debtor_city", v))?;
    debtor.province = text::optional(get("debtor_province"), |v| text::text("debtor_province", v))?;
    debtor.country = text::optional(get("debtor_country"), |v| text::country("debtor_country", v))?;
    debtor.email = text::optional(get("debtor_email"), |v| text::email("debtor_email", v))?;
    Ok(PositionHead {
        debtor,
        description: text::text("description", text::required("description", get("description"))?)?,
        expires_after_due_date: text::optional(get("expires_after_due_date"), |v| {
            text::boolean("expires_after_due_date", v)
        })?
        .unwrap_or(false),
        valid_from: text::optional(get("valid_from"), |v| text::instant("valid_from", v))?,
    })
}
