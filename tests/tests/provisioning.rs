//! End to end, against the real `pagopa-server`: an installation for real Enti. No Ente or no
//! Node authentication refuses to start; Enti from `[[entes]]` are served to the Node with the
//! shared secret only; forwarding headers count only from trusted proxies; the Node endpoint
//! can have a listener of its own; a scoped Front-End key stays within its Enti; nobody can put
//! a debt in someone else's list; a disabled Ente is no longer served; PostgreSQL instances
//! starting together all come up.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use pagopa_domain::demo;
use pagopa_tests::{
    Database, NODE_SECRET, OPERATOR_KEY, Server, ServerOptions, config_file, free_port, key_hash, server_exit,
    sim_command, sim_command_as,
};
use serde_json::{Value, json};

const FRONT_END_KEY: &str = "e2e-scoped-front-end-key-0123456789";

/// The demo Comune and Provincia as `[[entes]]` tables, the way an operator writes them.
const ENTES: &str = r#"
[[entes]]
id = "80012345676"
name = "Comune di Valdesempio"
office_name = "Servizio Tributi"
sector = "Settore Entrate e Tributi"
aux_digit = 3
segregation_code = 5
broker_id = "80012345676"
station_id = "80012345676_01"
bank_iban = "IT56M0306911200000000046020"
postal_iban = "IT60J0760111200000012345679"
poste_authorisation = "AUT. DB/SISB/E 12345 DEL 01/01/2026"
cbill = "AB123"

[[entes]]
id = "00123456782"
name = "Provincia di Esempio"
aux_digit = 3
segregation_code = 6
broker_id = "80012345676"
station_id = "80012345676_01"
bank_iban = "IT90P0503411200000000078915"
"#;

/// A production configuration on `database` listening on `port`, with `extra` TOML appended.
fn production(port: u16, database: &Database, extra: &str) -> String {
    format!(
        "log = \"warn\"\n\n[server]\naddress = \"127.0.0.1\"\nport = {port}\nworkers = 1\n\n\
         [database]\nurl = \"{}\"\npool_size = 4\nmigrate_on_start = true\n\n[outbox]\nenabled = false\n\n\
         [[api_keys]]\nname = \"e2e-operator\"\nsha256 = \"{}\"\nrole = \"operator\"\n\n\
         [[api_keys]]\nname = \"comune-front-end\"\nsha256 = \"{}\"\nrole = \"front_end\"\nentes = [\"{}\"]\n\n{extra}\n",
        database.url_for_config(),
        key_hash(OPERATOR_KEY),
        key_hash(FRONT_END_KEY),
        demo::COMUNE,
    )
}

fn with_secret() -> String {
    format!("{ENTES}\n[node.auth]\nsecret = \"{NODE_SECRET}\"\n")
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().unwrap()
}

async fn call(method: reqwest::Method, url: &str, key: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = client().request(method, url).header("x-api-key", key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn create_tari(server: &Server) -> String {
    let draft = serde_json::to_value(demo::tari()).unwrap();
    let url = format!("{}/api/v1/admin/entes/{}/positions", server.base, demo::COMUNE);
    let (status, body) = call(reqwest::Method::POST, &url, OPERATOR_KEY, Some(draft)).await;
    assert_eq!(status, 201, "{body}");
    demo::tari().options[0].notice_number.to_string()
}

async fn tari_status(server: &Server) -> String {
    let url = format!(
        "{}/api/v1/admin/entes/{}/positions/{}",
        server.base,
        demo::COMUNE,
        demo::tari().iupd
    );
    let (status, body) = call(reqwest::Method::GET, &url, OPERATOR_KEY, None).await;
    assert_eq!(status, 200, "{body}");
    body["status"].as_str().unwrap().to_owned()
}

#[test]
fn without_any_ente_the_server_refuses_to_start() {
    let database = Database::sqlite("no-ente");
    let config = config_file(
        "no-ente",
        &production(
            free_port(),
            &database,
            &format!("[node.auth]\nsecret = \"{NODE_SECRET}\"\n"),
        ),
    );
    let (status, output) = server_exit(&config, &["serve"]);
    assert_eq!(status, Some(2), "{output}");
    assert!(output.contains("[[entes]]") && output.contains("--demo"), "{output}");
}

#[test]
fn outside_demo_mode_the_node_endpoint_must_be_authenticated() {
    let database = Database::sqlite("no-auth");
    let config = config_file("no-auth", &production(free_port(), &database, ENTES));
    for command in ["serve", "check-config"] {
        let (status, output) = server_exit(&config, &[command]);
        assert_eq!(status, Some(2), "{command}: {output}");
        assert!(output.contains("node.auth"), "{command}: {output}");
    }
    // allow_anonymous is an explicit choice, and check-config says what it means.
    let open = config_file(
        "anonymous",
        &production(
            free_port(),
            &database,
            &format!("{ENTES}\n[node.auth]\nallow_anonymous = true\n"),
        ),
    );
    let (status, output) = server_exit(&open, &["check-config"]);
    assert_eq!(status, Some(0), "{output}");
    assert!(output.contains("anonymous"), "{output}");
}

async fn configured_entes_serve_the_node_with_the_secret_only(database: Database) {
    let port = free_port();
    let config = config_file(&format!("entes-{port}"), &production(port, &database, &with_secret()));
    let server = Server::launch(port, &config, &[]);
    let (status, entes) = call(
        reqwest::Method::GET,
        &format!("{}/api/v1/admin/entes", server.base),
        OPERATOR_KEY,
        None,
    )
    .await;
    assert_eq!(status, 200, "{entes}");
    assert_eq!(entes.as_array().unwrap().len(), 2, "{entes}");
    let notice = create_tari(&server).await;

    let (ok, output) = sim_command_as(
        &server.soap_url(),
        None,
        &["pay", "--ente", demo::COMUNE, "--notice", &notice],
    );
    assert!(!ok, "paid without the Node's secret: {output}");
    let (ok, output) = sim_command_as(
        &server.soap_url(),
        Some("not-the-secret"),
        &["pay", "--ente", demo::COMUNE, "--notice", &notice],
    );
    assert!(!ok, "paid with a wrong secret: {output}");
    assert_eq!(tari_status(&server).await, "valid");

    let (ok, output) = sim_command(
        &server.soap_url(),
        &["pay", "--ente", demo::COMUNE, "--notice", &notice],
    );
    assert!(ok, "{output}");
    assert_eq!(tari_status(&server).await, "paid");

    // Applied again at the next start: nothing changes, nothing is lost.
    drop(server);
    let server = Server::launch(port, &config, &[]);
    assert_eq!(tari_status(&server).await, "paid");
}

#[actix_web::test]
async fn configured_entes_serve_the_node_with_the_secret_only_on_sqlite() {
    configured_entes_serve_the_node_with_the_secret_only(Database::sqlite("entes")).await;
}

#[actix_web::test]
async fn configured_entes_serve_the_node_with_the_secret_only_on_postgres() {
    if let Some(database) = Database::postgres("entes") {
        configured_entes_serve_the_node_with_the_secret_only(database).await;
    }
}

fn verify_envelope(notice: &str) -> String {
    format!(
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" \
         xmlns:pafn=\"http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd\"><soapenv:Body>\
         <pafn:paVerifyPaymentNoticeReq><idPA>{c}</idPA><idBrokerPA>{b}</idBrokerPA><idStation>{s}</idStation>\
         <qrCode><fiscalCode>{c}</fiscalCode><noticeNumber>{notice}</noticeNumber></qrCode>\
         </pafn:paVerifyPaymentNoticeReq></soapenv:Body></soapenv:Envelope>",
        c = demo::COMUNE,
        b = demo::BROKER,
        s = demo::STATION,
    )
}

async fn verify_from(url: &str, notice: &str, forwarded_for: &str) -> (u16, String) {
    let response = client()
        .post(url)
        .header("content-type", "text/xml; charset=utf-8")
        .header("soapaction", "paVerifyPaymentNotice")
        .header("x-forwarded-for", forwarded_for)
        .body(verify_envelope(notice))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[actix_web::test]
async fn forwarding_headers_count_only_from_trusted_proxies() {
    let allow_list = format!("{ENTES}\n[node.auth]\nallowed_ips = [\"10.0.0.0/8\"]\n");
    // The test client is 127.0.0.1: not in the allow-list, and not a trusted proxy.
    let database = Database::sqlite("spoof");
    let port = free_port();
    let server = Server::launch(
        port,
        &config_file("spoof", &production(port, &database, &allow_list)),
        &[],
    );
    let notice = create_tari(&server).await;
    let (status, body) = verify_from(&server.soap_url(), &notice, "10.1.2.3").await;
    assert_eq!(
        status, 403,
        "a spoofed X-Forwarded-For from an untrusted peer was believed: {body}"
    );
    drop(server);

    // Behind a trusted proxy (127.0.0.1), the forwarded client is the one the allow-list sees.
    let config = production(port, &database, &allow_list).replacen(
        "[server]\n",
        "[server]\ntrusted_proxies = [\"127.0.0.1\", \"::1\"]\n",
        1,
    );
    let server = Server::launch(port, &config_file("proxied", &config), &[]);
    let (status, body) = verify_from(&server.soap_url(), &notice, "10.1.2.3").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<outcome>OK</outcome>"), "{body}");
    let (status, body) = verify_from(&server.soap_url(), &notice, "203.0.113.7, 10.1.2.3").await;
    assert_eq!(status, 200, "the nearest untrusted hop is the allowed 10.1.2.3: {body}");
    let (status, body) = verify_from(&server.soap_url(), &notice, "10.1.2.3, 203.0.113.7").await;
    assert_eq!(
        status, 403,
        "a client cannot hide behind its own X-Forwarded-For: {body}"
    );
}

#[actix_web::test]
async fn the_node_endpoint_can_have_a_listener_of_its_own() {
    let (port, node_port) = (free_port(), free_port());
    let database = Database::sqlite("listener");
    let extra = format!("{}\n[node]\nlisten = \"127.0.0.1:{node_port}\"\n", with_secret());
    let server = Server::launch(
        port,
        &config_file("listener", &production(port, &database, &extra)),
        &[],
    );
    let notice = create_tari(&server).await;
    let response = client()
        .post(server.soap_url())
        .header("content-type", "text/xml")
        .header("x-node-secret", NODE_SECRET)
        .body(verify_envelope(&notice))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        404,
        "the REST listener still answers the Node"
    );
    let node_url = format!("http://127.0.0.1:{node_port}/pagopa/paForNode");
    let (ok, output) = sim_command(&node_url, &["pay", "--ente", demo::COMUNE, "--notice", &notice]);
    assert!(ok, "{output}");
    assert_eq!(tari_status(&server).await, "paid");
}

#[actix_web::test]
async fn a_scoped_front_end_key_stays_within_its_entes() {
    let port = free_port();
    let database = Database::sqlite("scoped");
    let server = Server::launch(
        port,
        &config_file("scoped", &production(port, &database, &with_secret())),
        &[],
    );
    let base = format!("{}/api/v1", server.base);
    let get = |path: String| async move { call(reqwest::Method::GET, &path, FRONT_END_KEY, None).await };
    let (status, entes) = get(format!("{base}/entes")).await;
    assert_eq!(status, 200);
    assert_eq!(entes.as_array().unwrap().len(), 1, "{entes}");
    assert_eq!(entes[0]["id"], demo::COMUNE);
    assert_eq!(get(format!("{base}/entes/{}/services", demo::COMUNE)).await.0, 200);
    for path in [
        format!("{base}/entes/{}/services", demo::PROVINCIA),
        format!("{base}/entes/{}/services/licenza-pesca", demo::PROVINCIA),
        format!("{base}/entes/{}/notices/{}", demo::PROVINCIA, demo::comune_notice(1)),
    ] {
        let (status, body) = get(path.clone()).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(body["code"], "forbidden_ente", "{body}");
    }
    let cart = json!({
        "notices": [{ "ente": demo::PROVINCIA, "notice_number": demo::comune_notice(1).to_string() }],
        "return_urls": { "ok": "https://fe.example/ok", "cancel": "https://fe.example/ko", "error": "https://fe.example/err" }
    });
    let (status, body) = call(
        reqwest::Method::POST,
        &format!("{base}/carts"),
        FRONT_END_KEY,
        Some(cart),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let request = json!({ "values": { "full_name": "Mario Rossi", "fiscal_code": "RSSMRA80A01H501U", "year": 2027 } });
    let (status, body) = call(
        reqwest::Method::POST,
        &format!("{base}/entes/{}/services/licenza-pesca/requests", demo::PROVINCIA),
        FRONT_END_KEY,
        Some(request),
    )
    .await;
    assert_eq!(status, 403, "{body}");
}

#[actix_web::test]
async fn nobody_can_put_a_debt_in_someone_elses_list() {
    let server = Server::start(
        free_port(),
        &ServerOptions {
            database: Database::sqlite("victim"),
            checkout_port: None,
            gestionale_url: None,
            session_lifetime_secs: 1800,
        },
    );
    let base = format!("{}/api/v1", server.base);
    let url = format!("{base}/entes/{}/services/licenza-pesca/requests", demo::COMUNE);
    let form = |payer: &str| {
        json!({ "values": { "full_name": "Avviso urgente, paga entro oggi", "fiscal_code": payer, "year": 2027 },
                "payer_fiscal_code": payer })
    };
    // Anonymous, naming the demo debtor as payer: created, reachable by its notice, not listed.
    let (status, anonymous) = call(
        reqwest::Method::POST,
        &url,
        &server.front_end_key,
        Some(form(demo::DEBTOR)),
    )
    .await;
    assert_eq!(status, 201, "{anonymous}");
    let planted = anonymous["notice_number"].as_str().unwrap().to_owned();
    let (status, _) = call(
        reqwest::Method::GET,
        &format!("{base}/entes/{}/notices/{planted}", demo::COMUNE),
        &server.front_end_key,
        None,
    )
    .await;
    assert_eq!(status, 200);

    let as_citizen = |body: Option<Value>, method: reqwest::Method, path: String| {
        let key = server.front_end_key.clone();
        let token = server.citizen_token.clone();
        async move {
            let mut request = client()
                .request(method, path)
                .header("x-api-key", key)
                .header("authorization", format!("Bearer {token}"));
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (status, mine) = as_citizen(None, reqwest::Method::GET, format!("{base}/me/positions")).await;
    assert_eq!(status, 200);
    let listed: Vec<String> = mine["positions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["options"].as_array().cloned().unwrap_or_default())
        .filter_map(|o| o["notice_number"].as_str().map(str::to_owned))
        .collect();
    assert!(!listed.is_empty(), "the demo debtor's own positions are listed: {mine}");
    assert!(
        !listed.contains(&planted),
        "a position filed by someone else is in the victim's list: {mine}"
    );

    // With the citizen's token: another payer is refused, the citizen's own request is listed.
    let (status, body) = as_citizen(Some(form(demo::OTHER_DEBTOR)), reqwest::Method::POST, url.clone()).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "payer_mismatch");
    let own = json!({ "values": { "full_name": "Giuseppe Verdi", "fiscal_code": demo::DEBTOR, "year": 2027 } });
    let (status, body) = as_citizen(Some(own), reqwest::Method::POST, url.clone()).await;
    assert_eq!(status, 201, "{body}");
    let filed = body["notice_number"].as_str().unwrap().to_owned();
    let (_, mine) = as_citizen(None, reqwest::Method::GET, format!("{base}/me/positions")).await;
    assert!(mine.to_string().contains(&filed), "{mine}");
}

#[actix_web::test]
async fn a_disabled_ente_is_no_longer_served_and_keeps_its_data() {
    let server = Server::start(
        free_port(),
        &ServerOptions {
            database: Database::sqlite("disabled"),
            checkout_port: None,
            gestionale_url: None,
            session_lifetime_secs: 1800,
        },
    );
    let ente_url = format!("{}/api/v1/admin/entes/{}", server.base, demo::COMUNE);
    let (status, mut settings) = call(reqwest::Method::GET, &ente_url, OPERATOR_KEY, None).await;
    assert_eq!(status, 200, "{settings}");
    assert_eq!(settings["sector"], "Settore Entrate e Tributi");
    settings["enabled"] = json!(false);
    let (status, body) = call(reqwest::Method::PUT, &ente_url, OPERATOR_KEY, Some(settings.clone())).await;
    assert_eq!(status, 200, "{body}");

    let services = format!("{}/api/v1/entes/{}/services", server.base, demo::COMUNE);
    assert_eq!(
        call(reqwest::Method::GET, &services, &server.front_end_key, None)
            .await
            .0,
        404
    );
    let notice = demo::tari().options[0].notice_number.to_string();
    let (ok, output) = sim_command(
        &server.soap_url(),
        &[
            "pay",
            "--ente",
            demo::COMUNE,
            "--notice",
            &notice,
            "--expect-fault",
            "PAA_ID_DOMINIO_ERRATO",
        ],
    );
    assert!(ok, "{output}");
    // Nothing was deleted: the position is still there, and enabling serves it again.
    assert_eq!(tari_status(&server).await, "valid");
    settings["enabled"] = json!(true);
    let (status, _) = call(reqwest::Method::PUT, &ente_url, OPERATOR_KEY, Some(settings.clone())).await;
    assert_eq!(status, 200);
    assert_eq!(
        call(reqwest::Method::GET, &services, &server.front_end_key, None)
            .await
            .0,
        200
    );

    // Bad settings name their key; the audit trail of the change is there.
    settings["bank_iban"] = json!("IT56M0306911200000000046021");
    let (status, body) = call(reqwest::Method::PUT, &ente_url, OPERATOR_KEY, Some(settings)).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("bank_iban"), "{body}");
}

#[actix_web::test]
async fn three_instances_start_together_on_a_fresh_postgres_database() {
    let Some(database) = Database::postgres("rolling") else {
        return;
    };
    let ports = [free_port(), free_port(), free_port()];
    let handles: Vec<_> = ports
        .iter()
        .map(|port| {
            let config = config_file(
                &format!("rolling-{port}"),
                &production(*port, &database, &with_secret()),
            );
            let port = *port;
            std::thread::spawn(move || Server::launch(port, &config, &[]))
        })
        .collect();
    let servers: Vec<Server> = handles
        .into_iter()
        .map(|h| h.join().expect("an instance failed to start"))
        .collect();
    for server in &servers {
        let response = client()
            .get(format!("{}/health/ready", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
    }
    let (status, entes) = call(
        reqwest::Method::GET,
        &format!("{}/api/v1/admin/entes", servers[2].base),
        OPERATOR_KEY,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(entes.as_array().unwrap().len(), 2);
    // Every migration applied exactly once.
    let Database::Postgres(url) = &database else {
        unreachable!()
    };
    use diesel::{Connection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = diesel::PgConnection::establish(url).unwrap();
    let applied: Count = diesel::sql_query("SELECT COUNT(*) AS n FROM __diesel_schema_migrations")
        .get_result(&mut conn)
        .unwrap();
    let folder = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../crates/pagopa-storage-diesel/migrations/postgres"
    );
    let migrations = std::fs::read_dir(folder).unwrap().count();
    assert_eq!(applied.n, migrations as i64);
    drop(servers);
    tokio::time::sleep(Duration::from_millis(10)).await;
}
