//! End to end on PostgreSQL: two `pagopa-server` instances on one database deliver the outbox to
//! one gestionale (the kit's fake HTTP gestionale, which times every request) while
//! `pagopa-sim bench` pays a few thousand notices through both. Every payment is delivered, and
//! no message is ever in flight twice at once: the outbox's leases keep the two instances off
//! each other's messages. Skipped, with a notice, without `PAGOPA_TEST_DATABASE_URL`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use pagopa_domain::demo;
use pagopa_gestionale_testkit::{Delivery, FakeHttpGestionale, Fault};
use pagopa_tests::{Database, NODE_SECRET, OPERATOR_KEY, Server, config_file, free_port, key_hash, sim_command};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const PAYMENTS: u64 = 3_000;

/// One instance's configuration: its own token, so the fake tells the senders apart.
fn configuration(port: u16, database: &Database, gestionale: &str, instance: &str) -> String {
    format!(
        "log = \"warn\"\n\n[server]\naddress = \"127.0.0.1\"\nport = {port}\nworkers = 2\n\n\
         [database]\nurl = \"{db}\"\npool_size = 6\nmigrate_on_start = true\n\n\
         [outbox]\ninterval_ms = 50\nbatch = 25\nlease_secs = 5\nretry_base_secs = 1\nretry_max_secs = 2\n\n\
         [node.auth]\nsecret = \"{NODE_SECRET}\"\n\n\
         [[api_keys]]\nname = \"e2e-operator\"\nsha256 = \"{op}\"\nrole = \"operator\"\n\n\
         [[entes]]\nid = \"{comune}\"\nname = \"Comune di Valdesempio\"\naux_digit = 3\nsegregation_code = 5\n\
         broker_id = \"80012345676\"\nstation_id = \"80012345676_01\"\nbank_iban = \"IT56M0306911200000000046020\"\n\
         gestionale = \"tributi\"\n\n\
         [gestionali.tributi]\nkind = \"http\"\nbase_url = \"{gestionale}\"\ntimeout_ms = 1000\n\
         token = \"{instance}\"\nwebhook_secret = \"{SECRET}\"\n",
        db = database.url_for_config(),
        op = key_hash(OPERATOR_KEY),
        comune = demo::COMUNE,
    )
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().unwrap()
}

/// Publishes `PAYMENTS` single-notice positions of the Comune, 32 requests at a time, and
/// returns their notices.
async fn publish_positions(server: &Server) -> Vec<String> {
    let client = client();
    let mut notices = Vec::new();
    let mut requests = tokio::task::JoinSet::new();
    for n in 0..PAYMENTS {
        let option = demo::simple_option(2_612_500_000_000 + n, 1_000 + n, "Sanzione", "2027-12-31");
        notices.push(option.notice_number.to_string());
        let draft = demo::draft(&format!("DUE-ISTANZE-{n}"), demo::debtor(), "Sanzione", vec![option]);
        let request = client
            .post(format!("{}/api/v1/admin/entes/{}/positions", server.base, demo::COMUNE))
            .header("x-api-key", OPERATOR_KEY)
            .json(&draft)
            .send();
        requests.spawn(async move { request.await.map(|r| r.status().as_u16()) });
        if requests.len() >= 32 {
            assert_eq!(requests.join_next().await.unwrap().unwrap().unwrap(), 201);
        }
    }
    while let Some(status) = requests.join_next().await {
        assert_eq!(status.unwrap().unwrap(), 201);
    }
    notices
}

/// `pagopa-sim bench` paying `notices` through `server`, on its own thread.
fn pay_in_background(server: &Server, label: &str, notices: &[String]) -> std::thread::JoinHandle<(bool, String)> {
    let file = std::env::temp_dir().join(format!("pagopa-e2e-{label}-{}.txt", std::process::id()));
    std::fs::write(&file, notices.join("\n")).unwrap();
    let url = server.soap_url();
    std::thread::spawn(move || {
        let file = file.display().to_string();
        sim_command(
            &url,
            &[
                "bench",
                "--ente",
                demo::COMUNE,
                "--notices-file",
                &file,
                "--concurrency",
                "8",
                "--duration-secs",
                "600",
            ],
        )
    })
}

async fn eventually(secs: u64, mut check: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    check()
}

#[actix_web::test]
async fn two_instances_never_deliver_one_message_at_once() {
    let Some(database) = Database::postgres("two_instances") else {
        return;
    };
    let fake = FakeHttpGestionale::start_with(FakeHttpGestionale::with_webhook_secret(SECRET));
    // A little slow, so each request is in flight long enough for an overlap to show.
    fake.backend().set_fault(Fault::Slow(Duration::from_millis(2)));
    let servers: Vec<Server> = ["instance-a", "instance-b"]
        .into_iter()
        .map(|instance| {
            let port = free_port();
            let label = format!("two-{instance}");
            let config = config_file(&label, &configuration(port, &database, &fake.base_url(), instance));
            Server::launch(port, &config, &[])
        })
        .collect();

    let notices = publish_positions(&servers[0]).await;
    let half = notices.len() / 2;
    let payers = [
        pay_in_background(&servers[0], "two-a", &notices[..half]),
        pay_in_background(&servers[1], "two-b", &notices[half..]),
    ];
    let backend = fake.backend();
    let all_in = eventually(300, || backend.distinct_payments() as u64 == PAYMENTS).await;
    for payer in payers {
        let (ok, output) = payer.join().unwrap();
        assert!(ok && output.contains(" 0 failed"), "{output}");
    }
    assert!(
        all_in,
        "every payment delivered: {} of {PAYMENTS}",
        backend.distinct_payments()
    );

    let deliveries: Vec<Delivery> = fake
        .deliveries()
        .into_iter()
        .filter(|d| d.path.ends_with("/payments"))
        .collect();
    let mut by_key: BTreeMap<&str, Vec<&Delivery>> = BTreeMap::new();
    for delivery in &deliveries {
        by_key.entry(&delivery.idempotency_key).or_default().push(delivery);
    }
    assert_eq!(by_key.len() as u64, PAYMENTS);
    for (key, attempts) in &mut by_key {
        attempts.sort_by_key(|d| d.started);
        for pair in attempts.windows(2) {
            assert!(
                pair[0].ended <= pair[1].started,
                "{key} was in flight twice at once: {:?} and {:?}",
                pair[0].authorization,
                pair[1].authorization
            );
        }
        assert_eq!(attempts.iter().filter(|d| d.status == 201).count(), 1, "{key}");
    }
    let senders: BTreeSet<_> = deliveries.iter().filter_map(|d| d.authorization.clone()).collect();
    assert_eq!(
        senders,
        BTreeSet::from(["Bearer instance-a".to_owned(), "Bearer instance-b".to_owned()]),
        "both instances delivered"
    );
}
