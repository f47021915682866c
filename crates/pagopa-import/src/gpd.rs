//! pagoPA GPD mass-upload files: the JSON GPD's mass upload takes,
//! `{"paymentPositions": [PaymentPosition…]}` (schemas `PaymentPositionModel`,
//! `PaymentOptionModel`, `TransferModel`, `Stamp` of GPD's OpenAPI), plain or as the one file of
//! a ZIP.
//!
//! The array is streamed: each position is parsed on its own into a [`serde_json::Value`] and
//! mapped, so memory does not grow with the file and a bad position is a row issue that never
//! stops the others. Only a file that is not that JSON shape at all (not JSON, no
//! `paymentPositions` array, other top-level keys, truncated) is a [`FileError`].
//!
//! Each position is one item whose rows are `(ordinal of the position, option index)`, one per
//! payment option; a position that cannot be read is one row with no option index. Field names in
//! the messages are paths inside the position (`paymentOption[1].transfer[0].iban`).

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use pagopa_domain::model::calendar::{is_italian_summer_time, italian_date};
use pagopa_domain::{
    AmountCents, DebtPosition, EnteId, FiscalCodeKind, ImportContent, ImportDraft, ImportItem, Instalment, Metadata,
    MetadataEntry, NoticeNumber, Origin, PaymentOption, PositionDraft, RowIssue, RowRef, StampRequest, Subject,
    SubjectId, Text, Transfer, TransferAccount,
};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::text::{self, Field};
use crate::{BytesRead, FileError, SeenIds, Sink};

/// The first bytes of a ZIP's first local file header.
const ZIP_MAGIC: [u8; 4] = *b"PK\x03\x04";
/// The first bytes of an empty ZIP (only the end of the central directory).
const EMPTY_ZIP_MAGIC: [u8; 4] = *b"PK\x05\x06";
/// A UTF-8 byte-order mark, which some editors write at the start of a JSON file.
const BOM: &[u8] = b"\xEF\xBB\xBF";

const POSITION_FIELDS: &[&str] = &[
    "iupd",
    "type",
    "payStandIn",
    "fiscalCode",
    "fullName",
    "streetName",
    "civicNumber",
    "postalCode",
    "city",
    "province",
    "region",
    "country",
    "email",
    "phone",
    "switchToExpired",
    "companyName",
    "officeName",
    "validityDate",
    "paymentDate",
    "status",
    "paymentOption",
];
const OPTION_FIELDS: &[&str] = &[
    "nav",
    "iuv",
    "amount",
    "description",
    "isPartialPayment",
    "dueDate",
    "retentionDate",
    "fee",
    "notificationFee",
    "transfer",
    "paymentOptionMetadata",
];
const TRANSFER_FIELDS: &[&str] = &[
    "idTransfer",
    "amount",
    "organizationFiscalCode",
    "remittanceInformation",
    "category",
    "iban",
    "postalIban",
    "stamp",
    "companyName",
    "transferMetadata",
];
const STAMP_FIELDS: &[&str] = &["hashDocument", "stampType", "provincialResidence"];
const METADATA_FIELDS: &[&str] = &["key", "value"];

/// Reads a GPD mass-upload file of `ente` (plain JSON, or a ZIP holding one JSON file), sending
/// one item per payment position to `sink` in file order; `sink` returning `false` stops the
/// reading (and `Ok` is returned). A transfer without `organizationFiscalCode` credits `ente`.
///
/// Progress counts the bytes of the file as read: for a ZIP, the position in the compressed file.
///
/// # Errors
///
/// [`FileError::Format`] when the file is not that JSON (or not a readable ZIP of exactly one
/// file), [`FileError::Io`] when it cannot be read; the items sent before stand.
pub fn read(mut file: File, ente: &EnteId, progress: &BytesRead, sink: &mut Sink<'_>) -> Result<(), FileError> {
    let mut magic = [0u8; 4];
    let mut filled = 0;
    while filled < magic.len() {
        match file.read(&mut magic[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    file.seek(SeekFrom::Start(0))?;
    if filled == magic.len() && magic == ZIP_MAGIC {
        read_zip(file, ente, progress, sink)
    } else if filled == magic.len() && magic == EMPTY_ZIP_MAGIC {
        Err(FileError::Format(
            "the ZIP file is empty: a GPD ZIP holds exactly one JSON file".into(),
        ))
    } else {
        read_json(crate::counting(file, progress), ente, sink, false)
    }
}

/// The file under a ZIP reader: tracks its position, and once `armed` (after the central
/// directory was read at the end of the file) reports it as progress.
struct Tracked {
    file: File,
    position: u64,
    progress: BytesRead,
    armed: Arc<AtomicBool>,
}

impl Read for Tracked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        self.position += n as u64;
        if self.armed.load(Ordering::Relaxed) {
            self.progress.0.store(self.position, Ordering::Relaxed);
        }
        Ok(n)
    }
}

impl Seek for Tracked {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.position = self.file.seek(to)?;
        Ok(self.position)
    }
}

fn zip_error(error: zip::result::ZipError) -> FileError {
    match error {
        zip::result::ZipError::Io(e) => FileError::Io(e),
        other => FileError::Format(format!("not a readable ZIP file: {other}")),
    }
}

fn read_zip(file: File, ente: &EnteId, progress: &BytesRead, sink: &mut Sink<'_>) -> Result<(), FileError> {
    let length = file.metadata()?.len();
    let armed = Arc::new(AtomicBool::new(false));
    let tracked = Tracked {
        file,
        position: 0,
        progress: progress.clone(),
        armed: Arc::clone(&armed),
    };
    let mut archive = zip::ZipArchive::new(BufReader::with_capacity(64 * 1024, tracked)).map_err(zip_error)?;
    // Folders and the `__MACOSX/` resource forks macOS adds are not files of the load.
    let mut files = Vec::new();
    for index in 0..archive.len() {
        let name = match archive.name_for_index(index) {
            Some(Ok(name)) => name.into_owned(),
            Some(Err(e)) => return Err(zip_error(e)),
            None => continue,
        };
        if !name.ends_with('/') && !name.starts_with("__MACOSX/") {
            files.push((index, name));
        }
    }
    let index = match files.as_slice() {
        [(index, _)] => *index,
        [] => {
            return Err(FileError::Format(
                "the ZIP file holds no file: a GPD ZIP holds exactly one JSON file".into(),
            ));
        }
        more => {
            let names: Vec<&str> = more.iter().map(|(_, name)| name.as_str()).collect();
            return Err(FileError::Format(format!(
                "the ZIP file holds {} files ({}): a GPD ZIP holds exactly one JSON file",
                names.len(),
                names.join(", ")
            )));
        }
    };
    let entry = archive.by_index(index).map_err(zip_error)?;
    armed.store(true, Ordering::Relaxed);
    read_json(BufReader::with_capacity(256 * 1024, entry), ente, sink, true)?;
    progress.0.store(length, Ordering::Relaxed);
    Ok(())
}

/// What the visitors share while the file is read.
struct State<'s, 'a> {
    ente: &'s EnteId,
    sink: &'s mut Sink<'a>,
    seen: SeenIds,
    /// The 1-based ordinal of the last position read.
    ordinal: u64,
    /// The sink asked to stop: the error that unwinds the parser is not the file's.
    stopped: bool,
}

fn read_json<R: BufRead>(mut reader: R, ente: &EnteId, sink: &mut Sink<'_>, zipped: bool) -> Result<(), FileError> {
    if reader.fill_buf()?.starts_with(BOM) {
        reader.consume(BOM.len());
    }
    let mut state = State {
        ente,
        sink,
        seen: SeenIds::default(),
        ordinal: 0,
        stopped: false,
    };
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let result = TopLevel { state: &mut state }
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end());
    match result {
        Ok(()) => Ok(()),
        Err(_) if state.stopped => Ok(()),
        Err(e) if e.is_io() => {
            let e = std::io::Error::from(e);
            if zipped {
                Err(FileError::Format(format!("the file in the ZIP cannot be read: {e}")))
            } else {
                Err(FileError::Io(e))
            }
        }
        Err(e) if e.is_eof() => Err(FileError::Format(format!(
            "the GPD file ends too early (is it truncated?): {e}"
        ))),
        Err(e) => Err(FileError::Format(format!("not a GPD mass-upload file: {e}"))),
    }
}

/// The top-level object.
struct TopLevel<'r, 's, 'a> {
    state: &'r mut State<'s, 'a>,
}

impl<'de> DeserializeSeed<'de> for TopLevel<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a JSON object {"paymentPositions": [...]}"#)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut positions = false;
        let mut unknown: Vec<String> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key != "paymentPositions" {
                unknown.push(key);
                map.next_value::<IgnoredAny>()?;
            } else if positions {
                return Err(de::Error::custom("the key paymentPositions appears twice"));
            } else {
                positions = true;
                if unknown.is_empty() {
                    map.next_value_seed(Positions {
                        state: &mut *self.state,
                    })?;
                } else {
                    // The file will be refused: do not send its positions.
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !unknown.is_empty() {
            return Err(de::Error::custom(format!(
                "unknown top-level key(s) {} (a GPD file has only paymentPositions)",
                unknown.iter().map(|k| format!("{k:?}")).collect::<Vec<_>>().join(", ")
            )));
        }
        if !positions {
            return Err(de::Error::custom("the key paymentPositions is missing"));
        }
        Ok(())
    }
}

/// The `paymentPositions` array.
struct Positions<'r, 's, 'a> {
    state: &'r mut State<'s, 'a>,
}

impl<'de> DeserializeSeed<'de> for Positions<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Positions<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("paymentPositions: an array of payment positions")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let state = self.state;
        let mut repeated = None;
        while let Some(value) = seq.next_element_seed(Checked {
            repeated: &mut repeated,
        })? {
            state.ordinal += 1;
            let item = match repeated.take() {
                Some(key) => {
                    let position_id = value.get("iupd").and_then(Value::as_str).unwrap_or_default().to_owned();
                    // A later position with this id is still a repeat.
                    state.seen.first_time(&position_id);
                    ImportItem {
                        rows: vec![RowRef {
                            row: state.ordinal,
                            option_index: None,
                        }],
                        position_id,
                        content: Err(issue(
                            "invalid_json",
                            &key,
                            "chiave ripetuta in un oggetto della posizione",
                            "the key appears twice in one object of the position",
                        )),
                    }
                }
                None => item(state.ordinal, &value, state.ente, &mut state.seen),
            };
            if !(state.sink)(item) {
                state.stopped = true;
                return Err(de::Error::custom("stopped by the consumer"));
            }
        }
        Ok(())
    }
}

/// A JSON value as [`Value`] reads it, except that a key repeated in one of its objects is noted
/// in `repeated` (serde_json would keep the last silently, dropping what came before).
struct Checked<'r> {
    repeated: &'r mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for Checked<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Checked<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(Checked {
            repeated: &mut *self.repeated,
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Checked {
                repeated: &mut *self.repeated,
            })?;
            if object.contains_key(&key) && self.repeated.is_none() {
                *self.repeated = Some(key.clone());
            }
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// The item of the `row`-th position.
fn item(row: u64, value: &Value, ente: &EnteId, seen: &mut SeenIds) -> ImportItem {
    let position_id = value.get("iupd").and_then(Value::as_str).unwrap_or_default().to_owned();
    match position(value, ente, seen) {
        Ok((draft, indexes)) => ImportItem {
            rows: indexes
                .into_iter()
                .map(|index| RowRef {
                    row,
                    option_index: Some(index),
                })
                .collect(),
            position_id,
            content: Ok(ImportContent::Upsert(ImportDraft::complete(draft))),
        },
        Err(issue) => ImportItem {
            rows: vec![RowRef {
                row,
                option_index: None,
            }],
            position_id,
            content: Err(issue),
        },
    }
}

fn issue(code: &'static str, field: &str, italian: impl fmt::Display, english: impl fmt::Display) -> RowIssue {
    RowIssue::new(code, format!("{field}: {italian}"), format!("{field}: {english}"))
}

/// A field GPD has and we do not.
fn unsupported(field: &str, italian: &str, english: &str) -> RowIssue {
    issue("gpd_unsupported_field", field, italian, english)
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A field of another JSON type than the model's.
fn wrong_type(field: &str, italian: &str, english: &str, found: &Value) -> RowIssue {
    let kind = json_kind(found);
    issue(
        "invalid_value",
        field,
        format!("atteso {italian}, trovato {kind}"),
        format!("expected {english}, found {kind}"),
    )
}

/// An object of the file and its path inside the position (empty for the position itself).
struct Obj<'v> {
    map: &'v Map<String, Value>,
    at: String,
}

impl<'v> Obj<'v> {
    fn new(value: &'v Value, at: String) -> Field<Self> {
        match value {
            Value::Object(map) => Ok(Self { map, at }),
            other => {
                let field = if at.is_empty() {
                    "paymentPositions[]"
                } else {
                    at.as_str()
                };
                Err(wrong_type(field, "un oggetto JSON", "a JSON object", other))
            }
        }
    }

    fn path(&self, key: &str) -> String {
        if self.at.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.at)
        }
    }

    /// Refuses a key the model does not have.
    fn only(&self, known: &[&str]) -> Field<()> {
        match self.map.keys().find(|k| !known.contains(&k.as_str())) {
            Some(key) => Err(issue(
                "gpd_unknown_field",
                &self.path(key),
                "campo sconosciuto al modello GPD",
                "not a field of the GPD model",
            )),
            None => Ok(()),
        }
    }

    /// The value, unless absent or `null`.
    fn get(&self, key: &str) -> Option<&'v Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A string; absent, `null` and `""` are `None`.
    fn string(&self, key: &str) -> Field<Option<&'v str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(wrong_type(&self.path(key), "un testo", "a string", other)),
        }
    }

    fn required(&self, key: &str) -> Field<&'v str> {
        text::required(&self.path(key), self.string(key)?)
    }

    fn text<const MAX: usize>(&self, key: &str) -> Field<Option<Text<MAX>>> {
        self.string(key)?
            .map(|raw| text::text(&self.path(key), raw))
            .transpose()
    }

    fn required_text<const MAX: usize>(&self, key: &str) -> Field<Text<MAX>> {
        text::text(&self.path(key), self.required(key)?)
    }

    fn boolean(&self, key: &str) -> Field<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(issue(
                "invalid_boolean",
                &self.path(key),
                format!("atteso true o false, trovato {}", json_kind(other)),
                format!("expected true or false, found {}", json_kind(other)),
            )),
        }
    }

    fn required_boolean(&self, key: &str) -> Field<bool> {
        self.boolean(key)?.ok_or_else(|| text::missing(&self.path(key)))
    }

    /// An integer number of cents, required.
    fn amount(&self, key: &str) -> Field<AmountCents> {
        let field = self.path(key);
        match self.get(key) {
            None => Err(text::missing(&field)),
            Some(Value::Number(n)) => text::amount(&field, &n.to_string()),
            Some(other) => Err(issue(
                "invalid_amount",
                &field,
                format!("atteso un numero intero di centesimi, trovato {}", json_kind(other)),
                format!("expected a whole number of cents, found {}", json_kind(other)),
            )),
        }
    }

    /// An array; absent and `null` are empty.
    fn array(&self, key: &str) -> Field<&'v [Value]> {
        match self.get(key) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(wrong_type(&self.path(key), "un elenco JSON", "a JSON array", other)),
        }
    }

    fn object(&self, key: &str) -> Field<Option<Obj<'v>>> {
        self.get(key).map(|value| Obj::new(value, self.path(key))).transpose()
    }
}

/// The local time in Italy `local` as an instant.
fn from_italian_time(local: NaiveDateTime) -> DateTime<Utc> {
    let summer = (local - Duration::hours(2)).and_utc();
    if is_italian_summer_time(summer) {
        summer
    } else {
        (local - Duration::hours(1)).and_utc()
    }
}

/// What GPD's `date-time` fields hold: RFC 3339 with an offset (`2026-12-31T23:59:59+01:00`,
/// `…Z`), or a local time in Italy without one (`2026-12-31T23:59:59.999`), or a bare date.
enum GpdTime {
    Instant(DateTime<Utc>),
    Local(NaiveDateTime),
}

fn gpd_time(field: &str, raw: &str) -> Field<GpdTime> {
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(GpdTime::Instant(at.with_timezone(&Utc)));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(local) = NaiveDateTime::parse_from_str(raw, format) {
            return Ok(GpdTime::Local(local));
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(GpdTime::Local(date.and_time(chrono::NaiveTime::MIN)));
    }
    Err(issue(
        "invalid_date",
        field,
        format!("data e ora {raw:?} non valida (AAAA-MM-GGThh:mm:ss, con o senza fuso orario)"),
        format!("{raw:?} is not a date-time (YYYY-MM-DDThh:mm:ss, with or without an offset)"),
    ))
}

/// A due date: the calendar day in Italy of the instant.
fn due_date(field: &str, raw: &str) -> Field<NaiveDate> {
    Ok(match gpd_time(field, raw)? {
        GpdTime::Instant(at) => italian_date(at),
        GpdTime::Local(local) => local.date(),
    })
}

fn instant(field: &str, raw: &str) -> Field<DateTime<Utc>> {
    Ok(match gpd_time(field, raw)? {
        GpdTime::Instant(at) => at,
        GpdTime::Local(local) => from_italian_time(local),
    })
}

/// The draft of a position and the option index of each of its options, in file order.
fn position(value: &Value, ente: &EnteId, seen: &mut SeenIds) -> Field<(PositionDraft, Vec<u32>)> {
    let obj = Obj::new(value, String::new())?;
    obj.only(POSITION_FIELDS)?;
    let iupd = text::iupd("iupd", obj.required("iupd")?)?;
    if !seen.first_time(iupd.as_str()) {
        return Err(issue(
            "duplicate_key",
            "iupd",
            "posizione già presente nel file",
            "the position appears twice in the file",
        ));
    }
    let debtor = debtor(&obj)?;
    for field in ["phone", "region", "officeName"] {
        if obj.string(field)?.is_some() {
            return Err(unsupported(
                field,
                "campo non gestito: va omesso o lasciato vuoto",
                "not supported here: leave it out or empty",
            ));
        }
    }
    if obj.string("paymentDate")?.is_some() {
        return Err(unsupported(
            "paymentDate",
            "una posizione già pagata non si può caricare",
            "a paid position cannot be loaded",
        ));
    }
    if obj.boolean("payStandIn")? == Some(false) {
        return Err(unsupported(
            "payStandIn",
            "l'esclusione dallo stand-in non è gestita (true o assente)",
            "opting out of stand-in is not supported (true or absent)",
        ));
    }
    let publish = match obj.string("status")? {
        None | Some("VALID" | "PUBLISHED") => true,
        Some("DRAFT") => false,
        Some(status @ ("INVALID" | "EXPIRED" | "PARTIALLY_PAID" | "PAID" | "REPORTED")) => {
            return Err(issue(
                "gpd_status",
                "status",
                format!("una posizione nello stato {status} non si può caricare (DRAFT, VALID o PUBLISHED)"),
                format!("a position in status {status} cannot be loaded (DRAFT, VALID or PUBLISHED)"),
            ));
        }
        Some(other) => return Err(text::choice("status", other, "DRAFT, VALID, PUBLISHED")),
    };
    let expires_after_due_date = obj.required_boolean("switchToExpired")?;
    let valid_from = obj
        .string("validityDate")?
        .map(|raw| instant("validityDate", raw))
        .transpose()?;
    let (options, indexes) = options(&obj, ente)?;
    let description = options.first().map(|o| o.description.clone()).ok_or_else(no_options)?;
    let draft = PositionDraft {
        iupd,
        origin: Origin::Expected,
        debtor,
        description,
        options,
        expires_after_due_date,
        valid_from,
        metadata: Metadata::default(),
        publish,
    };
    Ok((draft, indexes))
}

fn no_options() -> RowIssue {
    issue(
        "no_options",
        "paymentOption",
        "la posizione non ha opzioni di pagamento",
        "the position has no payment option",
    )
}

fn debtor(obj: &Obj<'_>) -> Field<Subject> {
    let kind = match obj.required("type")? {
        "F" => FiscalCodeKind::Person,
        "G" => FiscalCodeKind::Entity,
        other => return Err(text::choice("type", other, "F, G")),
    };
    let code = text::fiscal_code("fiscalCode", obj.required("fiscalCode")?)?;
    if code.kind() != kind {
        let (italian, english) = match kind {
            FiscalCodeKind::Person => (
                "il tipo F (persona fisica) vuole un codice fiscale di 16 caratteri",
                "type F (natural person) needs a 16-character fiscal code",
            ),
            FiscalCodeKind::Entity => (
                "il tipo G (persona giuridica) vuole un codice fiscale di 11 cifre",
                "type G (legal person) needs an 11-digit fiscal code",
            ),
        };
        return Err(issue("debtor_type", "type", italian, english));
    }
    let mut subject = Subject::new(SubjectId::FiscalCode(code), obj.required_text("fullName")?);
    subject.street_name = obj.text("streetName")?;
    subject.civic_number = obj.text("civicNumber")?;
    subject.postal_code = obj.text("postalCode")?;
    subject.city = obj.text("city")?;
    subject.province = obj.text("province")?;
    subject.country = obj
        .string("country")?
        .map(|raw| text::country(&obj.path("country"), raw))
        .transpose()?;
    subject.email = obj
        .string("email")?
        .map(|raw| text::email(&obj.path("email"), raw))
        .transpose()?;
    Ok(subject)
}

/// The options in their stored order (the single solution, then the instalments by number) and
/// the option index of each, in file order.
fn options(obj: &Obj<'_>, ente: &EnteId) -> Field<(Vec<PaymentOption>, Vec<u32>)> {
    let raw = obj.array("paymentOption")?;
    if raw.is_empty() {
        return Err(no_options());
    }
    if raw.len() > DebtPosition::MAX_OPTIONS {
        return Err(issue(
            "too_many_options",
            "paymentOption",
            format!(
                "{} opzioni di pagamento, al massimo {}",
                raw.len(),
                DebtPosition::MAX_OPTIONS
            ),
            format!("{} payment options, at most {}", raw.len(), DebtPosition::MAX_OPTIONS),
        ));
    }
    let mut read = Vec::with_capacity(raw.len());
    for (i, value) in raw.iter().enumerate() {
        read.push(option(i, value, ente)?);
    }
    let mut singles = read
        .iter()
        .enumerate()
        .filter(|(_, (partial, _))| !partial)
        .map(|(i, _)| i);
    if let (Some(_), Some(second)) = (singles.next(), singles.next()) {
        return Err(issue(
            "instalments",
            &format!("paymentOption[{second}].isPartialPayment"),
            "più di una soluzione unica (isPartialPayment false)",
            "more than one single solution (isPartialPayment false)",
        ));
    }
    // Instalments are numbered by due date; a stable sort keeps file order between equal dates.
    let mut plan: Vec<usize> = (0..read.len()).filter(|&i| read[i].0).collect();
    plan.sort_by_key(|&i| read[i].1.due_date);
    // At most MAX_OPTIONS (100) options, checked above.
    let of = u8::try_from(plan.len()).unwrap_or(u8::MAX);
    let mut indexes = vec![0u32; read.len()];
    for (number, &i) in (1..=of).zip(&plan) {
        read[i].1.instalment = Some(Instalment { number, of });
        indexes[i] = u32::from(number);
    }
    let mut options: Vec<PaymentOption> = read.into_iter().map(|(_, option)| option).collect();
    options.sort_by_key(|o| o.instalment.map_or(0, |i| i.number));
    Ok((options, indexes))
}

/// The `i`-th option of the file (its instalment is set later) and whether it is an instalment.
fn option(i: usize, value: &Value, ente: &EnteId) -> Field<(bool, PaymentOption)> {
    let obj = Obj::new(value, format!("paymentOption[{i}]"))?;
    obj.only(OPTION_FIELDS)?;
    let partial = obj.required_boolean("isPartialPayment")?;
    let notice_number = notice_number(&obj)?;
    let amount = obj.amount("amount")?;
    let description = obj.required_text("description")?;
    let due_date = due_date(&obj.path("dueDate"), obj.required("dueDate")?)?;
    if obj.string("retentionDate")?.is_some() {
        return Err(unsupported(
            &obj.path("retentionDate"),
            "la data di conservazione non è gestita",
            "a retention date is not supported",
        ));
    }
    for fee in ["fee", "notificationFee"] {
        match obj.get(fee) {
            None => {}
            Some(Value::Number(n)) if n.as_u64() == Some(0) => {}
            Some(_) => {
                return Err(unsupported(
                    &obj.path(fee),
                    "commissioni a carico del debitore non gestite (0 o assente)",
                    "fees charged to the debtor are not supported (0 or absent)",
                ));
            }
        }
    }
    let transfers = transfers(&obj, ente)?;
    let metadata = metadata(&obj, "paymentOptionMetadata")?;
    Ok((
        partial,
        PaymentOption {
            notice_number,
            amount,
            description,
            due_date,
            instalment: None,
            transfers,
            metadata,
            payment: None,
        },
    ))
}

/// `nav`, else `3` and a 17-digit `iuv`; when both are given the nav's IUV must be the iuv.
fn notice_number(obj: &Obj<'_>) -> Field<NoticeNumber> {
    let iuv = obj.string("iuv")?;
    if let Some(nav) = obj.string("nav")? {
        let notice = text::notice_number(&obj.path("nav"), nav)?;
        if let Some(iuv) = iuv
            && iuv != notice.iuv().as_str()
        {
            return Err(issue(
                "gpd_iuv_mismatch",
                &obj.path("iuv"),
                format!("lo IUV {iuv:?} non è quello del nav {nav:?} ({})", notice.iuv()),
                format!("IUV {iuv:?} is not the IUV of nav {nav:?} ({})", notice.iuv()),
            ));
        }
        return Ok(notice);
    }
    let field = obj.path("iuv");
    let iuv = text::required(&field, iuv)?;
    let notice = (iuv.len() == 17 && iuv.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("3{iuv}").parse::<NoticeNumber>().ok())
        .flatten();
    notice.ok_or_else(|| {
        issue(
            "invalid_notice_number",
            &field,
            format!("senza nav, lo IUV {iuv:?} deve avere 17 cifre e, preceduto da 3, dare un numero avviso valido"),
            format!("without a nav, IUV {iuv:?} must be 17 digits that make a valid notice number after a 3"),
        )
    })
}

fn transfers(obj: &Obj<'_>, ente: &EnteId) -> Field<Vec<Transfer>> {
    let raw = obj.array("transfer")?;
    let mut transfers = Vec::with_capacity(raw.len());
    for (j, value) in raw.iter().enumerate() {
        transfers.push(transfer(Obj::new(value, obj.path(&format!("transfer[{j}]")))?, ente)?);
    }
    transfers.sort_by_key(|t| t.id);
    if transfers.iter().enumerate().any(|(k, t)| usize::from(t.id) != k + 1) {
        return Err(issue(
            "transfer_ids",
            &obj.path("transfer"),
            "gli idTransfer devono essere 1, 2, … senza salti né ripetizioni",
            "the idTransfer values must be 1, 2, … with no gap or repetition",
        ));
    }
    Ok(transfers)
}

fn transfer(obj: Obj<'_>, ente: &EnteId) -> Field<Transfer> {
    obj.only(TRANSFER_FIELDS)?;
    let id_field = obj.path("idTransfer");
    let id = match obj.get("idTransfer") {
        None => return Err(text::missing(&id_field)),
        Some(Value::String(s)) if s.is_empty() => return Err(text::missing(&id_field)),
        Some(Value::String(s)) => s.parse::<u8>().ok(),
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u8::try_from(n).ok()),
        Some(_) => None,
    }
    .filter(|id| (1..=5).contains(id));
    let Some(id) = id else {
        let raw = obj.get("idTransfer").map(Value::to_string).unwrap_or_default();
        return Err(text::choice(&id_field, &raw, "1, 2, 3, 4, 5"));
    };
    let amount = obj.amount("amount")?;
    let beneficiary = match obj.string("organizationFiscalCode")? {
        None => ente.clone(),
        Some(raw) => text::ente(&obj.path("organizationFiscalCode"), raw)?,
    };
    let remittance = obj.required_text("remittanceInformation")?;
    let category = text::category(&obj.path("category"), obj.required("category")?)?;
    let iban = obj.string("iban")?;
    let postal = obj.string("postalIban")?;
    let account = match (iban, obj.object("stamp")?) {
        (Some(iban), None) => TransferAccount::Iban {
            iban: text::iban(&obj.path("iban"), iban)?,
            postal_alternative: postal.map(|p| text::iban(&obj.path("postalIban"), p)).transpose()?,
        },
        (None, Some(stamp)) if postal.is_none() => TransferAccount::Stamp(stamp_request(&stamp)?),
        (None, Some(_)) => {
            return Err(issue(
                "transfer_account",
                &obj.path("postalIban"),
                "postalIban non si combina con stamp",
                "postalIban cannot go with stamp",
            ));
        }
        (None, None) => {
            return Err(issue(
                "transfer_account",
                &obj.path("iban"),
                "serve iban oppure stamp",
                "either iban or stamp is needed",
            ));
        }
        (Some(_), Some(_)) => {
            return Err(issue(
                "transfer_account",
                &obj.path("stamp"),
                "iban e stamp si escludono a vicenda",
                "iban and stamp are mutually exclusive",
            ));
        }
    };
    Ok(Transfer {
        id,
        ente: beneficiary,
        company_name: obj.text("companyName")?,
        amount,
        account,
        remittance,
        category,
        metadata: metadata(&obj, "transferMetadata")?,
    })
}

fn stamp_request(obj: &Obj<'_>) -> Field<StampRequest> {
    obj.only(STAMP_FIELDS)?;
    Ok(StampRequest {
        document_hash: obj.required_text("hashDocument")?,
        stamp_type: obj.required_text("stampType")?,
        province: text::province(&obj.path("provincialResidence"), obj.required("provincialResidence")?)?,
    })
}

/// A `[{"key": …, "value": …}]` list: at most 15 entries, keys not repeated.
fn metadata(obj: &Obj<'_>, key: &str) -> Field<Metadata> {
    let raw = obj.array(key)?;
    let field = obj.path(key);
    if raw.len() > Metadata::MAX_ENTRIES {
        return Err(issue(
            "too_many_metadata",
            &field,
            format!("{} voci, al massimo {}", raw.len(), Metadata::MAX_ENTRIES),
            format!("{} entries, at most {}", raw.len(), Metadata::MAX_ENTRIES),
        ));
    }
    let mut entries: Vec<MetadataEntry> = Vec::with_capacity(raw.len());
    for (k, value) in raw.iter().enumerate() {
        let entry = Obj::new(value, format!("{field}[{k}]"))?;
        entry.only(METADATA_FIELDS)?;
        let key: Text<140> = entry.required_text("key")?;
        if entries.iter().any(|e| e.key == key) {
            return Err(issue(
                "duplicate_metadata_key",
                &entry.path("key"),
                format!("chiave {key} ripetuta"),
                format!("key {key} is repeated"),
            ));
        }
        entries.push(MetadataEntry {
            key,
            value: entry.required_text("value")?,
        });
    }
    Metadata::try_from(entries).map_err(|e| issue("too_many_metadata", &field, "troppe voci", e))
}
