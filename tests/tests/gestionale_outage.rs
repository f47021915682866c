//! End to end, the real `pagopa-server` and `pagopa-sim`: the Comune's gestionale (the kit's
//! fake HTTP gestionale) is down, answering 503, for what amounts to an hour while instalment
//! plans are paid one instalment after another and single notices are paid. With the default
//! back-off (10 s doubling up to an hour, with jitter) a message gets 9 or 10 attempts in its
//! first hour; here the back-off is shortened through `[outbox] retry_base_secs` and
//! `retry_max_secs`, and the gestionale comes back only once every waiting message had at least
//! [`ATTEMPTS_IN_AN_HOUR`] attempts, below its `max_attempts`. Then every notification arrives
//! (distinct idempotency keys at the fake), none is dead, and each position's payments arrive
//! in the order they were made, one at a time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use pagopa_domain::demo;
use pagopa_gestionale_testkit::{Delivery, FakeHttpGestionale, Fault};
use pagopa_tests::{Database, NODE_SECRET, OPERATOR_KEY, Server, config_file, free_port, key_hash, sim_command};
use serde_json::Value;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// Failed attempts a message waiting through the outage must have had.
const ATTEMPTS_IN_AN_HOUR: u64 = 10;
/// The gestionale's `max_attempts`: not to be reached.
const MAX_ATTEMPTS: u64 = 40;
const PLANS: u64 = 5;
const INSTALMENTS: u64 = 4;
const SINGLES: u64 = 6;

fn configuration(port: u16, database: &Database, gestionale: &str) -> String {
    format!(
        "log = \"warn\"\n\n[server]\naddress = \"127.0.0.1\"\nport = {port}\nworkers = 2\n\n\
         [database]\nurl = \"{db}\"\npool_size = 4\nmigrate_on_start = true\n\n\
         [outbox]\ninterval_ms = 100\nbatch = 8\nlease_secs = 10\nretry_base_secs = 1\nretry_max_secs = 2\n\n\
         [node.auth]\nsecret = \"{NODE_SECRET}\"\n\n\
         [[api_keys]]\nname = \"e2e-operator\"\nsha256 = \"{op}\"\nrole = \"operator\"\n\n\
         [[entes]]\nid = \"{comune}\"\nname = \"Comune di Valdesempio\"\naux_digit = 3\nsegregation_code = 5\n\
         broker_id = \"80012345676\"\nstation_id = \"80012345676_01\"\nbank_iban = \"IT56M0306911200000000046020\"\n\
         gestionale = \"tributi\"\n\n\
         [gestionali.tributi]\nkind = \"http\"\nbase_url = \"{gestionale}\"\ntimeout_ms = 1000\n\
         webhook_secret = \"{SECRET}\"\nmax_attempts = {MAX_ATTEMPTS}\nmax_age_secs = 86400\n",
        db = database.url_for_config(),
        op = key_hash(OPERATOR_KEY),
        comune = demo::COMUNE,
    )
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().unwrap()
}

async fn operator_get(server: &Server, path: &str) -> Value {
    let response = client()
        .get(format!("{}{path}", server.base))
        .header("x-api-key", OPERATOR_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "{path}");
    response.json().await.unwrap()
}

/// Publishes a position of the Comune through the operator API.
async fn publish(server: &Server, draft: &pagopa_domain::PositionDraft) {
    let response = client()
        .post(format!("{}/api/v1/admin/entes/{}/positions", server.base, demo::COMUNE))
        .header("x-api-key", OPERATOR_KEY)
        .json(draft)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201, "{}", response.text().await.unwrap());
}

/// A plan of `INSTALMENTS` instalments, and its notices in instalment order.
fn plan(n: u64) -> (pagopa_domain::PositionDraft, Vec<String>) {
    let options: Vec<_> = (1..=INSTALMENTS)
        .map(|i| {
            let mut option = demo::simple_option(
                2_612_300_000_000 + n * 10 + i,
                10_000 + i,
                &format!("Piano {n} rata {i}"),
                &format!("2027-{:02}-28", i + 1),
            );
            option.instalment = Some(pagopa_domain::Instalment {
                number: i as u8,
                of: INSTALMENTS as u8,
            });
            option
        })
        .collect();
    let notices = options.iter().map(|o| o.notice_number.to_string()).collect();
    (
        demo::draft(&format!("PIANO-{n}"), demo::debtor(), &format!("Piano {n}"), options),
        notices,
    )
}

fn single(n: u64) -> (pagopa_domain::PositionDraft, String) {
    let option = demo::simple_option(2_612_400_000_000 + n, 5_000 + n, "Sanzione", "2027-12-31");
    let notice = option.notice_number.to_string();
    (
        demo::draft(&format!("SINGOLA-{n}"), demo::debtor(), "Sanzione", vec![option]),
        notice,
    )
}

async fn eventually(secs: u64, mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    check().await
}

/// Every message of the outbox (a few dozen: one page).
async fn outbox(server: &Server) -> Vec<Value> {
    let page = operator_get(server, "/api/v1/admin/outbox?limit=1000").await;
    page["items"].as_array().unwrap().clone()
}

fn attempts(message: &Value) -> u64 {
    message["attempts"].as_u64().unwrap()
}

async fn an_hour_down_then_everything_in_order(label: &str, database: Database) {
    let fake = FakeHttpGestionale::start_with(FakeHttpGestionale::with_webhook_secret(SECRET));
    fake.backend().set_fault(Fault::Down);
    let port = free_port();
    let config = config_file(label, &configuration(port, &database, &fake.base_url()));
    let server = Server::launch(port, &config, &[]);

    // Each position's notices in the order they are paid (the instalments of the plans
    // interleaved with each other and with the single notices).
    let mut paid: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let plans: Vec<_> = (0..PLANS).map(plan).collect();
    let singles: Vec<_> = (0..SINGLES).map(single).collect();
    for (draft, _) in &plans {
        publish(&server, draft).await;
    }
    for (draft, _) in &singles {
        publish(&server, draft).await;
    }
    let pay = |notice: &str| {
        let (ok, output) = sim_command(&server.soap_url(), &["pay", "--ente", demo::COMUNE, "--notice", notice]);
        assert!(ok, "paying {notice}: {output}");
    };
    let mut record = |iupd: &str, notice: &str| {
        pay(notice);
        paid.entry(iupd.to_owned()).or_default().push(notice.to_owned());
    };
    let mut singles_left = singles.iter();
    for i in 0..INSTALMENTS as usize {
        for (draft, notices) in &plans {
            record(draft.iupd.as_str(), &notices[i]);
        }
        if let Some((draft, notice)) = singles_left.next() {
            record(draft.iupd.as_str(), notice);
        }
    }
    for (draft, notice) in singles_left {
        record(draft.iupd.as_str(), notice);
    }
    let total = (PLANS * INSTALMENTS + SINGLES) as usize;
    assert_eq!(paid.values().map(Vec::len).sum::<usize>(), total);

    // The outage lasts until each position's first message failed an hour's worth of times;
    // the messages behind it were never tried (a position's messages go one at a time).
    let positions = paid.len();
    let waited = eventually(240, async || {
        let messages = outbox(&server).await;
        messages.len() == total && messages.iter().filter(|m| attempts(m) >= ATTEMPTS_IN_AN_HOUR).count() == positions
    })
    .await;
    let messages = outbox(&server).await;
    assert!(waited, "an hour's worth of attempts: {messages:#?}");
    let tried: Vec<_> = messages.iter().filter(|m| attempts(m) > 0).collect();
    assert_eq!(
        tried.len(),
        positions,
        "only each position's first is tried: {messages:#?}"
    );
    for message in &messages {
        assert_eq!(message["state"], "pending", "{message}");
        assert!(attempts(message) < MAX_ATTEMPTS, "{message}");
    }
    assert!(
        fake.deliveries().iter().all(|d| d.status == 503),
        "nothing was taken while down"
    );

    // Back up: everything arrives (the breaker lets a trial through within its cool-down).
    let outage_ended = std::time::Instant::now();
    fake.backend().set_fault(Fault::None);
    let backend = fake.backend();
    let all_in = eventually(120, async || backend.distinct_payments() == total).await;
    assert!(
        all_in,
        "every notification delivered: {} of {total}",
        backend.distinct_payments()
    );
    let delivered = eventually(10, async || {
        outbox(&server).await.iter().all(|m| m["state"] == "delivered")
    })
    .await;
    assert!(delivered, "{:#?}", outbox(&server).await);
    let metrics = client()
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("pagopa_outbox_dead_letters 0"), "{metrics}");

    // In order per position, one at a time: a position's payment is sent only after the
    // previous one was answered.
    let taken: Vec<Delivery> = fake
        .deliveries()
        .into_iter()
        .filter(|d| d.started >= outage_ended && d.path.ends_with("/payments"))
        .collect();
    let mut arrived: BTreeMap<String, Vec<&Delivery>> = BTreeMap::new();
    for delivery in &taken {
        let body = delivery.body.as_ref().unwrap();
        arrived
            .entry(body["iupd"].as_str().unwrap().to_owned())
            .or_default()
            .push(delivery);
    }
    for (iupd, notices) in &paid {
        let deliveries = &arrived[iupd];
        let first_taken: Vec<&str> = {
            let mut seen = std::collections::BTreeSet::new();
            deliveries
                .iter()
                .filter(|d| d.status == 201 && seen.insert(d.idempotency_key.clone()))
                .map(|d| d.body.as_ref().unwrap()["noticeNumber"].as_str().unwrap())
                .collect()
        };
        assert_eq!(&first_taken, notices, "position {iupd} in payment order");
        let mut by_start = deliveries.clone();
        by_start.sort_by_key(|d| d.started);
        for pair in by_start.windows(2) {
            assert!(
                pair[0].ended <= pair[1].started,
                "position {iupd}: {} was sent while {} was in flight",
                pair[1].idempotency_key,
                pair[0].idempotency_key
            );
        }
    }
}

#[actix_web::test]
async fn an_hour_down_then_everything_in_order_on_sqlite() {
    an_hour_down_then_everything_in_order("outage-sqlite", Database::sqlite("outage")).await;
}

#[actix_web::test]
async fn an_hour_down_then_everything_in_order_on_postgres() {
    if let Some(database) = Database::postgres("outage") {
        an_hour_down_then_everything_in_order("outage-postgres", database).await;
    }
}
