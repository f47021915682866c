//! The GPD mass-upload reader: mapping, ZIP, row issues and file errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use pagopa_domain::{DebtPosition, EnteId, ImportContent, ImportItem, NoticeLayout, PositionDraft, RowRef};
use pagopa_import::{BytesRead, FileError, gpd};
use serde_json::json;

const POSITIONS: &str = include_str!("data/gpd/positions.json");
const ERRORS: &str = include_str!("data/gpd/errors.json");

fn ente() -> EnteId {
    "77777777777".parse().unwrap()
}

/// A file with `bytes`, already unlinked (the open handle keeps it).
fn file(bytes: &[u8]) -> File {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let path: PathBuf = std::env::temp_dir().join(format!(
        "pagopa-import-gpd-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, bytes).unwrap();
    let file = File::open(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    file
}

/// Reads `bytes`, returning the items sent, the outcome and the bytes counted.
fn read(bytes: &[u8]) -> (Vec<ImportItem>, Result<(), FileError>, u64) {
    let progress = BytesRead::default();
    let mut items = Vec::new();
    let mut sink = |item: ImportItem| {
        items.push(item);
        true
    };
    let result = gpd::read(file(bytes), &ente(), &progress, &mut sink);
    (items, result, progress.get())
}

fn read_ok(bytes: &[u8]) -> Vec<ImportItem> {
    let (items, result, _) = read(bytes);
    result.unwrap();
    items
}

fn format_error(bytes: &[u8]) -> String {
    match read(bytes).1 {
        Err(FileError::Format(message)) => message,
        other => panic!("expected a format error, got {other:?}"),
    }
}

fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        if name.ends_with('/') {
            writer.add_directory(*name, options).unwrap();
        } else {
            writer.start_file(*name, options).unwrap();
            writer.write_all(bytes).unwrap();
        }
    }
    writer.finish().unwrap().into_inner()
}

fn draft(item: &ImportItem) -> &PositionDraft {
    match &item.content {
        Ok(ImportContent::Upsert(import)) => {
            assert!(import.allocate.is_empty(), "every notice number is given");
            &import.draft
        }
        other => panic!("position {:?}: expected a draft, got {other:?}", item.position_id),
    }
}

fn rows(row: u64, indexes: &[u32]) -> Vec<RowRef> {
    indexes
        .iter()
        .map(|&index| RowRef {
            row,
            option_index: Some(index),
        })
        .collect()
}

fn expected(value: serde_json::Value) -> PositionDraft {
    serde_json::from_value(value).unwrap()
}

const BANK: &str = "IT56M0306911200000000046020";
const POSTAL: &str = "IT60J0760111200000012345679";
const OTHER_BANK: &str = "IT60X0542811101000000123456";

fn instalment_transfers(other: u64) -> serde_json::Value {
    json!([
        {"id": 1, "ente": "77777777777", "amount": 10000 - other, "remittance": "TARI 2026",
         "category": "9/0101108TS/", "account": {"kind": "iban", "iban": BANK}},
        {"id": 2, "ente": "80012345676", "company_name": "Provincia di Esempio", "amount": other,
         "remittance": "Tributo provinciale", "category": "9/0101108TS/",
         "account": {"kind": "iban", "iban": OTHER_BANK}}
    ])
}

#[test]
fn positions_map_to_drafts() {
    let (items, result, progress) = read(POSITIONS.as_bytes());
    result.unwrap();
    assert_eq!(progress, POSITIONS.len() as u64);
    assert_eq!(items.len(), 3);

    // Row 1: a single solution from a 17-digit IUV (aux digit 3), every subject field, metadata.
    assert_eq!(items[0].position_id, "IUPD-2026-0001");
    assert_eq!(items[0].rows, rows(1, &[0]));
    assert_eq!(
        draft(&items[0]),
        &expected(json!({
            "iupd": "IUPD-2026-0001",
            "origin": {"kind": "expected"},
            "debtor": {
                "id": {"type": "fiscal_code", "value": "VRDGPP80A01B157X"},
                "full_name": "Giuseppe Verdi", "street_name": "Via Roma", "civic_number": "1",
                "postal_code": "25121", "city": "Brescia", "province": "BS", "country": "IT",
                "email": "giuseppe.verdi@example.it"
            },
            "description": "TARI 2026 saldo",
            "options": [{
                "notice_number": "302032002700000251", "amount": 12050, "description": "TARI 2026 saldo",
                // A local time without offset is Italian time: its own date.
                "due_date": "2026-03-31",
                "transfers": [{
                    "id": 1, "ente": "77777777777", "amount": 12050, "remittance": "TARI 2026",
                    "category": "9/0101108TS/",
                    "account": {"kind": "iban", "iban": BANK, "postal_alternative": POSTAL},
                    "metadata": [{"key": "capitolo", "value": "1234"}]
                }],
                "metadata": [{"key": "anno", "value": "2026"}]
            }],
            "expires_after_due_date": false,
            // 08:00 in Rome in January (UTC+1).
            "valid_from": "2026-01-15T07:00:00Z",
            "publish": true
        }))
    );

    // Row 2: three instalments given out of date order, numbered by due date; two transfers
    // each, the second to another Ente; a draft.
    assert_eq!(items[1].position_id, "IUPD-2026-0002");
    assert_eq!(items[1].rows, rows(2, &[3, 1, 2]));
    assert_eq!(
        draft(&items[1]),
        &expected(json!({
            "iupd": "IUPD-2026-0002",
            "origin": {"kind": "expected"},
            "debtor": {
                "id": {"type": "fiscal_code", "value": "12345678903"},
                "full_name": "Edilizia Rossi S.r.l."
            },
            "description": "Rata 1 di 3",
            "options": [
                {"notice_number": "302032002700000352", "amount": 10000, "description": "Rata 1 di 3",
                 "due_date": "2026-05-31", "instalment": {"number": 1, "of": 3},
                 "transfers": instalment_transfers(1000)},
                // 10:00Z in July is noon in Rome.
                {"notice_number": "302032002700000453", "amount": 10000, "description": "Rata 2 di 3",
                 "due_date": "2026-07-31", "instalment": {"number": 2, "of": 3},
                 "transfers": instalment_transfers(2000)},
                {"notice_number": "302032002700000554", "amount": 10000, "description": "Rata 3 di 3",
                 "due_date": "2026-09-30", "instalment": {"number": 3, "of": 3},
                 "transfers": instalment_transfers(3000)}
            ],
            "expires_after_due_date": true,
            "publish": false
        }))
    );

    // Row 3: a digital stamp; the due date is the Italian day of the instant.
    assert_eq!(items[2].position_id, "IUPD-2026-0003");
    assert_eq!(items[2].rows, rows(3, &[0]));
    assert_eq!(
        draft(&items[2]),
        &expected(json!({
            "iupd": "IUPD-2026-0003",
            "origin": {"kind": "expected"},
            "debtor": {"id": {"type": "fiscal_code", "value": "VRDGPP80A01B157X"}, "full_name": "Giuseppe Verdi"},
            "description": "Certificato con marca da bollo",
            "options": [{
                "notice_number": "302032002700000655", "amount": 11600,
                "description": "Certificato con marca da bollo",
                // 22:30Z on 30 June is 00:30 on 1 July in Rome.
                "due_date": "2026-07-01",
                "transfers": [
                    {"id": 1, "ente": "77777777777", "amount": 10000, "remittance": "Diritti di segreteria",
                     "category": "9/0101108TS/", "account": {"kind": "iban", "iban": BANK}},
                    {"id": 2, "ente": "77777777777", "amount": 1600, "remittance": "Marca da bollo",
                     "category": "9/0101108TS/",
                     "account": {"kind": "stamp", "document_hash": "1cKs1tSbI8MWxWj1VAXfeog/e1tL65/IJU38GmKYVPs=",
                                 "stamp_type": "01", "province": "RM"}}
                ]
            }],
            "expires_after_due_date": false,
            "publish": true
        }))
    );
}

#[test]
fn the_drafts_make_valid_positions() {
    let layout = NoticeLayout::Aux3 { segregation_code: 2 };
    let now = "2026-01-01T00:00:00Z".parse().unwrap();
    for item in read_ok(POSITIONS.as_bytes()) {
        if let Err(e) = DebtPosition::create(&ente(), layout, draft(&item).clone(), now) {
            panic!("{}: {e}", item.position_id);
        }
    }
}

#[test]
fn a_zip_reads_like_the_plain_file() {
    let plain = read_ok(POSITIONS.as_bytes());
    let archive = zip(&[("positions.json", POSITIONS.as_bytes())]);
    let (items, result, progress) = read(&archive);
    result.unwrap();
    assert_eq!(items, plain);
    assert_eq!(progress, archive.len() as u64, "progress counts the compressed file");

    // Folders and macOS resource forks do not count as files.
    let archive = zip(&[
        ("export/", b""),
        ("export/positions.json", POSITIONS.as_bytes()),
        ("__MACOSX/export/._positions.json", b"\x00\x05\x16\x07"),
    ]);
    assert_eq!(read_ok(&archive), plain);
}

#[test]
fn a_zip_holds_exactly_one_file() {
    let two = zip(&[("a.json", POSITIONS.as_bytes()), ("b.json", POSITIONS.as_bytes())]);
    let message = format_error(&two);
    assert!(message.contains("2 files (a.json, b.json)"), "{message}");
    let none = zip(&[("empty/", b"")]);
    assert!(format_error(&none).contains("holds no file"));
    let empty = zip(&[]);
    assert!(format_error(&empty).contains("empty"));
    let archive = zip(&[("positions.json", POSITIONS.as_bytes())]);
    let message = format_error(&archive[..archive.len() / 2]);
    assert!(message.contains("ZIP"), "{message}");
}

/// `(row, position_id, code, field the message starts with)` of every position of errors.json.
const EXPECTED_ISSUES: &[(u64, &str, &str, &str)] = &[
    (1, "E01", "invalid_fiscal_code", "fiscalCode"),
    (2, "E02", "gpd_unsupported_field", "phone"),
    (3, "E03", "gpd_status", "status"),
    (4, "E04", "invalid_notice_number", "paymentOption[0].nav"),
    (6, "E06", "gpd_iuv_mismatch", "paymentOption[0].iuv"),
    (7, "E07", "debtor_type", "type"),
    (8, "OK-05", "duplicate_key", "iupd"),
    (9, "", "invalid_value", "paymentPositions[]"),
    (10, "E10", "gpd_unknown_field", "paymentOption[0].transfer[0].bic"),
    (11, "E11", "transfer_ids", "paymentOption[0].transfer"),
    (12, "E12", "transfer_account", "paymentOption[0].transfer[0].iban"),
    (13, "E13", "invalid_amount", "paymentOption[0].amount"),
    (14, "E14", "gpd_unsupported_field", "paymentOption[0].fee"),
    (15, "E15", "instalments", "paymentOption[1].isPartialPayment"),
    (16, "E16", "invalid_text", "fullName"),
    (17, "E17", "invalid_notice_number", "paymentOption[0].iuv"),
    (18, "E18", "gpd_unsupported_field", "payStandIn"),
    (19, "E19", "gpd_unsupported_field", "paymentDate"),
    (20, "E20", "invalid_date", "validityDate"),
    (21, "", "missing_field", "iupd"),
    (22, "E22", "invalid_category", "paymentOption[0].transfer[0].category"),
    (
        23,
        "E23",
        "invalid_ente",
        "paymentOption[0].transfer[0].organizationFiscalCode",
    ),
    (24, "E24", "invalid_iban", "paymentOption[0].transfer[0].iban"),
    (25, "E25", "invalid_value", "status"),
    (26, "E26", "gpd_unsupported_field", "paymentOption[0].retentionDate"),
    (27, "E27", "transfer_account", "paymentOption[0].transfer[0].stamp"),
    (28, "E28", "invalid_value", "type"),
    (29, "E29", "invalid_boolean", "paymentOption[0].isPartialPayment"),
    (
        30,
        "E30",
        "duplicate_metadata_key",
        "paymentOption[0].paymentOptionMetadata[1].key",
    ),
    (31, "E31", "no_options", "paymentOption"),
    (
        32,
        "E32",
        "too_many_metadata",
        "paymentOption[0].transfer[0].transferMetadata",
    ),
    (33, "E33", "gpd_unknown_field", "pull"),
    (34, "E34", "gpd_unsupported_field", "officeName"),
    (35, "E35", "gpd_unsupported_field", "region"),
    (36, "E36", "invalid_email", "email"),
    (37, "E37", "invalid_json", "switchToExpired"),
];

#[test]
fn a_bad_position_is_a_row_issue_and_the_next_is_read() {
    let items = read_ok(ERRORS.as_bytes());
    assert_eq!(items.len(), 38);
    assert_eq!(EXPECTED_ISSUES.len(), 36, "every position but two is refused");
    for &(row, position_id, code, field) in EXPECTED_ISSUES {
        let item = &items[usize::try_from(row).unwrap() - 1];
        assert_eq!(item.position_id, position_id, "row {row}");
        assert_eq!(
            item.rows,
            vec![RowRef {
                row,
                option_index: None
            }],
            "row {row}"
        );
        let issue = item.content.as_ref().expect_err(position_id);
        assert_eq!(issue.code, code, "row {row}: {issue:?}");
        assert!(issue.italian.starts_with(&format!("{field}: ")), "row {row}: {issue:?}");
        assert!(issue.english.starts_with(&format!("{field}: ")), "row {row}: {issue:?}");
    }
    // Between and after the bad ones, good positions are read.
    for (row, position_id) in [(5, "OK-05"), (38, "OK-38")] {
        let item = &items[row - 1];
        assert_eq!(item.position_id, position_id);
        assert_eq!(item.rows, rows(row as u64, &[0]));
        assert_eq!(draft(item).options[0].amount.cents(), 5000);
    }
}

#[test]
fn a_truncated_file_fails_after_the_positions_before() {
    let cut = POSITIONS.find("IUPD-2026-0003").unwrap();
    let (items, result, _) = read(&POSITIONS.as_bytes()[..cut]);
    assert_eq!(items.len(), 2, "the positions before the cut are sent");
    match result {
        Err(FileError::Format(message)) => assert!(message.contains("ends too early"), "{message}"),
        other => panic!("expected a format error, got {other:?}"),
    }
    // Cut inside the closing of the object.
    let whole = POSITIONS.trim_end();
    let (items, result, _) = read(&whole.as_bytes()[..whole.len() - 1]);
    assert_eq!(items.len(), 3);
    assert!(matches!(result, Err(FileError::Format(_))));
    // A truncated ZIP entry (the archive itself is whole) fails the same way.
    let archive = zip(&[("positions.json", &POSITIONS.as_bytes()[..cut])]);
    let (items, result, _) = read(&archive);
    assert_eq!(items.len(), 2);
    assert!(matches!(result, Err(FileError::Format(_))));
}

#[test]
fn what_is_not_a_gpd_file() {
    let cases: [(&[u8], &str); 9] = [
        (b"", "ends too early"),
        (b"not json", "not a GPD mass-upload file"),
        (b"[]", "paymentPositions"),
        (b"{}", "paymentPositions is missing"),
        (br#"{"paymentPositions": {}}"#, "an array of payment positions"),
        (br#"{"paymentPositions": null}"#, "an array of payment positions"),
        (br#"{"paymentPositions": [], "paymentPositions": []}"#, "twice"),
        (br#"{"paymentPositions": []} {}"#, "trailing"),
        (br#"{"paymentPositions": [1, 2,]}"#, "not a GPD"),
    ];
    for (bytes, says) in cases {
        let message = format_error(bytes);
        assert!(
            message.contains(says),
            "{:?}: {message}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn unknown_top_level_keys_are_named_and_no_position_is_sent() {
    let positions: serde_json::Value = serde_json::from_str(POSITIONS).unwrap();
    // serde_json writes the keys in order: organization, paymentPositions, x.
    let bytes = json!({
        "organization": "77777777777",
        "paymentPositions": positions["paymentPositions"],
        "x": 1
    })
    .to_string();
    let (items, result, _) = read(bytes.as_bytes());
    assert!(items.is_empty());
    match result {
        Err(FileError::Format(message)) => assert!(message.contains(r#""organization", "x""#), "{message}"),
        other => panic!("expected a format error, got {other:?}"),
    }
}

#[test]
fn an_empty_list_and_a_byte_order_mark_are_fine() {
    assert!(read_ok(br#"{"paymentPositions": []}"#).is_empty());
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(POSITIONS.as_bytes());
    assert_eq!(read_ok(&bom), read_ok(POSITIONS.as_bytes()));
}

#[test]
fn a_sink_that_says_stop_ends_the_reading() {
    let progress = BytesRead::default();
    let mut seen = Vec::new();
    let mut sink = |item: ImportItem| {
        seen.push(item.position_id);
        false
    };
    gpd::read(file(POSITIONS.as_bytes()), &ente(), &progress, &mut sink).unwrap();
    assert_eq!(seen, ["IUPD-2026-0001"]);
}
