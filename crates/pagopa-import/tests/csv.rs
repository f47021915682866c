//! CSV loads through the runner over the in-memory world: the golden report of a file with one
//! row of every error kind, loading twice, a changed row and a cancel, a dry run, file errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use pagopa_domain::memory::MemoryWorld;
use pagopa_domain::ports::Clock;
use pagopa_domain::{ImportFormat, ImportRecord, ImportStatus, NewImport, demo};
use pagopa_import::runner::Runner;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/csv").join(name)
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("csv-loads").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn world() -> MemoryWorld {
    let world = MemoryWorld::new();
    demo::seed(&world.ports(), world.clock.now()).await.unwrap();
    world
}

/// Loads `file` into `world` and returns the record and the report's text.
async fn load(world: &MemoryWorld, file: &Path, report: &Path, dry_run: bool) -> (ImportRecord, String) {
    let ports = world.ports();
    let new = NewImport {
        ente: demo::COMUNE.parse().unwrap(),
        format: ImportFormat::Csv,
        sha256: "test".into(),
        dry_run,
        actor: "test".into(),
        bytes: 0,
    };
    let record = ImportRecord::queued(ports.ids.import_id(), new, world.clock.now());
    ports.imports.create_import(&record).await.unwrap();
    let done = Runner::new(ports, "test")
        .run(record, file, report, &mut |_| {})
        .await
        .unwrap();
    (done, std::fs::read_to_string(report).unwrap())
}

#[tokio::test]
async fn a_file_with_every_kind_of_error_gives_the_golden_report() {
    let world = world().await;
    let dir = scratch("golden");
    let (record, report) = load(&world, &data("every-error.csv"), &dir.join("report.csv"), false).await;
    let golden = data("every-error.report.csv");
    if std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::write(&golden, &report).unwrap();
    }
    assert_eq!(
        report,
        std::fs::read_to_string(&golden).unwrap(),
        "UPDATE_GOLDEN=1 rewrites the golden report"
    );
    assert_eq!(record.status, ImportStatus::Done);
    // Accepted: OK-1 and OK-2; the cancel of OK-2 comes after other rows, so it is a repeat.
    assert_eq!((record.rows_read, record.accepted), (17, 2));
    let codes: Vec<&str> = report
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(4).unwrap_or(""))
        .collect();
    for code in [
        "invalid_fiscal_code",
        "invalid_iban",
        "invalid_notice_number",
        "transfer_sum",
        "transfer_count",
        "duplicate_key",
        "unknown_column",
        "invalid_date",
        "invalid_amount",
        "unknown_beneficiary",
        "instalments",
    ] {
        assert!(codes.contains(&code), "no {code} in\n{report}");
    }
}

#[tokio::test]
async fn loading_twice_changes_nothing_and_a_changed_row_updates() {
    let world = world().await;
    let dir = scratch("twice");
    let file = dir.join("tari.csv");
    let header = "position_id;option_kind;option_index;notice_number;amount_cents;due_date;description;debtor_fiscal_code;debtor_name;t1_category\n";
    let row = |id: &str, cents: u32| {
        format!(
            "{id};single;0;;{cents};2027-06-30;TARI 2027;{};Giuseppe Verdi;9/0101108TS/\n",
            demo::DEBTOR
        )
    };
    std::fs::write(
        &file,
        format!("\u{feff}{header}{}{}", row("T-1", 1000), row("T-2", 2000)),
    )
    .unwrap();
    let (_, first) = load(&world, &file, &dir.join("1.csv"), false).await;
    assert_eq!(outcomes(&first), ["created", "created"]);
    let (_, second) = load(&world, &file, &dir.join("2.csv"), false).await;
    assert_eq!(outcomes(&second), ["unchanged", "unchanged"]);
    assert_eq!(notices(&first), notices(&second), "allocated numbers are kept");
    std::fs::write(
        &file,
        format!("{header}{}{}action\n", row("T-1", 1500), row("T-2", 2000)).replace("action\n", ""),
    )
    .unwrap();
    let (_, third) = load(&world, &file, &dir.join("3.csv"), false).await;
    assert_eq!(outcomes(&third), ["updated", "unchanged"]);
    let cancel = "action,position_id\ncancel,T-2\ncancel,T-9\n";
    std::fs::write(&file, cancel).unwrap();
    let (_, fourth) = load(&world, &file, &dir.join("4.csv"), false).await;
    assert_eq!(outcomes(&fourth), ["cancelled", "rejected"]);
    let stored = world
        .ports()
        .positions
        .get(&demo::COMUNE.parse().unwrap(), &"T-1".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.options[0].amount.cents(), 1500);
}

#[tokio::test]
async fn a_dry_run_writes_nothing_and_a_bad_header_fails_the_load() {
    let world = world().await;
    let dir = scratch("dry");
    let (record, report) = load(&world, &data("every-error.csv"), &dir.join("dry.csv"), true).await;
    assert_eq!(record.accepted, 2);
    assert!(
        report.contains(",created,,,\r\n"),
        "no number is allocated on a dry run:\n{report}"
    );
    assert!(
        world
            .ports()
            .positions
            .get(&demo::COMUNE.parse().unwrap(), &"OK-1".parse().unwrap())
            .await
            .unwrap()
            .is_none()
    );

    let file = dir.join("bad.csv");
    std::fs::write(&file, "position_id,amount,colour\nX,1,red\n").unwrap();
    let (record, _) = load(&world, &file, &dir.join("bad.report.csv"), false).await;
    assert_eq!(record.status, ImportStatus::Failed);
    let error = record.error.unwrap();
    assert!(error.contains("amount") && error.contains("colour"), "{error}");
}

fn outcomes(report: &str) -> Vec<String> {
    report
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(3).unwrap_or("").to_owned())
        .collect()
}

fn notices(report: &str) -> Vec<String> {
    report
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(6).unwrap_or("").to_owned())
        .collect()
}
