//! End to end, the real `pagopa-server` with a named gestionale (`[gestionali.tributi]`, the
//! kit's fake HTTP gestionale checking Standard Webhooks signatures): a printed notice the
//! server does not hold is found at the gestionale when the Node verifies it, paid, and its
//! payment notified, signed, through a flaky gestionale until acknowledged; the breaker shows in
//! `/health/ready` and `/metrics`; the gestionale's key reads the Ente's pull feed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use pagopa_domain::demo;
use pagopa_gestionale_testkit::FakeHttpGestionale;
use pagopa_tests::{Database, NODE_SECRET, OPERATOR_KEY, Server, config_file, free_port, key_hash, sim_command};
use serde_json::Value;

const GESTIONALE_KEY: &str = "e2e-gestionale-key-0123456789abcdef";
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn configuration(port: u16, database: &Database, gestionale: &str) -> String {
    format!(
        "log = \"warn\"\n\n[server]\naddress = \"127.0.0.1\"\nport = {port}\nworkers = 2\n\n\
         [database]\nurl = \"{db}\"\npool_size = 4\nmigrate_on_start = true\n\n\
         [outbox]\ninterval_ms = 100\nbatch = 4\nlease_secs = 3\nretry_base_secs = 1\nretry_max_secs = 1\n\n\
         [node.auth]\nsecret = \"{NODE_SECRET}\"\n\n\
         [[api_keys]]\nname = \"e2e-operator\"\nsha256 = \"{op}\"\nrole = \"operator\"\n\n\
         [[api_keys]]\nname = \"tributi\"\nsha256 = \"{gk}\"\nrole = \"gestionale\"\nentes = [\"{comune}\"]\n\n\
         [[entes]]\nid = \"{comune}\"\nname = \"Comune di Valdesempio\"\naux_digit = 3\nsegregation_code = 5\n\
         broker_id = \"80012345676\"\nstation_id = \"80012345676_01\"\nbank_iban = \"IT56M0306911200000000046020\"\n\
         positions_on_demand = true\ngestionale = \"tributi\"\n\n\
         [[entes]]\nid = \"{provincia}\"\nname = \"Provincia di Esempio\"\naux_digit = 3\nsegregation_code = 6\n\
         broker_id = \"80012345676\"\nstation_id = \"80012345676_01\"\nbank_iban = \"IT90P0503411200000000078915\"\n\n\
         [gestionali.tributi]\nkind = \"http\"\nbase_url = \"{gestionale}\"\ntimeout_ms = 1000\n\
         webhook_secret = \"{SECRET}\"\nmax_attempts = 100\n",
        db = database.url_for_config(),
        op = key_hash(OPERATOR_KEY),
        gk = key_hash(GESTIONALE_KEY),
        comune = demo::COMUNE,
        provincia = demo::PROVINCIA,
    )
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().unwrap()
}

async fn get(server: &Server, path: &str, key: &str) -> (u16, Value) {
    let response = client()
        .get(format!("{}{path}", server.base))
        .header("x-api-key", key)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn eventually(secs: u64, mut check: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    check()
}

async fn a_named_gestionale_end_to_end(label: &str, database: Database) {
    let fake = FakeHttpGestionale::start_with(FakeHttpGestionale::with_webhook_secret(SECRET));
    let backend = fake.backend();
    // A printed notice the gestionale issued itself: the server has never seen it.
    let printed = demo::tari();
    let notice = printed.options[0].notice_number.to_string();
    backend.hold_notice(&demo::COMUNE.parse().unwrap(), printed.clone());

    let port = free_port();
    let config = config_file(label, &configuration(port, &database, &fake.base_url()));
    let server = Server::launch(port, &config, &[]);

    // The gestionale fails the first notifications: they are retried until acknowledged.
    fake.fail_first_notifications(2);
    let (ok, output) = sim_command(
        &server.soap_url(),
        &["pay", "--ente", demo::COMUNE, "--notice", &notice],
    );
    assert!(ok, "the Node's verify finds the notice at the gestionale: {output}");
    assert!(
        fake.seen()
            .iter()
            .any(|r| r.path.ends_with(&format!("/notices/{notice}"))),
        "{:?}",
        fake.seen()
    );
    assert!(
        eventually(20, || fake.payments().len() == 1).await,
        "the payment reached the gestionale: {:?}",
        fake.seen()
    );
    let payments: Vec<_> = fake
        .seen()
        .into_iter()
        .filter(|r| r.path.ends_with("/payments"))
        .collect();
    assert!(payments.len() >= 3, "two failures, then the delivery: {payments:?}");
    assert!(
        payments.iter().all(|r| r.signature_valid == Some(true)),
        "every attempt is signed: {payments:?}"
    );
    let keys: std::collections::BTreeSet<_> = payments.iter().map(|r| r.idempotency_key.clone()).collect();
    assert_eq!(keys.len(), 1, "one idempotency key across the retries: {keys:?}");

    // The breaker is reported, closed again after the success, without making us not ready.
    let (status, ready) = get(&server, "/health/ready", OPERATOR_KEY).await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["gestionali"]["tributi"]["state"], "closed", "{ready}");
    let metrics = client()
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"pagopa_gestionale_circuit_open{gestionale="tributi"} 0"#),
        "{metrics}"
    );
    assert!(metrics.contains("pagopa_outbox_dead_letters 0"), "{metrics}");

    // The gestionale's key reads the Comune's feed, and only the Comune's.
    let path = format!("/api/v1/admin/entes/{}/events", demo::COMUNE);
    let (status, feed) = get(&server, &path, GESTIONALE_KEY).await;
    assert_eq!(status, 200, "{feed}");
    let items = feed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{feed}");
    assert_eq!(items[0]["event"]["type"], "payment_received");
    assert_eq!(items[0]["event"]["notice_number"], notice.as_str());
    let (status, _) = get(
        &server,
        &format!("/api/v1/admin/entes/{}/events", demo::PROVINCIA),
        GESTIONALE_KEY,
    )
    .await;
    assert_eq!(status, 403);
    let (status, again) = get(&server, &format!("{path}?after={}", feed["cursor"]), GESTIONALE_KEY).await;
    assert_eq!(
        (status, again["items"].as_array().map(Vec::len)),
        (200, Some(0)),
        "{again}"
    );
}

#[actix_web::test]
async fn a_named_gestionale_end_to_end_on_sqlite() {
    a_named_gestionale_end_to_end("gestionali-sqlite", Database::sqlite("gestionali")).await;
}

#[actix_web::test]
async fn a_named_gestionale_end_to_end_on_postgres() {
    if let Some(database) = Database::postgres("gestionali") {
        a_named_gestionale_end_to_end("gestionali-postgres", database).await;
    }
}

/// SIGKILL the server while it delivers, restart it on the same database: every payment
/// reaches the gestionale (which counts distinct idempotency keys), none is lost.
async fn killed_while_delivering_nothing_is_lost(label: &str, database: Database) {
    const PAYMENTS: u64 = 8;
    let fake = FakeHttpGestionale::start_with(FakeHttpGestionale::with_webhook_secret(SECRET));
    let backend = fake.backend();
    let mut notices = Vec::new();
    for n in 0..PAYMENTS {
        let draft = demo::draft(
            &format!("AVVISO-KILL-{n}"),
            demo::debtor(),
            "Sanzione",
            vec![demo::simple_option(
                2_612_100_000_000 + n,
                1_000 + n,
                "Sanzione",
                "2027-12-31",
            )],
        );
        notices.push(draft.options[0].notice_number.to_string());
        backend.hold_notice(&demo::COMUNE.parse().unwrap(), draft);
    }
    let port = free_port();
    let config = config_file(label, &configuration(port, &database, &fake.base_url()));
    let server = Server::launch(port, &config, &[]);
    // The gestionale refuses deliveries while the payments come in, then takes them slowly:
    // the server dies with one delivered and the others pending or in flight.
    fake.fail_first_notifications(u32::MAX);
    for notice in &notices {
        let (ok, output) = sim_command(&server.soap_url(), &["pay", "--ente", demo::COMUNE, "--notice", notice]);
        assert!(ok, "{output}");
    }
    backend.set_fault(pagopa_gestionale_testkit::Fault::Slow(Duration::from_millis(300)));
    fake.fail_first_notifications(0);
    assert!(
        eventually(20, || backend.distinct_payments() >= 1).await,
        "deliveries resume"
    );
    drop(server); // SIGKILL
    let before = backend.distinct_payments() as u64;
    assert!(
        before < PAYMENTS,
        "the kill came too late to test anything: {before} delivered"
    );

    let port = free_port();
    let config = config_file(label, &configuration(port, &database, &fake.base_url()));
    let _server = Server::launch(port, &config, &[]);
    assert!(
        eventually(60, || backend.distinct_payments() as u64 == PAYMENTS).await,
        "after the restart every payment is delivered: {} of {PAYMENTS}",
        backend.distinct_payments()
    );
    assert_eq!(fake.payments().len() as u64, PAYMENTS);
    assert!(
        fake.seen()
            .iter()
            .filter(|r| r.path.ends_with("/payments"))
            .all(|r| r.signature_valid == Some(true))
    );
}

#[actix_web::test]
async fn killed_while_delivering_nothing_is_lost_on_sqlite() {
    killed_while_delivering_nothing_is_lost("gestionali-kill-sqlite", Database::sqlite("gestionali_kill")).await;
}

#[actix_web::test]
async fn killed_while_delivering_nothing_is_lost_on_postgres() {
    if let Some(database) = Database::postgres("gestionali_kill") {
        killed_while_delivering_nothing_is_lost("gestionali-kill-postgres", database).await;
    }
}
