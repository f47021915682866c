//! End to end, against the real binaries: `pagopa-server` (demo Enti) with `pagopa-sim` as
//! pagoPA, and an in-process fake of the Ente's gestionale.
//!
//! (a) modello 3: verified, activated, paid, the receipt stored, the gestionale notified; on
//! SQLite and on PostgreSQL. (b) modello 1: a cart of two notices of two Enti ends paid.
//! (c) an abandoned checkout ends uncertain and its notice can be paid again. (d) duplicate,
//! late and unknown receipts lose nothing and change nothing twice.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use pagopa_domain::demo;
use pagopa_tests::{
    CHECKOUT_KEY, Database, NODE_SECRET, OPERATOR_KEY, Server, ServerOptions, Sim, free_port, sim_command,
};
use serde_json::{Value, json};

/// What the fake gestionale received: (path, body).
type Inbox = Arc<Mutex<Vec<(String, Value)>>>;

/// A gestionale that acknowledges every notification and remembers it.
async fn fake_gestionale() -> (String, Inbox, actix_web::dev::ServerHandle) {
    let inbox: Inbox = Arc::default();
    let data = web::Data::new(inbox.clone());
    let server = HttpServer::new(move || {
        App::new().app_data(data.clone()).default_service(web::to(
            |request: HttpRequest, body: web::Bytes, inbox: web::Data<Inbox>| async move {
                let path = request.path().to_owned();
                if request.method() == actix_web::http::Method::POST && path.ends_with("/payments") {
                    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    inbox.lock().unwrap().push((path, value));
                    HttpResponse::NoContent().finish()
                } else {
                    HttpResponse::NotImplemented().finish()
                }
            },
        ))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let port = server.addrs()[0].port();
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (format!("http://127.0.0.1:{port}"), inbox, handle)
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn operator_get(server: &Server, path: &str) -> Value {
    let response = client()
        .get(format!("{}{path}", server.base))
        .header("x-api-key", OPERATOR_KEY)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{path}: {}", response.status());
    response.json().await.unwrap()
}

async fn receipts_of(server: &Server, notice: &str) -> Vec<Value> {
    let page = operator_get(server, &format!("/api/v1/admin/receipts?notice_number={notice}")).await;
    page["items"].as_array().cloned().unwrap_or_default()
}

async fn position_status(server: &Server, ente: &str, iupd: &str) -> String {
    let position = operator_get(server, &format!("/api/v1/admin/entes/{ente}/positions/{iupd}")).await;
    position["status"].as_str().unwrap_or_default().to_owned()
}

/// Waits until `check` holds, for at most `secs` seconds.
async fn eventually(secs: u64, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    check()
}

fn notifications_for(inbox: &Inbox, receipt_id: &str) -> usize {
    inbox
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, body)| body.to_string().contains(receipt_id))
        .count()
}

/// The receipt id the simulator printed (`receipt <id>`).
fn printed_receipt_id(output: &str) -> String {
    output
        .split_whitespace()
        .skip_while(|w| !w.eq_ignore_ascii_case("receipt") && !w.eq_ignore_ascii_case("receiptId"))
        .nth(1)
        .map(|w| w.trim_matches(|c: char| !c.is_ascii_alphanumeric()).to_owned())
        .unwrap_or_else(|| panic!("no receipt id in the simulator's report: {output}"))
}

async fn modello_3(database: Database) {
    let (gestionale, inbox, handle) = fake_gestionale().await;
    let server = Server::start(
        free_port(),
        &ServerOptions {
            database,
            checkout_port: None,
            gestionale_url: Some(gestionale),
            session_lifetime_secs: 1800,
        },
    );
    let tari = demo::tari();
    let notice = tari.options[0].notice_number.to_string();
    let (ok, output) = sim_command(
        &server.soap_url(),
        &["pay", "--ente", demo::COMUNE, "--notice", &notice],
    );
    assert!(ok, "{output}");
    let receipt_id = printed_receipt_id(&output);

    let receipts = receipts_of(&server, &notice).await;
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    assert_eq!(receipts[0]["receipt"]["receipt_id"], receipt_id.as_str());
    assert_eq!(receipts[0]["disposition"]["kind"], "settled");
    assert_eq!(position_status(&server, demo::COMUNE, tari.iupd.as_str()).await, "paid");
    assert!(
        eventually(15, || notifications_for(&inbox, &receipt_id) == 1).await,
        "the gestionale was not notified of {receipt_id}: {:?}",
        inbox.lock().unwrap()
    );
    let metrics = client()
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("pagopa_receipts_stored_total 1"), "{metrics}");
    assert!(
        metrics.contains(r#"pagopa_node_requests_total{operation="paSendRTV2",outcome="OK"} 1"#),
        "{metrics}"
    );
    handle.stop(true).await;
}

#[actix_web::test]
async fn modello_3_on_sqlite() {
    modello_3(Database::sqlite("m3")).await;
}

#[actix_web::test]
async fn modello_3_on_postgres() {
    if let Some(database) = Database::postgres("m3") {
        modello_3(database).await;
    }
}

/// A position of the Provincia for the demo debtor, through the operator API.
async fn provincia_position(server: &Server) -> String {
    let provincia = demo::provincia();
    let notice = pagopa_domain::value::NoticeNumber::build(provincia.notice_layout, 2_612_000_000_042).unwrap();
    let mut option = demo::simple_option(1, 3_500, "Diritti di istruttoria pratica 42/2026", "2026-12-31");
    option.notice_number = notice.clone();
    option.transfers[0].ente = provincia.id.clone();
    option.transfers[0].account = pagopa_domain::model::TransferAccount::Iban {
        iban: provincia.bank_iban.clone(),
        postal_alternative: None,
    };
    let draft = demo::draft("PRATICA-42-2026", demo::debtor(), "Pratica 42/2026", vec![option]);
    let response = client()
        .post(format!(
            "{}/api/v1/admin/entes/{}/positions",
            server.base,
            demo::PROVINCIA
        ))
        .header("x-api-key", OPERATOR_KEY)
        .json(&draft)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201, "{}", response.text().await.unwrap());
    notice.to_string()
}

async fn start_cart(server: &Server, notices: &[(&str, &str)]) -> Value {
    let body = json!({
        "notices": notices.iter().map(|(ente, notice)| json!({ "ente": ente, "notice_number": notice })).collect::<Vec<_>>(),
        "return_urls": { "ok": "https://fe.example/ok", "cancel": "https://fe.example/ko", "error": "https://fe.example/err" },
    });
    let response = client()
        .post(format!("{}/api/v1/carts", server.base))
        .header("x-api-key", &server.front_end_key)
        .header("authorization", format!("Bearer {}", server.citizen_token))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let cart: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{cart}");
    cart
}

async fn cart_status(server: &Server, id: &str) -> String {
    let cart: Value = client()
        .get(format!("{}/api/v1/carts/{id}", server.base))
        .header("x-api-key", &server.front_end_key)
        .header("authorization", format!("Bearer {}", server.citizen_token))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    cart["status"].as_str().unwrap_or_default().to_owned()
}

/// The simulator's cart id: the last segment of the Checkout URL.
fn sim_cart(cart: &Value) -> String {
    let url = cart["checkout_url"].as_str().unwrap();
    assert!(url.contains("/checkout/pay/"), "{url}");
    url.rsplit('/').next().unwrap().to_owned()
}

async fn sim_post(sim: &Sim, path: &str, body: Value) -> Value {
    let response = client()
        .post(format!("{}{path}", sim.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

struct Pair {
    server: Server,
    sim: Sim,
}

fn server_and_sim(label: &str, session_lifetime_secs: i64) -> Pair {
    let (server_port, sim_port) = (free_port(), free_port());
    let sim = Sim::start(sim_port, &format!("http://127.0.0.1:{server_port}/pagopa/paForNode"));
    let server = Server::start(
        server_port,
        &ServerOptions {
            database: Database::sqlite(label),
            checkout_port: Some(sim_port),
            gestionale_url: None,
            session_lifetime_secs,
        },
    );
    Pair { server, sim }
}

#[actix_web::test]
async fn modello_1_a_cart_of_two_enti_ends_paid() {
    let Pair { server, sim } = server_and_sim("m1", 1800);
    let provincia_notice = provincia_position(&server).await;
    let tari = demo::tari().options[0].notice_number.to_string();
    let cart = start_cart(&server, &[(demo::COMUNE, &tari), (demo::PROVINCIA, &provincia_notice)]).await;
    assert_eq!(cart["status"], "in_progress");
    assert_eq!(cart["total_cents"], 24_570 + 3_500);
    let id = cart["id"].as_str().unwrap();
    let report = sim_post(&sim, &format!("/sim/carts/{}/pay", sim_cart(&cart)), json!({})).await;
    assert!(!report.to_string().contains("PAA_"), "{report}");
    assert_eq!(cart_status(&server, id).await, "paid");
    for notice in [&tari, &provincia_notice] {
        let receipts = receipts_of(&server, notice).await;
        assert_eq!(receipts.len(), 1, "{notice}: {receipts:?}");
        assert_eq!(receipts[0]["receipt"]["payment_note"], id);
    }
    let _ = CHECKOUT_KEY;
}

#[actix_web::test]
async fn an_abandoned_checkout_ends_uncertain_and_the_notice_is_payable_again() {
    let Pair { server, sim } = server_and_sim("abandon", 2);
    let instalment = demo::imu_plan().options[1].notice_number.to_string();
    let cart = start_cart(&server, &[(demo::COMUNE, &instalment)]).await;
    let id = cart["id"].as_str().unwrap();
    sim_post(&sim, &format!("/sim/carts/{}/abandon", sim_cart(&cart)), json!({})).await;
    assert_eq!(cart_status(&server, id).await, "in_progress");
    actix_web::rt::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(cart_status(&server, id).await, "uncertain");
    assert!(receipts_of(&server, &instalment).await.is_empty());

    // Payable again: a new cart, and modello 3 at a PSP.
    let again = start_cart(&server, &[(demo::COMUNE, &instalment)]).await;
    assert_eq!(again["status"], "in_progress");
    let (ok, output) = sim_command(
        &server.soap_url(),
        &["pay", "--ente", demo::COMUNE, "--notice", &instalment],
    );
    assert!(ok, "{output}");
    assert_eq!(receipts_of(&server, &instalment).await.len(), 1);
}

#[actix_web::test]
async fn duplicate_late_and_unknown_receipts_lose_nothing_and_change_nothing_twice() {
    let Pair { server, sim } = server_and_sim("receipts", 2);

    // Late: the receipt arrives after the session lifetime; the cart still ends paid.
    let late_notice = demo::imu_plan().options[2].notice_number.to_string();
    let cart = start_cart(&server, &[(demo::COMUNE, &late_notice)]).await;
    let id = cart["id"].as_str().unwrap().to_owned();
    let sim_id = sim_cart(&cart);
    let path = format!("/sim/carts/{sim_id}/pay");
    let pay = sim_post(&sim, &path, json!({ "late_ms": 3_000 }));
    let during = async {
        actix_web::rt::time::sleep(Duration::from_millis(2_500)).await;
        cart_status(&server, &id).await
    };
    let (_, during) = tokio::join!(pay, during);
    assert_eq!(during, "uncertain");
    assert_eq!(cart_status(&server, &id).await, "paid");

    // Duplicate: the same receipt twice is one receipt, one effect.
    let tari = demo::tari();
    let notice = tari.options[0].notice_number.to_string();
    let (ok, output) = sim_command(
        &server.soap_url(),
        &["pay", "--ente", demo::COMUNE, "--notice", &notice, "--duplicate"],
    );
    assert!(ok, "{output}");
    let receipts = receipts_of(&server, &notice).await;
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    let position = operator_get(
        &server,
        &format!("/api/v1/admin/entes/{}/positions/{}", demo::COMUNE, tari.iupd),
    )
    .await;
    assert_eq!(position["status"], "paid");
    let version = position["version"].clone();

    // A second payment of a paid notice: stored for an operator, PAA_RECEIPT_DUPLICATA, and the
    // position is not changed again.
    let cosap = demo::other_debtor_position();
    let cosap_notice = cosap.options[0].notice_number.to_string();
    let (ok, output) = sim_command(
        &server.soap_url(),
        &[
            "pay",
            "--ente",
            demo::COMUNE,
            "--notice",
            &cosap_notice,
            "--second-receipt",
        ],
    );
    assert!(ok, "{output}");
    assert!(output.contains("PAA_RECEIPT_DUPLICATA"), "{output}");
    assert_eq!(receipts_of(&server, &cosap_notice).await.len(), 2);
    let position = operator_get(
        &server,
        &format!("/api/v1/admin/entes/{}/positions/{}", demo::COMUNE, cosap.iupd),
    )
    .await;
    assert_eq!(position["status"], "paid");
    assert_eq!(
        position["version"], 1,
        "a double payment changed the position: {position}"
    );
    let position = operator_get(
        &server,
        &format!("/api/v1/admin/entes/{}/positions/{}", demo::COMUNE, tari.iupd),
    )
    .await;
    assert_eq!(position["version"], version, "a repeated receipt changed the position");

    // A receipt taken while the Node answered in Stand-In (no activation ever reached us), and a
    // receipt whose first delivery timed out and was sent again: each settles once.
    let imu = demo::imu_plan();
    for (notice, flag) in [(&imu.options[1], "--stand-in"), (&imu.options[3], "--timeout")] {
        let notice = notice.notice_number.to_string();
        let (ok, output) = sim_command(
            &server.soap_url(),
            &["pay", "--ente", demo::COMUNE, "--notice", &notice, flag],
        );
        assert!(ok, "{flag}: {output}");
        let receipts = receipts_of(&server, &notice).await;
        assert_eq!(receipts.len(), 1, "{flag}: {receipts:?}");
        assert_eq!(receipts[0]["disposition"]["kind"], "settled", "{flag}");
        if flag == "--stand-in" {
            assert_eq!(receipts[0]["receipt"]["stand_in"], true);
        }
    }

    // Unknown notice: the shared sample receipt for a notice this Ente never issued.
    let unknown = include_str!("../../crates/pagopa-nodo/tests/fixtures/samples/paSendRTV2Request-stamp.xml");
    for _ in 0..2 {
        let answer = client()
            .post(server.soap_url())
            .header("SOAPAction", "\"paSendRTV2\"")
            .header("X-Node-Secret", NODE_SECRET)
            .header("content-type", "text/xml; charset=utf-8")
            .body(unknown)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(answer.contains("<outcome>"), "{answer}");
    }
    let review = operator_get(&server, "/api/v1/admin/receipts?needs_review=true").await;
    let review = review["items"].as_array().cloned().unwrap_or_default();
    let unknown_receipts: Vec<_> = review
        .iter()
        .filter(|r| r["receipt"]["receipt_id"] == "e86a3b0f52d94c17b2e5a9c04f1d7b68")
        .collect();
    assert_eq!(unknown_receipts.len(), 1, "{review:?}");
    assert_eq!(unknown_receipts[0]["disposition"]["kind"], "unknown_notice");
    assert!(
        review.iter().any(|r| r["disposition"]["kind"] == "double_payment"),
        "{review:?}"
    );
}
