//! Reconciliation against the real binaries, on SQLite and PostgreSQL: 1 000 notices loaded
//! and paid through `pagopa-sim`, the simulator's flows (two per day: one with every anomaly
//! it can put in, one clean) fetched by the server from the simulator's FdR API, a bank
//! statement uploaded, then a new revision of both flows, then a payment whose receipt the Node
//! never delivered (read back from the simulator's receipts service) in a flow never cashed;
//! every status and work-list item is checked through the operator API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use pagopa_domain::demo;
use pagopa_tests::{Database, OPERATOR_KEY, Server, ServerOptions, Sim, free_port};
use serde_json::{Value, json};

const NOTICES: usize = 1_000;
/// One more notice is loaded: paid last, its receipt lost on the way.
const LOADED: usize = NOTICES + 1;
/// The first flow gets the first payments, with anomalies; the second the rest, clean.
const FIRST_FLOW: usize = 600;

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

async fn get(server: &Server, path: &str) -> (u16, Value) {
    let response = client()
        .get(format!("{}{path}", server.base))
        .header("x-api-key", OPERATOR_KEY)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post(server: &Server, path: &str, content_type: &str, body: String) -> (u16, Value) {
    let response = client()
        .post(format!("{}{path}", server.base))
        .header("x-api-key", OPERATOR_KEY)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn sim_post(sim: &Sim, path: &str, body: Value) -> Value {
    let response = client()
        .post(format!("{}{path}", sim.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{path}: {}", response.status());
    response.json().await.unwrap()
}

/// Loads `LOADED` single-payment positions of the Comune; returns their notice numbers.
async fn load_positions(server: &Server) -> Vec<String> {
    let mut csv = String::from(
        "position_id,option_kind,option_index,notice_number,amount_cents,due_date,description,debtor_fiscal_code,debtor_name,t1_category\n",
    );
    for n in 0..LOADED {
        csv.push_str(&format!(
            "REC-{n:05},single,0,,{},2027-06-30,Mensa scolastica,{},Giuseppe Verdi,9/0101108TS/\n",
            1_000 + n,
            demo::DEBTOR
        ));
    }
    let (status, body) = post(
        server,
        &format!("/api/v1/admin/entes/{}/imports", demo::COMUNE),
        "text/csv",
        csv,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let location = format!("/api/v1/admin/imports/{}", body["id"].as_str().unwrap());
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (_, record) = get(server, &location).await;
        if record["status"] == "done" {
            assert_eq!(record["accepted"], LOADED as u64, "{record}");
            break;
        }
        assert!(Instant::now() < deadline && record["status"] != "failed", "{record}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let report = client()
        .get(format!("{}{location}/report", server.base))
        .header("x-api-key", OPERATOR_KEY)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    report
        .lines()
        .skip(1)
        .map(|line| line.rsplit(',').next().unwrap().to_owned())
        .collect()
}

async fn pay(sim: &Sim, notices: &[String]) {
    for chunk in notices.chunks(8) {
        let mut tasks = Vec::new();
        for notice in chunk {
            let (base, notice) = (sim.base.clone(), notice.clone());
            tasks.push(tokio::spawn(async move {
                let response = client()
                    .post(format!("{base}/sim/pay"))
                    .json(&json!({ "ente": demo::COMUNE, "notice": notice }))
                    .send()
                    .await
                    .unwrap();
                assert!(response.status().is_success(), "paying {notice}: {}", response.status());
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    }
}

/// Starts a fetch and waits until it has run (the state's `last_success` moved past `since`).
async fn fetch(server: &Server, since: chrono::DateTime<chrono::Utc>) -> Value {
    let path = format!("/api/v1/admin/entes/{}/flows/fetch", demo::COMUNE);
    let (status, body) = post(server, &path, "application/json", String::new()).await;
    assert_eq!(status, 202, "{body}");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (status, state) = get(server, &path).await;
        let done = state["last_success"]
            .as_str()
            .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
            .is_some_and(|at| at > since);
        if status == 200 && done {
            return state;
        }
        assert!(Instant::now() < deadline, "the fetch did not run: {state}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn open_anomalies(server: &Server) -> BTreeMap<String, Vec<Value>> {
    let (status, body) = get(
        server,
        &format!(
            "/api/v1/admin/entes/{}/reconciliation/anomalies?limit=1000",
            demo::COMUNE
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let mut by_code: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for item in body["items"].as_array().unwrap() {
        by_code
            .entry(item["code"].as_str().unwrap().to_owned())
            .or_default()
            .push(item.clone());
    }
    by_code
}

fn counts(anomalies: &BTreeMap<String, Vec<Value>>) -> BTreeMap<&str, usize> {
    anomalies
        .iter()
        .map(|(code, items)| (code.as_str(), items.len()))
        .collect()
}

fn now() -> chrono::DateTime<chrono::Utc> {
    std::time::SystemTime::now().into()
}

async fn reconciled_end_to_end(database: Database) {
    let (server_port, sim_port) = (free_port(), free_port());
    let sim = Sim::start(sim_port, &format!("http://127.0.0.1:{server_port}/pagopa/paForNode"));
    let options = ServerOptions {
        database,
        checkout_port: None,
        gestionale_url: None,
        session_lifetime_secs: 1800,
    };
    let extra = format!(
        "\n[reconciliation]\nreceipt_grace_days = 0\ncredit_grace_days = 0\n\n\
         [reconciliation.fdr]\nbase_url = \"http://127.0.0.1:{sim_port}/fdr-org/service/v1\"\nsubscription_key = \"sim-fdr-key\"\n\n\
         [reconciliation.recovery]\nbase_url = \"http://127.0.0.1:{sim_port}/bizevents/service/v1\"\nsubscription_key = \"sim-bizevents-key\"\n"
    );
    let server = Server::start_with(server_port, &options, &extra);
    let loaded = load_positions(&server).await;
    assert_eq!(loaded.len(), LOADED);
    let (notices, lost_notice) = (&loaded[..NOTICES], loaded[NOTICES].clone());

    // The first 600 paid, published with every anomaly; the other 400, published clean.
    let today = pagopa_domain::model::calendar::italian_date(now()).to_string();
    pay(&sim, &notices[..FIRST_FLOW]).await;
    let first = sim_post(
        &sim,
        "/sim/flows/publish",
        json!({ "day": today, "ente": demo::COMUNE, "anomalies": [
            "no_receipt", "stand_in_no_receipt", "revoked", "duplicate", "wrong_total",
            "foreign_iuv", "wrong_amount", "drop_receipt"] }),
    )
    .await;
    pay(&sim, &notices[FIRST_FLOW..]).await;
    let second = sim_post(
        &sim,
        "/sim/flows/publish",
        json!({ "day": today, "ente": demo::COMUNE }),
    )
    .await;
    let anomalous_id = first["published"][0]["flow_id"].as_str().unwrap().to_owned();
    let clean_id = second["published"][0]["flow_id"].as_str().unwrap().to_owned();
    let psp = first["published"][0]["psp"].as_str().unwrap().to_owned();

    let state = fetch(&server, now()).await;
    assert_eq!(state["failures"], 0, "{state}");
    let (_, flows) = get(&server, &format!("/api/v1/admin/entes/{}/flows", demo::COMUNE)).await;
    let flows = flows["items"].as_array().unwrap().clone();
    assert_eq!(flows.len(), 2, "{flows:?}");
    let flow = |id: &str| flows.iter().find(|f| f["key"]["flow_id"] == id).unwrap().clone();
    assert_eq!(flow(&anomalous_id)["status"], "anomalous");
    assert_eq!(flow(&clean_id)["status"], "reconciled");
    assert_eq!(flow(&clean_id)["lines_count"], (NOTICES - FIRST_FLOW) as u64);

    let found = open_anomalies(&server).await;
    let expected: BTreeMap<&str, usize> = [
        ("amount_differs", 1),
        ("duplicate_line", 1),
        ("executed_without_receipt", 2),
        ("flow_totals_mismatch", 1),
        ("foreign_iuv", 1),
        ("receipt_without_flow", 1),
        ("revoked_payment", 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(counts(&found), expected);
    let unreported = &found["receipt_without_flow"][0];
    assert!(unreported["links"]["receipt_id"].is_string());
    assert!(found["amount_differs"][0]["action"].as_str().is_some());

    // The bank: the clean flow's credit for its amount, the anomalous flow's for another
    // amount, and a credit naming nothing.
    let clean_cents = flow(&clean_id)["lines_total_cents"].as_i64().unwrap();
    let anomalous_cents = flow(&anomalous_id)["lines_total_cents"].as_i64().unwrap();
    let euro = |cents: i64| format!("{}.{:02}", cents / 100, cents % 100);
    let statement = format!(
        "date;amount;account;remittance\n\
         {today};{};IT60X0542811101000000123456;/PUR/LGPE-RIVERSAMENTO/URI/{clean_id}\n\
         {today};{};IT60X0542811101000000123456;/PUR/LGPE-RIVERSAMENTO/URI/{anomalous_id}\n\
         {today};77.00;IT60X0542811101000000123456;GIROCONTO INTERNO\n",
        euro(clean_cents),
        euro(anomalous_cents + 500),
    );
    let (status, report) = post(
        &server,
        &format!("/api/v1/admin/entes/{}/bank-statements", demo::COMUNE),
        "text/csv",
        statement.clone(),
    )
    .await;
    assert_eq!(status, 201, "{report}");
    assert_eq!(
        (report["flows"].as_u64(), report["unmatched"].as_u64()),
        (Some(1), Some(2)),
        "{report}"
    );
    let (status, again) = post(
        &server,
        &format!("/api/v1/admin/entes/{}/bank-statements", demo::COMUNE),
        "text/csv",
        statement,
    )
    .await;
    assert_eq!((status, again["duplicate"].as_bool()), (200, Some(true)));
    let (_, clean) = get(
        &server,
        &format!("/api/v1/admin/entes/{}/flows/{psp}/{clean_id}", demo::COMUNE),
    )
    .await;
    assert_eq!(clean["summary"]["status"], "cashed");
    let found = open_anomalies(&server).await;
    assert_eq!(found["credit_amount_differs"].len(), 1);
    assert_eq!(found["credit_unmatched"].len(), 1);

    // The status of the day: every receipt's transfer, those reported, those cashed.
    let (status, days) = get(
        &server,
        &format!(
            "/api/v1/admin/entes/{}/reconciliation?from={today}&to={today}",
            demo::COMUNE
        ),
    )
    .await;
    assert_eq!(status, 200, "{days}");
    let day = &days["days"][0];
    assert_eq!(day["receipts"]["count"], NOTICES as u64, "{day}");
    assert_eq!(
        day["reported"]["count"],
        (NOTICES - 1) as u64,
        "all but the dropped one: {day}"
    );
    assert_eq!(day["cashed"]["count"], (NOTICES - FIRST_FLOW) as u64, "{day}");
    assert_eq!(day["anomalies"]["receipt_without_flow"], 1);

    // The office resolves the unreported receipt with a note.
    let id = unreported["id"].as_u64().unwrap();
    let (status, resolved) = post(
        &server,
        &format!(
            "/api/v1/admin/entes/{}/reconciliation/anomalies/{id}/resolve",
            demo::COMUNE
        ),
        "application/json",
        json!({ "note": "PSP: payment reported in tomorrow's flow" }).to_string(),
    )
    .await;
    assert_eq!(
        (status, resolved["status"].as_str()),
        (200, Some("resolved")),
        "{resolved}"
    );

    // A new revision of both flows: the anomalous one corrects its wrong line, the cashed one
    // changes a line, which the office must hear about.
    let revised = sim_post(
        &sim,
        "/sim/flows/publish",
        json!({ "day": today, "ente": demo::COMUNE, "anomalies": ["new_revision"] }),
    )
    .await;
    assert_eq!(revised["published"].as_array().unwrap().len(), 2, "{revised}");
    fetch(&server, now()).await;
    let found = open_anomalies(&server).await;
    assert_eq!(found["revision_changed_reconciled"].len(), 1, "{:#?}", counts(&found));
    let changed = &found["revision_changed_reconciled"][0];
    assert_eq!(changed["links"]["flow_id"], clean_id.as_str());
    assert_eq!(changed["links"]["flow_revision"], 2);
    // The cashed flow's credit no longer fits its new total.
    assert_eq!(found["credit_amount_differs"].len(), 2, "{:#?}", counts(&found));
    let (_, all) = get(
        &server,
        &format!("/api/v1/admin/entes/{}/flows?all_revisions=true", demo::COMUNE),
    )
    .await;
    let statuses: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == "superseded").count(),
        2,
        "{statuses:?}"
    );

    // The export: one row per collected transfer, each with its flow.
    let export = client()
        .get(format!(
            "{}/api/v1/admin/entes/{}/reconciliation/export?from={today}&to={today}",
            server.base,
            demo::COMUNE
        ))
        .header("x-api-key", OPERATOR_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 200);
    let csv = export.text().await.unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), NOTICES);
    assert_eq!(
        rows.iter().filter(|row| row.contains(&clean_id)).count(),
        NOTICES - FIRST_FLOW
    );
    assert!(
        rows.iter().all(|row| row.contains("9/0101108TS/")),
        "the taxonomy of every transfer"
    );

    lost_receipt_recovered(&server, &sim, &lost_notice).await;
}

/// The receipts recorded for `notice`.
async fn recorded(server: &Server, notice: &str) -> Vec<Value> {
    let path = format!(
        "/api/v1/admin/receipts?recipient={}&notice_number={notice}",
        demo::COMUNE
    );
    get(server, &path).await.1["items"].as_array().unwrap().clone()
}

/// A payment whose `paSendRT` never reaches the server, in a flow settled yesterday that no
/// credit brings: the line waits for its receipt and the flow is not cashed; the receipt is
/// read back from the receipts service, recorded and matched, and the flow is reconciled.
async fn lost_receipt_recovered(server: &Server, sim: &Sim, notice: &str) {
    let paid = sim_post(
        sim,
        "/sim/pay",
        json!({ "ente": demo::COMUNE, "notice": notice, "lose_receipt": true }),
    )
    .await;
    let receipt_id = paid["receipt_id"]
        .as_str()
        .expect("the report names the receipt")
        .to_owned();
    let today = pagopa_domain::model::calendar::italian_date(now());
    let yesterday = today.pred_opt().unwrap();
    let published = sim_post(
        sim,
        "/sim/flows/publish",
        json!({ "day": today.to_string(), "ente": demo::COMUNE, "regulation_date": yesterday.to_string() }),
    )
    .await;
    let flows = published["published"].as_array().unwrap();
    assert_eq!(flows.len(), 1, "one flow, of the lost payment: {published}");
    let flow_id = flows[0]["flow_id"].as_str().unwrap().to_owned();
    let psp = flows[0]["psp"].as_str().unwrap().to_owned();
    let iuv = &notice[1..];
    fetch(server, now()).await;

    let found = open_anomalies(server).await;
    let not_cashed = &found["flow_not_cashed"];
    assert_eq!(not_cashed.len(), 1, "{:#?}", counts(&found));
    assert_eq!(not_cashed[0]["links"]["flow_id"], flow_id.as_str());
    // The scheduled round may have asked for the receipt already; otherwise the line waits.
    let waiting = found.get("line_without_receipt").map_or(&[][..], Vec::as_slice);
    if recorded(server, notice).await.is_empty() {
        assert_eq!(waiting.len(), 1, "{:#?}", counts(&found));
        assert_eq!(waiting[0]["links"]["iuv"], iuv);
        assert_eq!(waiting[0]["links"]["iur"], receipt_id.as_str());
    }

    let (status, outcome) = post(
        server,
        &format!("/api/v1/admin/entes/{}/reconciliation/recover", demo::COMUNE),
        "application/json",
        String::new(),
    )
    .await;
    assert_eq!(status, 200, "{outcome}");
    assert!(outcome["error"].is_null(), "{outcome}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let stored = loop {
        let stored = recorded(server, notice).await;
        if !stored.is_empty() {
            break stored;
        }
        assert!(Instant::now() < deadline, "the receipt was not recovered: {outcome}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["receipt"]["receipt_id"], receipt_id.as_str());
    assert_eq!(stored[0]["receipt"]["delivery"]["recovered"], true, "{}", stored[0]);
    assert_eq!(stored[0]["disposition"]["kind"], "settled", "{}", stored[0]);

    let found = open_anomalies(server).await;
    assert!(!found.contains_key("line_without_receipt"), "{:#?}", counts(&found));
    assert_eq!(found["flow_not_cashed"].len(), 1, "matched, still not cashed");
    let (_, flow) = get(
        server,
        &format!("/api/v1/admin/entes/{}/flows/{psp}/{flow_id}", demo::COMUNE),
    )
    .await;
    assert_eq!(flow["summary"]["status"], "reconciled", "{flow}");
    let (_, position) = get(
        server,
        &format!("/api/v1/admin/entes/{}/positions/REC-{NOTICES:05}", demo::COMUNE),
    )
    .await;
    assert_eq!(position["status"], "reported", "paid, and reported whole: {position}");

    // Nothing waits any more: a second round asks nothing.
    let (_, again) = post(
        server,
        &format!("/api/v1/admin/entes/{}/reconciliation/recover", demo::COMUNE),
        "application/json",
        String::new(),
    )
    .await;
    assert_eq!(
        (again["waiting"].as_u64(), again["asked"].as_u64()),
        (Some(0), Some(0)),
        "{again}"
    );
}

#[actix_web::test]
async fn flows_receipts_and_bank_reconciled_on_sqlite() {
    reconciled_end_to_end(Database::sqlite("reconciliation")).await;
}

#[actix_web::test]
async fn flows_receipts_and_bank_reconciled_on_postgres() {
    let Some(database) = Database::postgres("reconciliation") else {
        return;
    };
    reconciled_end_to_end(database).await;
}
