//! Bank statements: camt.053 (v02 and v08) and CSV, and every error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use pagopa_domain::{BankCredit, CreditReference, EnteId, StatementFormat};
use pagopa_import::statement::{StatementError, read_statement};

const CAMT_V02: &str = include_str!("data/statements/camt053-v02.xml");
const CAMT_V08: &str = include_str!("data/statements/camt053-v08.xml");
const CSV_COMMA: &str = include_str!("data/statements/comma.csv");
const CSV_SEMICOLON: &str = include_str!("data/statements/semicolon.csv");
const IBAN: &str = "IT60X0542811101000000123456";

fn ente() -> EnteId {
    "80012345678".parse().unwrap()
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn flow_of(credit: &BankCredit) -> String {
    match CreditReference::parse(&credit.remittance) {
        CreditReference::Flow(id) => id.as_str().to_owned(),
        other => panic!("not a flow reference: {other:?} in {:?}", credit.remittance),
    }
}

fn iuv_of(credit: &BankCredit) -> String {
    match CreditReference::parse(&credit.remittance) {
        CreditReference::Iuv(iuv) => iuv,
        other => panic!("not a payment reference: {other:?}"),
    }
}

fn error(text: &str) -> StatementError {
    read_statement(ente(), text.as_bytes(), None).unwrap_err()
}

#[test]
fn camt053_v02_credits_and_skipped_debit() {
    let statement = read_statement(ente(), CAMT_V02.as_bytes(), None).unwrap();
    assert_eq!(statement.format, StatementFormat::Camt053);
    assert_eq!(statement.statement_id.as_deref(), Some("EC-80012345678-2026-330"));
    assert_eq!(statement.raw, CAMT_V02);
    assert_eq!(statement.digest.len(), 64);
    let credits = &statement.credits;
    assert_eq!(credits.len(), 3, "the debit is left out");
    assert_eq!(
        credits[0],
        BankCredit {
            booking_date: day("2026-11-26"),
            value_date: Some(day("2026-11-26")),
            amount_cents: 123_456,
            account: Some(IBAN.into()),
            remittance: "/PUR/LGPE-RIVERSAMENTO/URI/2026-11-25BCITITMM-S0001".into(),
            bank_reference: Some("0306912345678901".into()),
            debtor_name: Some("INTESA SANPAOLO SPA".into()),
        }
    );
    assert_eq!(flow_of(&credits[0]), "2026-11-25BCITITMM-S0001");
    // Wrapped over two lines inside one Ustrd.
    assert_eq!(credits[1].amount_cents, 8_700);
    assert_eq!(credits[1].value_date, Some(day("2026-11-27")));
    assert_eq!(flow_of(&credits[1]), "2026-11-25POSTEIT-0002");
    // A single payment: no AcctSvcrRef, so the end-to-end id.
    assert_eq!(credits[2].amount_cents, 1_200);
    assert_eq!(credits[2].bank_reference.as_deref(), Some("E2E-RFB-0000471"));
    assert_eq!(credits[2].debtor_name.as_deref(), Some("MARIO ROSSI"));
    assert_eq!(iuv_of(&credits[2]), "052601000004711");
}

#[test]
fn camt053_v08_prefixes_batches_and_statuses() {
    let statement = read_statement(ente(), CAMT_V08.as_bytes(), Some(StatementFormat::Camt053)).unwrap();
    assert_eq!(statement.statement_id.as_deref(), Some("EC-80012345678-2026-331"));
    let credits = &statement.credits;
    let amounts: Vec<i64> = credits.iter().map(|c| c.amount_cents).collect();
    // The pending entry and the debit are left out; the batch gives one credit per TxDtls.
    assert_eq!(amounts, [123_456, 8_700, 1_200, 5_000, 500]);
    assert_eq!(credits[0].booking_date, day("2026-11-27"), "the date of a DtTm");
    assert_eq!(credits[0].debtor_name.as_deref(), Some("INTESA SANPAOLO SPA"));
    assert_eq!(credits[0].account.as_deref(), Some(IBAN));
    assert_eq!(flow_of(&credits[0]), "2026-11-26BCITITMM-S0001");
    // Two Ustrd joined by a space, which the reference reader ignores.
    assert_eq!(
        credits[1].remittance,
        "/PUR/LGPE-RIVERSAMENTO/TXT/0/URI/2026-11-26POSTEI T-0002"
    );
    assert_eq!(flow_of(&credits[1]), "2026-11-26POSTEIT-0002");
    assert_eq!(credits[1].value_date, None);
    assert_eq!(iuv_of(&credits[2]), "052601000004712");
    assert_eq!(credits[2].bank_reference.as_deref(), Some("E2E-RFB-0000472"));
    assert_eq!(iuv_of(&credits[3]), "RF18539007547034");
    assert_eq!(credits[3].debtor_name.as_deref(), Some("ANNA BIANCHI"));
    // No TxDtls: the additional entry information.
    assert_eq!(credits[4].remittance, "RIMBORSO SPESE POSTALI");
}

#[test]
fn every_camt_version_from_02_to_08_is_read() {
    for version in 2..=8 {
        let text = CAMT_V02.replace("camt.053.001.02", &format!("camt.053.001.{version:02}"));
        assert_eq!(read_statement(ente(), text.as_bytes(), None).unwrap().credits.len(), 3);
    }
    for version in ["01", "09"] {
        let text = CAMT_V02.replace("camt.053.001.02", &format!("camt.053.001.{version}"));
        assert_eq!(error(&text).code(), "unsupported_format");
    }
    let camt054 = CAMT_V02.replace("camt.053.001.02", "camt.054.001.02");
    assert_eq!(error(&camt054).code(), "unsupported_format");
    assert_eq!(
        error("<Document><BkToCstmrStmt/></Document>").code(),
        "unsupported_format"
    );
}

#[test]
fn csv_with_either_separator() {
    let comma = read_statement(ente(), CSV_COMMA.as_bytes(), None).unwrap();
    assert_eq!(comma.format, StatementFormat::Csv);
    assert_eq!(comma.statement_id, None);
    assert_eq!(
        comma.credits,
        [
            BankCredit {
                booking_date: day("2026-11-26"),
                value_date: Some(day("2026-11-26")),
                amount_cents: 123_456,
                account: Some(IBAN.into()),
                remittance: "/PUR/LGPE-RIVERSAMENTO/URI/2026-11-25BCITITMM-S0001".into(),
                bank_reference: Some("0306912345678901".into()),
                debtor_name: Some("INTESA SANPAOLO SPA".into()),
            },
            BankCredit {
                booking_date: day("2026-11-26"),
                value_date: None,
                amount_cents: 1_200,
                account: Some(IBAN.into()),
                remittance: "/RFB/052601000004711/12.00/TXT/TARI, RATA UNICA".into(),
                bank_reference: None,
                debtor_name: Some("MARIO ROSSI".into()),
            },
        ]
    );
    let semicolon = read_statement(ente(), CSV_SEMICOLON.as_bytes(), None).unwrap();
    let amounts: Vec<i64> = semicolon.credits.iter().map(|c| c.amount_cents).collect();
    assert_eq!(amounts, [123_456, 8_700]);
    assert_eq!(semicolon.credits[0].value_date, Some(day("2026-11-27")));
    assert_eq!(semicolon.credits[1].account, None);
    assert_eq!(flow_of(&semicolon.credits[1]), "2026-11-25POSTEIT-0002");
    assert_ne!(comma.digest, semicolon.digest);
}

#[test]
fn the_digest_is_the_files_sha256() {
    let statement = read_statement(ente(), b"date,amount,account,remittance\n", None).unwrap();
    assert!(statement.credits.is_empty());
    // sha256 of "date,amount,account,remittance\n"
    let again = read_statement(ente(), b"date,amount,account,remittance\n", None).unwrap();
    assert_eq!(statement.digest, again.digest);
    assert!(
        statement
            .digest
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
}

#[test]
fn file_errors() {
    let not_utf8 = read_statement(ente(), b"date,amount\n\xff\xfe", None).unwrap_err();
    assert_eq!(not_utf8, StatementError::NotUtf8 { offset: 12 });
    assert_eq!(not_utf8.code(), "invalid_file");
    assert_eq!(error("  \n").code(), "invalid_file");
    let broken = error("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>");
    assert_eq!(broken.code(), "invalid_file");
    let mismatched = error("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">\n<A>\n</B></Document>");
    assert_eq!(mismatched.code(), "invalid_file");
    assert!(
        mismatched.to_string().starts_with("line 3: not well-formed XML"),
        "{mismatched}"
    );
    let no_statement =
        error("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt/></Document>");
    assert_eq!(no_statement.code(), "missing_field");
    // A CSV said to be camt.
    let wrong = read_statement(ente(), CSV_COMMA.as_bytes(), Some(StatementFormat::Camt053)).unwrap_err();
    assert_eq!(wrong.code(), "invalid_file");
}

#[test]
fn camt_entry_errors_name_the_entry() {
    let dollars = CAMT_V02.replace("<Amt Ccy=\"EUR\">87.00</Amt>", "<Amt Ccy=\"USD\">87.00</Amt>");
    let e = error(&dollars);
    assert_eq!(e.code(), "unsupported_currency");
    assert_eq!(
        e.to_string(),
        "Stmt 1, Ntry 2: the currency is \"USD\", only EUR is taken"
    );
    for bad in ["87,00", "87.001", "-87.00", "0.00", "1e2", ""] {
        let text = CAMT_V02.replace(">87.00<", &format!(">{bad}<"));
        let e = error(&text);
        assert_eq!(e.code(), "bad_amount", "{bad}");
        assert!(e.to_string().starts_with("Stmt 1, Ntry 2: Amt"), "{e}");
    }
    let date = CAMT_V02.replace(
        "<ValDt><Dt>2026-11-27</Dt></ValDt>",
        "<ValDt><Dt>27/11/2026</Dt></ValDt>",
    );
    let e = error(&date);
    assert_eq!(e.code(), "bad_date");
    assert!(e.to_string().contains("Ntry 2: ValDt/Dt \"27/11/2026\""), "{e}");
    let no_date = CAMT_V08.replace(
        "<c53:BookgDt><c53:Dt>2026-11-27</c53:Dt></c53:BookgDt>\n        <c53:AcctSvcrRef>0306912345679002",
        "<c53:AcctSvcrRef>0306912345679002",
    );
    let e = error(&no_date);
    assert_eq!(e.code(), "missing_field");
    assert_eq!(e.to_string(), "Stmt 1, Ntry 2: BookgDt is required");
    let tx_amount = CAMT_V08.replace(
        "<c53:Amt Ccy=\"EUR\">50.00</c53:Amt>",
        "<c53:Amt Ccy=\"EUR\">50.0.0</c53:Amt>",
    );
    let e = error(&tx_amount);
    assert_eq!(e.code(), "bad_amount");
    assert!(e.to_string().starts_with("Stmt 1, Ntry 3, TxDtls 2: TxDtls/Amt"), "{e}");
}

#[test]
fn csv_errors_name_the_line_and_field() {
    let e = error("date,amount,account,remittance,iban,note\n");
    assert_eq!(e, StatementError::UnknownColumn(vec!["iban".into(), "note".into()]));
    assert_eq!(e.code(), "unknown_column");
    let e = error("date,amount,remittance\n");
    assert_eq!(e.code(), "bad_header");
    assert!(e.to_string().contains("account"), "{e}");
    let e = error("date,amount,account,remittance,date\n");
    assert_eq!(e.code(), "bad_header");

    let head = "date,amount,account,remittance\n2026-11-26,1.00,IT60,ok\n";
    for (row, code, message) in [
        ("2026-11-26,abc,IT60,x", "bad_amount", "line 3: amount \"abc\""),
        ("2026-11-26,0,IT60,x", "bad_amount", "line 3: amount \"0\""),
        ("2026-11-26,1.234,IT60,x", "bad_amount", "line 3: amount \"1.234\""),
        ("2026-11-26,,IT60,x", "bad_amount", "line 3: amount \"\""),
        ("26-11-2026,1.00,IT60,x", "bad_date", "line 3: date \"26-11-2026\""),
        ("31/02/2026,1.00,IT60,x", "bad_date", "line 3: date \"31/02/2026\""),
        (",1.00,IT60,x", "missing_field", "line 3: date is required"),
        ("2026-11-26,1.00,IT60", "invalid_file", "line 3"),
    ] {
        let e = error(&format!("{head}{row}\n"));
        assert_eq!(e.code(), code, "{row}");
        assert!(e.to_string().starts_with(message), "{row}: {e}");
    }
    let e = error("date;amount;account;remittance;value_date\n26/11/2026;5,00;IT60;x;2026/11/27\n");
    assert_eq!(e.code(), "bad_date");
    assert!(e.to_string().starts_with("line 2: value_date"), "{e}");
}
