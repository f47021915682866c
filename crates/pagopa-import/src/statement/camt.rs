//! ISO 20022 `camt.053` (BankToCustomerStatement), versions `001.02` to `001.08`.
//!
//! The document is read as a stream; each `Ntry` is gathered into a small tree and turned into
//! its credits when it ends, so memory follows the credits kept, not the file. Elements are
//! matched by local name, whatever their prefix; the root's namespace must be a `camt.053`.

use chrono::NaiveDate;
use pagopa_domain::BankCredit;
use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

use super::{StatementError, parse_cents, push};

/// The namespaces read: `urn:iso:std:iso:20022:tech:xsd:camt.053.001.02` to `.08`.
const NAMESPACE_PREFIX: &str = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.";
/// How deep a document may nest (a v08 entry nests about 12 levels).
const MAX_DEPTH: usize = 64;

/// An element of an entry: local name, attributes, children, text.
#[derive(Debug, Default)]
struct Node {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Node>,
    text: String,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The node at a path of local names below this one.
    fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, name| node.child(name))
    }

    /// The trimmed text at a path, if there and not blank.
    fn text_at(&self, path: &[&str]) -> Option<String> {
        self.at(path)
            .map(|n| n.text.trim().to_owned())
            .filter(|t| !t.is_empty())
    }

    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Reads a `camt.053` document: its first `Stmt/Id` and the booked credits of every statement.
pub(super) fn read(text: &str) -> Result<(Option<String>, Vec<BankCredit>), StatementError> {
    let mut reader = NsReader::from_str(text);
    let config = reader.config_mut();
    config.expand_empty_elements = true;
    config.check_end_names = true;
    let mut path: Vec<String> = Vec::new();
    // The entry being gathered: its stack of open nodes.
    let mut entry: Vec<Node> = Vec::new();
    let mut statement_id: Option<String> = None;
    let mut account: Option<String> = None;
    let mut text_buffer = String::new();
    let mut credits = Vec::new();
    let mut statements = 0usize;
    let mut entries = 0usize;
    let mut rooted = false;
    let malformed = |at: u64, problem: String| StatementError::Malformed {
        location: line_of(text, at),
        problem,
    };
    loop {
        let at = reader.buffer_position();
        let (namespace, event) = reader
            .read_resolved_event()
            .map_err(|e| malformed(at, format!("not well-formed XML: {e}")))?;
        match event {
            Event::Start(start) => {
                let name = start.local_name().as_ref().to_owned();
                if path.is_empty() {
                    if rooted {
                        return Err(malformed(at, "content after the root element".into()));
                    }
                    check_namespace(&namespace, &name)?;
                    rooted = true;
                }
                if path.len() >= MAX_DEPTH {
                    return Err(malformed(at, "the document nests too deep".into()));
                }
                text_buffer.clear();
                if !entry.is_empty() || (name == "Ntry" && path.last().is_some_and(|p| p == "Stmt")) {
                    entry.push(node_of(&start, name.clone(), &line_of(text, at))?);
                }
                if name == "Stmt" && path.last().is_some_and(|p| p == "BkToCstmrStmt") {
                    statements += 1;
                    account = None;
                }
                path.push(name);
            }
            Event::End(_) => {
                let closing = path.pop().unwrap_or_default();
                if let Some(done) = entry.pop() {
                    match entry.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => {
                            entries += 1;
                            let location = format!("Stmt {statements}, Ntry {entries}");
                            read_entry(&done, account.as_deref(), &location, &mut credits)?;
                        }
                    }
                } else {
                    let tail: Vec<&str> = path.iter().rev().take(3).map(String::as_str).collect();
                    let value = text_buffer.trim();
                    match (closing.as_str(), tail.as_slice()) {
                        ("Id", ["Stmt", ..]) if statement_id.is_none() && !value.is_empty() => {
                            statement_id = Some(value.to_owned());
                        }
                        ("IBAN", ["Id", "Acct", "Stmt"]) if !value.is_empty() => account = Some(value.to_owned()),
                        _ => {}
                    }
                }
                text_buffer.clear();
            }
            Event::Text(t) => {
                let t = t.xml10_content();
                if path.is_empty() && !t.trim().is_empty() {
                    return Err(malformed(at, "not XML: text outside the root element".into()));
                }
                append(&mut entry, &mut text_buffer, &t);
            }
            Event::CData(data) => {
                let t = data.as_ref().to_owned();
                append(&mut entry, &mut text_buffer, &t);
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => match &*reference {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        other => return Err(malformed(at, format!("unknown entity &{other};"))),
                    },
                    Err(e) => return Err(malformed(at, format!("bad character reference: {e}"))),
                };
                append(&mut entry, &mut text_buffer, resolved.encode_utf8(&mut [0; 4]));
            }
            Event::DocType(_) => return Err(malformed(at, "a DOCTYPE is not allowed".into())),
            Event::Empty(_) | Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !path.is_empty() {
        return Err(malformed(
            reader.buffer_position(),
            "the document ends inside an element".into(),
        ));
    }
    if !rooted {
        return Err(malformed(0, "not XML: the document has no root element".into()));
    }
    if statements == 0 {
        return Err(StatementError::Missing {
            location: "Document/BkToCstmrStmt".into(),
            field: "Stmt".into(),
        });
    }
    Ok((statement_id, credits))
}

fn append(entry: &mut [Node], buffer: &mut String, text: &str) {
    match entry.last_mut() {
        Some(node) => node.text.push_str(text),
        None => buffer.push_str(text),
    }
}

fn check_namespace(namespace: &ResolveResult<'_>, root: &str) -> Result<(), StatementError> {
    let uri = match namespace {
        ResolveResult::Bound(ns) => ns.as_ref().to_owned(),
        _ => {
            return Err(StatementError::UnsupportedFormat(format!(
                "the root {root} has no namespace"
            )));
        }
    };
    let version = uri.strip_prefix(NAMESPACE_PREFIX).and_then(|v| v.parse::<u8>().ok());
    match version {
        Some(2..=8) if root == "Document" => Ok(()),
        _ => Err(StatementError::UnsupportedFormat(format!(
            "the root is {root} in namespace {uri:?}"
        ))),
    }
}

/// `line N` of a byte offset in `text`.
fn line_of(text: &str, at: u64) -> String {
    let end = usize::try_from(at).unwrap_or(usize::MAX).min(text.len());
    let line = text.as_bytes()[..end].iter().filter(|b| **b == b'\n').count() + 1;
    format!("line {line}")
}

fn node_of(start: &BytesStart<'_>, name: String, location: &str) -> Result<Node, StatementError> {
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| StatementError::Malformed {
            location: location.to_owned(),
            problem: format!("bad attribute: {e}"),
        })?;
        let key = attribute.key.local_name().as_ref().to_owned();
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_or_else(|_| attribute.value.as_ref().to_owned(), std::borrow::Cow::into_owned);
        attributes.push((key, value));
    }
    Ok(Node {
        name,
        attributes,
        ..Node::default()
    })
}

/// Turns one `Ntry` into its credits: none for a debit or an entry not booked, one per
/// `TxDtls` when the entry has several and each has its amount, else one.
fn read_entry(
    entry: &Node,
    account: Option<&str>,
    location: &str,
    credits: &mut Vec<BankCredit>,
) -> Result<(), StatementError> {
    let indicator = entry.text_at(&["CdtDbtInd"]).unwrap_or_default();
    if indicator != "CRDT" {
        return Ok(());
    }
    if let Some(status) = entry.child("Sts") {
        let status = status.text_at(&["Cd"]).unwrap_or_else(|| status.text.trim().to_owned());
        if !matches!(status.as_str(), "BOOK" | "Booked" | "BOOKED") {
            return Ok(());
        }
    }
    let booking_date =
        date_of(entry.child("BookgDt"), location, "BookgDt")?.ok_or_else(|| StatementError::Missing {
            location: location.to_owned(),
            field: "BookgDt".into(),
        })?;
    let value_date = date_of(entry.child("ValDt"), location, "ValDt")?;
    let amount_cents = amount_of(entry.child("Amt"), location, "Amt")?;
    let entry_reference = entry.text_at(&["AcctSvcrRef"]);
    let additional = entry.text_at(&["AddtlNtryInf"]);
    let transactions: Vec<&Node> = entry
        .children("NtryDtls")
        .flat_map(|details| details.children("TxDtls"))
        .filter(|tx| tx.text_at(&["CdtDbtInd"]).is_none_or(|i| i == "CRDT"))
        .collect();
    fn tx_amount(tx: &Node) -> Option<&Node> {
        tx.child("Amt").or_else(|| tx.at(&["AmtDtls", "TxAmt", "Amt"]))
    }
    let base = BankCredit {
        booking_date,
        value_date,
        amount_cents,
        account: account.map(str::to_owned),
        remittance: String::new(),
        bank_reference: None,
        debtor_name: None,
    };
    if transactions.len() > 1 && transactions.iter().all(|tx| tx_amount(tx).is_some()) {
        for (n, tx) in transactions.iter().enumerate() {
            let location = format!("{location}, TxDtls {}", n + 1);
            let amount_cents = amount_of(tx_amount(tx), &location, "TxDtls/Amt")?;
            let remittance = remittance_of(std::slice::from_ref(tx)).or_else(|| additional.clone());
            let credit = BankCredit {
                amount_cents,
                remittance: remittance.unwrap_or_default(),
                bank_reference: tx
                    .text_at(&["Refs", "AcctSvcrRef"])
                    .or_else(|| end_to_end(tx))
                    .or_else(|| entry_reference.clone()),
                debtor_name: debtor_of(tx),
                ..base.clone()
            };
            push(credits, credit)?;
        }
        return Ok(());
    }
    let credit = BankCredit {
        remittance: remittance_of(&transactions).or(additional).unwrap_or_default(),
        bank_reference: entry_reference.or_else(|| transactions.iter().find_map(|tx| end_to_end(tx))),
        debtor_name: transactions.iter().find_map(|tx| debtor_of(tx)),
        ..base
    };
    push(credits, credit)
}

fn end_to_end(tx: &Node) -> Option<String> {
    tx.text_at(&["Refs", "EndToEndId"]).filter(|id| id != "NOTPROVIDED")
}

fn debtor_of(tx: &Node) -> Option<String> {
    tx.text_at(&["RltdPties", "Dbtr", "Nm"])
        .or_else(|| tx.text_at(&["RltdPties", "Dbtr", "Pty", "Nm"]))
}

/// Every `RmtInf/Ustrd` of the transactions, trimmed and joined by a space.
fn remittance_of(transactions: &[&Node]) -> Option<String> {
    let parts: Vec<String> = transactions
        .iter()
        .filter_map(|tx| tx.child("RmtInf"))
        .flat_map(|info| info.children("Ustrd"))
        .map(|u| u.text.trim().to_owned())
        .filter(|u| !u.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// A `Dt` or `DtTm` child's date (the date part of a date-time, as written).
fn date_of(node: Option<&Node>, location: &str, field: &str) -> Result<Option<NaiveDate>, StatementError> {
    let Some(node) = node else { return Ok(None) };
    let (value, child) = match node.text_at(&["Dt"]) {
        Some(value) => (value, "Dt"),
        None => match node.text_at(&["DtTm"]) {
            Some(value) => (value, "DtTm"),
            None => return Ok(None),
        },
    };
    let day = value.get(..10).unwrap_or(&value);
    let valid = child == "Dt" && value.len() == 10 || child == "DtTm" && value.as_bytes().get(10) == Some(&b'T');
    match NaiveDate::parse_from_str(day, "%Y-%m-%d") {
        Ok(date) if valid => Ok(Some(date)),
        _ => Err(StatementError::BadDate {
            location: location.to_owned(),
            field: format!("{field}/{child}"),
            value,
        }),
    }
}

/// An `Amt` element in euro: positive, at most two decimals, `.` as decimal separator.
fn amount_of(node: Option<&Node>, location: &str, field: &str) -> Result<i64, StatementError> {
    let node = node.ok_or_else(|| StatementError::Missing {
        location: location.to_owned(),
        field: field.to_owned(),
    })?;
    let currency = node.attribute("Ccy").unwrap_or_default();
    if currency != "EUR" {
        return Err(StatementError::UnsupportedCurrency {
            location: location.to_owned(),
            currency: currency.to_owned(),
        });
    }
    let value = node.text.trim();
    let plain = !value.is_empty() && value.chars().all(|c| c.is_ascii_digit() || c == '.');
    match parse_cents(value) {
        Some(cents) if plain && cents > 0 && value.matches('.').count() <= 1 => Ok(cents),
        _ => Err(StatementError::BadAmount {
            location: location.to_owned(),
            field: field.to_owned(),
            value: value.to_owned(),
        }),
    }
}
