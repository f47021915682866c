//! Bulk loads against the real binaries: an upload killed with SIGKILL midway and resumed by
//! the restarted server, every row reported once and no position lost or half written, while
//! the Node pays positions of the same Ente; then `pagopa-server import` from the command line
//! on the same database (idempotent reload, a paid row refused), on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use pagopa_domain::demo;
use pagopa_tests::{Database, OPERATOR_KEY, Server, ServerOptions, config_file, free_port, server_exit, sim_command};
use serde_json::Value;

const ROWS: usize = 20_000;

fn csv(rows: usize, cents: u32) -> String {
    let mut text = String::from(
        "position_id,option_kind,option_index,notice_number,amount_cents,due_date,description,debtor_fiscal_code,debtor_name,t1_category\n",
    );
    for n in 0..rows {
        text.push_str(&format!(
            "KILL-{n:06},single,0,,{cents},2027-06-30,Retta 2027,{},Giuseppe Verdi,9/0101108TS/\n",
            demo::DEBTOR
        ));
    }
    text
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn operator_get(server: &Server, path: &str) -> reqwest::Response {
    client()
        .get(format!("{}{path}", server.base))
        .header("x-api-key", OPERATOR_KEY)
        .send()
        .await
        .unwrap()
}

async fn record(server: &Server, location: &str) -> Value {
    operator_get(server, location).await.json().await.unwrap()
}

fn options(database: &Database) -> ServerOptions {
    ServerOptions {
        database: database.clone(),
        checkout_port: None,
        gestionale_url: None,
        session_lifetime_secs: 1800,
    }
}

async fn killed_midway_and_resumed(database: Database) {
    let port = free_port();
    let _ = std::fs::remove_dir_all(pagopa_tests::imports_dir(port));
    let server = Server::start(port, &options(&database));
    let upload = client()
        .post(format!("{}/api/v1/admin/entes/{}/imports", server.base, demo::COMUNE))
        .header("x-api-key", OPERATOR_KEY)
        .header("content-type", "text/csv")
        .body(csv(ROWS, 4_200))
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 202);
    let location = upload.headers()["location"].to_str().unwrap().to_owned();

    // While it runs, the Node pays a position of the same Ente, and one the load just made.
    let deadline = Instant::now() + Duration::from_secs(60);
    let first_notice = loop {
        let report = operator_get(&server, &format!("{location}/report"))
            .await
            .text()
            .await
            .unwrap();
        if let Some(line) = report.lines().nth(1) {
            break line.rsplit(',').next().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "the load did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let tari = demo::tari().options[0].notice_number.to_string();
    for notice in [&tari, &first_notice] {
        let (ok, output) = sim_command(&server.soap_url(), &["pay", "--ente", demo::COMUNE, "--notice", notice]);
        assert!(ok, "paying {notice} during the load: {output}");
    }
    let before_kill = record(&server, &location).await;
    assert_ne!(
        before_kill["status"], "done",
        "the load ended before the kill: make ROWS larger"
    );
    drop(server); // SIGKILL

    let server = Server::start(port, &options(&database));
    let deadline = Instant::now() + Duration::from_secs(120);
    let done = loop {
        let now = record(&server, &location).await;
        if now["status"] == "done" || now["status"] == "failed" {
            break now;
        }
        assert!(Instant::now() < deadline, "the load was not resumed: {now}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(
        (done["rows_read"].as_u64(), done["rejected"].as_u64()),
        (Some(ROWS as u64), Some(0)),
        "{done}"
    );
    let report = operator_get(&server, &format!("{location}/report"))
        .await
        .text()
        .await
        .unwrap();
    let rows: Vec<u64> = report
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    let distinct: BTreeSet<u64> = rows.iter().copied().collect();
    assert_eq!(rows.len(), ROWS, "every row reported once");
    assert_eq!(distinct, (2..=ROWS as u64 + 1).collect(), "no row lost, none twice");

    // Every position is there, whole: a page search over the Ente's positions.
    let mut found = 0;
    let mut after = String::new();
    loop {
        let page: Value = operator_get(
            &server,
            &format!("/api/v1/admin/positions?ente={}&limit=1000{after}", demo::COMUNE),
        )
        .await
        .json()
        .await
        .unwrap();
        for item in page["items"].as_array().unwrap() {
            if item["iupd"].as_str().unwrap().starts_with("KILL-") {
                found += 1;
                assert_eq!(item["options"].as_array().unwrap().len(), 1);
                assert_eq!(item["options"][0]["transfers"].as_array().unwrap().len(), 1);
            }
        }
        match page["next"].as_object() {
            Some(next) => {
                after = next
                    .iter()
                    .map(|(k, v)| format!("&{k}={}", v.as_str().unwrap()))
                    .collect();
            }
            None => break,
        }
    }
    assert_eq!(found, ROWS);
    let paid: Value = operator_get(
        &server,
        &format!("/api/v1/admin/entes/{}/positions/KILL-000000", demo::COMUNE),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(paid["status"], "paid", "the payment made during the load stands");

    // From the command line on the same database: the file again changes nothing; with a new
    // amount every payable row is updated and the paid one refused.
    let dir = pagopa_tests::imports_dir(port);
    let file = dir.join("again.csv");
    std::fs::write(&file, csv(ROWS, 4_200)).unwrap();
    let config = config_file(
        &format!("imports-cli-{port}"),
        &format!(
            "log = \"warn\"\n[database]\nurl = \"{}\"\n[node.auth]\nallow_anonymous = true\n",
            database.url_for_config()
        ),
    );
    let (status, output) = server_exit(&config, &["import", "--ente", demo::COMUNE, file.to_str().unwrap()]);
    assert_eq!(status, Some(0), "{output}");
    let report = std::fs::read_to_string(dir.join("again.csv.report.csv")).unwrap();
    assert!(
        report.lines().skip(1).all(|l| l.contains(",unchanged,")),
        "{}",
        &report[..500.min(report.len())]
    );
    std::fs::write(&file, csv(ROWS, 4_300)).unwrap();
    let (status, output) = server_exit(&config, &["import", "--ente", demo::COMUNE, file.to_str().unwrap()]);
    assert_eq!(status, Some(1), "one row is refused: {output}");
    let report = std::fs::read_to_string(dir.join("again.csv.report.csv")).unwrap();
    let refused: Vec<&str> = report.lines().filter(|l| l.contains(",rejected,")).collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0].starts_with("2,KILL-000000,0,rejected,not_updatable,"),
        "{}",
        refused[0]
    );
    let (status, output) = server_exit(&config, &["import", "--ente", demo::COMUNE, "/nonexistent/file.csv"]);
    assert_eq!(status, Some(2), "{output}");
}

#[actix_web::test]
async fn an_upload_killed_midway_is_resumed_on_sqlite() {
    killed_midway_and_resumed(Database::sqlite("imports-kill")).await;
}

#[actix_web::test]
async fn an_upload_killed_midway_is_resumed_on_postgres() {
    let Some(database) = Database::postgres("imports_kill") else {
        return;
    };
    killed_midway_and_resumed(database).await;
}
