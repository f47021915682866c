//! CSV files: RFC 4180, UTF-8 (a BOM is skipped), `,` or `;` as found in the header line, one
//! row per payment option; the adjacent rows with the same `position_id` form one position.

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, Read};

use pagopa_domain::{
    Ente, FiscalCodeKind, ImportContent, ImportDraft, ImportItem, Instalment, Metadata, NoticeNumber, Origin,
    PaymentOption, PositionDraft, RowIssue, RowRef, StampRequest, Subject, SubjectId, Text, Transfer, TransferAccount,
};

use crate::text::{self, Field};
use crate::{FileError, SeenIds, Sink};

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
const MAX_TRANSFER_COLUMNS: usize = 9;

/// A column of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Column {
    Named(&'static str),
    Transfer(usize, &'static str),
    Meta(String),
}

/// Where each column is in a row.
struct Header {
    named: HashMap<&'static str, usize>,
    transfers: Vec<HashMap<&'static str, usize>>,
    meta: Vec<(String, usize)>,
    width: usize,
}

impl Header {
    fn parse(names: &csv::StringRecord) -> Result<Self, FileError> {
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

    fn get<'r>(&self, record: &'r csv::StringRecord, name: &str) -> Option<&'r str> {
        self.named.get(name).and_then(|&at| record.get(at))
    }

    fn transfer<'r>(&self, record: &'r csv::StringRecord, n: usize, name: &str) -> Option<&'r str> {
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

/// Checks the header line of a CSV file (its first bytes, up to the first line break), as a
/// load would read it: the API refuses an upload whose columns cannot be loaded at once.
///
/// # Errors
///
/// [`FileError::Header`] naming what is wrong.
pub fn check_header(head: &[u8]) -> Result<(), FileError> {
    let end = head.iter().position(|b| *b == b'\n').map_or(head.len(), |at| at + 1);
    let (line, delimiter) = header_line(&head[..end])?;
    let mut csv = reader_of(delimiter, line);
    header_of(&mut csv).map(|_| ())
}

/// The header line without its byte-order mark, and the delimiter it uses: `;` when it has
/// more semicolons than commas.
pub(crate) fn header_line(first: &[u8]) -> Result<(&[u8], u8), FileError> {
    let line = first.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(first);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Err(FileError::Header(
            "the file is empty: the first line must name the columns".into(),
        ));
    }
    let commas = line.iter().filter(|b| **b == b',').count();
    let semicolons = line.iter().filter(|b| **b == b';').count();
    Ok((line, if semicolons > commas { b';' } else { b',' }))
}

fn reader_of<R: Read>(delimiter: u8, input: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(input)
}

fn header_of<R: Read>(csv: &mut csv::Reader<R>) -> Result<Header, FileError> {
    let names = csv
        .headers()
        .map_err(|e| FileError::Header(format!("the header line cannot be read: {e}")))?;
    let names = csv::StringRecord::from_iter(names.iter().map(str::trim));
    Header::parse(&names)
}

/// Reads a CSV file of `ente`'s positions into `sink`.
///
/// # Errors
///
/// [`FileError`] for a header with unknown, repeated or missing columns, for bytes that are not
/// UTF-8 in the header, and for read failures. A row that is not UTF-8 or has more cells than
/// the header is refused on its own.
pub fn read(mut reader: impl BufRead, ente: &Ente, sink: &mut Sink<'_>) -> Result<(), FileError> {
    let mut first = Vec::new();
    reader.read_until(b'\n', &mut first)?;
    let (line, delimiter) = header_line(&first)?;
    let mut csv = reader_of(delimiter, std::io::Cursor::new(line.to_vec()).chain(reader));
    let header = header_of(&mut csv)?;
    let mut seen = SeenIds::default();
    let mut pending: Option<Pending> = None;
    let mut record = csv::ByteRecord::new();
    loop {
        let row = csv.position().line();
        let more = match csv.read_byte_record(&mut record) {
            Ok(more) => more,
            Err(e) => match e.kind() {
                csv::ErrorKind::Io(_) => return Err(FileError::Io(std::io::Error::other(e.to_string()))),
                _ => {
                    // A malformed row (an unclosed quote): refused alone, the file goes on.
                    if let Some(done) = pending.take()
                        && !sink(done.finish())
                    {
                        return Ok(());
                    }
                    let issue = RowIssue::new(
                        "malformed_row",
                        format!("riga non leggibile come CSV: {e}"),
                        format!("the row is not valid CSV: {e}"),
                    );
                    if !sink(lone(row, String::new(), issue)) {
                        return Ok(());
                    }
                    continue;
                }
            },
        };
        if !more {
            break;
        }
        if record.iter().all(|cell| cell.is_empty()) {
            continue;
        }
        let row = record.position().map_or(row, |p| p.line());
        let record = match csv::StringRecord::from_byte_record(record.clone()) {
            Ok(text) => text,
            Err(_) => {
                let issue = RowIssue::new(
                    "invalid_encoding",
                    "la riga non è testo UTF-8",
                    "the row is not UTF-8 text",
                );
                if let Some(done) = pending.take()
                    && !sink(done.finish())
                {
                    return Ok(());
                }
                if !sink(lone(row, String::new(), issue)) {
                    return Ok(());
                }
                continue;
            }
        };
        let id = header.get(&record, "position_id").unwrap_or("").to_owned();
        if pending.as_ref().is_some_and(|p| p.id == id && !id.is_empty()) {
            if let Some(p) = pending.as_mut() {
                p.add(&header, &record, row, ente);
            }
            continue;
        }
        if let Some(done) = pending.take()
            && !sink(done.finish())
        {
            return Ok(());
        }
        if id.is_empty() {
            if !sink(lone(row, id, text::missing("position_id"))) {
                return Ok(());
            }
            continue;
        }
        if !seen.first_time(&id) {
            let issue = RowIssue::new(
                "duplicate_key",
                "position_id: la posizione compare già in righe precedenti non adiacenti (le righe di una posizione vanno messe di seguito)",
                "position_id: the position already appeared in earlier, non-adjacent rows (the rows of a position must be adjacent)",
            );
            if !sink(lone(row, id, issue)) {
                return Ok(());
            }
            continue;
        }
        let mut started = Pending::start(&header, &record, id);
        started.add(&header, &record, row, ente);
        pending = Some(started);
    }
    if let Some(done) = pending.take() {
        sink(done.finish());
    }
    Ok(())
}

fn lone(row: u64, position_id: String, issue: RowIssue) -> ImportItem {
    ImportItem {
        rows: vec![RowRef {
            row,
            option_index: None,
        }],
        position_id,
        content: Err(issue),
    }
}

/// The option a row describes, with its place in the position.
struct OptionRow {
    instalment: Option<u8>,
    option: PaymentOption,
    allocate: bool,
}

/// A position whose rows are being read.
struct Pending {
    id: String,
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
    fn start(header: &Header, record: &csv::StringRecord, id: String) -> Self {
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

    fn add(&mut self, header: &Header, record: &csv::StringRecord, row: u64, ente: &Ente) {
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

    fn finish(self) -> ImportItem {
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

fn option_row(header: &Header, record: &csv::StringRecord, ente: &Ente) -> Field<OptionRow> {
    let get = |name: &str| header.get(record, name);
    let index = get("option_index").unwrap_or("");
    let instalment = match get("option_kind").unwrap_or("") {
        "" | "single" => match index {
            "" | "0" => None,
            other => {
                return Err(RowIssue::new(
                    "invalid_option_index",
                    format!("option_index: la soluzione unica ha indice 0, non {other:?}"),
                    format!("option_index: the single solution has index 0, not {other:?}"),
                ));
            }
        },
        "instalment" => match index.parse::<u8>() {
            Ok(n) if n >= 1 => Some(n),
            _ => {
                return Err(RowIssue::new(
                    "invalid_option_index",
                    format!("option_index: una rata ha indice da 1 a 100, non {index:?}"),
                    format!("option_index: an instalment has index 1 to 100, not {index:?}"),
                ));
            }
        },
        other => return Err(text::choice("option_kind", other, "single, instalment")),
    };
    let notice = text::optional(get("notice_number"), |v| text::notice_number("notice_number", v))?;
    let amount = text::amount("amount_cents", text::required("amount_cents", get("amount_cents"))?)?;
    let due_date = text::date("due_date", text::required("due_date", get("due_date"))?)?;
    let description: Text<140> = text::text("description", text::required("description", get("description"))?)?;
    let given: Vec<usize> = (1..=MAX_TRANSFER_COLUMNS)
        .filter(|n| {
            TRANSFER_COLUMNS
                .iter()
                .any(|c| header.transfer(record, *n, c).is_some())
        })
        .collect();
    if given.len() > 5 || given.iter().any(|n| *n > 5) {
        return Err(RowIssue::new(
            "transfer_count",
            format!(
                "un'opzione ha da 1 a 5 trasferimenti, non {}",
                given.iter().max().unwrap_or(&0)
            ),
            format!(
                "an option has 1 to 5 transfers, not {}",
                given.iter().max().unwrap_or(&0)
            ),
        ));
    }
    let count = given.iter().max().copied().unwrap_or(1);
    let mut transfers = Vec::with_capacity(count);
    for n in 1..=count {
        transfers.push(transfer(header, record, n, count, ente, amount, &description)?);
    }
    let mut metadata = Metadata::default();
    for (key, at) in &header.meta {
        let Some(value) = record.get(*at).filter(|v| !v.is_empty()) else {
            continue;
        };
        let column = format!("meta_{key}");
        let key = text::text::<140>(&column, key)?;
        let value = text::text::<140>(&column, value)?;
        metadata.insert(key, value).map_err(|e| {
            RowIssue::new(
                "too_many_metadata",
                format!("{column}: al massimo {} metadati per opzione", Metadata::MAX_ENTRIES),
                format!("{column}: {e}"),
            )
        })?;
    }
    let allocate = notice.is_none();
    Ok(OptionRow {
        instalment,
        option: PaymentOption {
            notice_number: notice.unwrap_or_else(placeholder),
            amount,
            description,
            due_date,
            instalment: None,
            transfers,
            metadata,
            payment: None,
        },
        allocate,
    })
}

/// The notice number of an option the file left without one; the load replaces it.
fn placeholder() -> NoticeNumber {
    static PLACEHOLDER: std::sync::OnceLock<NoticeNumber> = std::sync::OnceLock::new();
    PLACEHOLDER
        .get_or_init(|| {
            NoticeNumber::build(pagopa_domain::NoticeLayout::Aux2, 0)
                .unwrap_or_else(|_| unreachable!("base 0 is a valid notice base"))
        })
        .clone()
}

fn transfer(
    header: &Header,
    record: &csv::StringRecord,
    n: usize,
    count: usize,
    ente: &Ente,
    option_amount: pagopa_domain::AmountCents,
    description: &Text<140>,
) -> Field<Transfer> {
    let get = |c: &str| header.transfer(record, n, c);
    let name = |c: &str| format!("t{n}_{c}");
    let beneficiary = match get("ente") {
        Some(v) => text::ente(&name("ente"), v)?,
        None if n == 1 => ente.id.clone(),
        None => return Err(text::missing(&name("ente"))),
    };
    let amount = match get("amount_cents") {
        Some(v) => text::amount(&name("amount_cents"), v)?,
        // A single transfer takes the whole amount.
        None if count == 1 => option_amount,
        None => return Err(text::missing(&name("amount_cents"))),
    };
    let account = match (get("iban"), get("stamp_hash")) {
        (Some(_), Some(_)) => {
            return Err(RowIssue::new(
                "transfer_account",
                format!("t{n}: IBAN e marca da bollo sono alternativi"),
                format!("t{n}: an IBAN and a digital stamp exclude each other"),
            ));
        }
        (None, Some(hash)) => TransferAccount::Stamp(StampRequest {
            document_hash: text::text(&name("stamp_hash"), hash)?,
            stamp_type: text::text(&name("stamp_type"), get("stamp_type").unwrap_or("01"))?,
            province: text::province(
                &name("stamp_province"),
                text::required(&name("stamp_province"), get("stamp_province"))?,
            )?,
        }),
        (iban, None) => {
            let iban = match iban {
                Some(v) => text::iban(&name("iban"), v)?,
                None if beneficiary == ente.id => ente.bank_iban.clone(),
                None => return Err(text::missing(&name("iban"))),
            };
            let postal_alternative = text::optional(get("postal_iban"), |v| text::iban(&name("postal_iban"), v))?;
            TransferAccount::Iban {
                iban,
                postal_alternative,
            }
        }
    };
    Ok(Transfer {
        id: u8::try_from(n).unwrap_or(u8::MAX),
        ente: beneficiary,
        company_name: None,
        amount,
        account,
        remittance: match get("remittance") {
            Some(v) => text::text(&name("remittance"), v)?,
            None => description.clone(),
        },
        category: text::category(&name("category"), text::required(&name("category"), get("category"))?)?,
        metadata: Metadata::default(),
    })
}
