//! The real app on SQLite and on PostgreSQL: configuration, migrations, demo data, keys and the
//! Front-End flows through HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};

use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::{App, test, web};
use diesel::{Connection, RunQueryDsl};
use pagopa_api::{ApiKeyEntry, ApiKeys, ApiState, Role, configure, problem_details, request_id};
use pagopa_domain::demo;
use pagopa_domain::ports::{Clock, SystemClock};
use pagopa_domain::services::Services;
use pagopa_server::{Settings, open_store, ports};
use serde_json::{Value, json};

const KEY: &str = "server-test-key";

static FILES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

fn settings(url: &str) -> Settings {
    // The same loader as production, from a file pointing at `url`.
    let n = FILES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let file = std::env::temp_dir().join(format!("pagopa-server-test-{}-{n}.toml", std::process::id()));
    std::fs::write(
        &file,
        format!("[database]\nurl = \"{url}\"\npool_size = 4\nmigrate_on_start = true\n\n[server]\nport = 0\n\n[node.auth]\nsecret = \"s\"\n"),
    )
    .unwrap();
    let settings = Settings::load(Some(&file)).unwrap();
    let _ = std::fs::remove_file(file);
    settings
}

async fn flows(url: &str) {
    let settings = settings(url);
    let store = open_store(&settings).await.unwrap();
    let ports = ports(&store, &settings).unwrap();
    demo::seed(&ports, SystemClock.now()).await.unwrap();
    let keys = ApiKeys::new(&[ApiKeyEntry {
        name: "fe".into(),
        sha256: ApiKeys::hash(KEY),
        role: Role::FrontEnd,
        entes: vec![],
    }])
    .unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(ApiState {
                services: Services::new(ports.clone()),
                ports,
            }))
            .app_data(web::Data::new(keys))
            .wrap(problem_details())
            .wrap(from_fn(request_id))
            .configure(configure),
    )
    .await;

    let services: Value = test::call_and_read_body_json(
        &app,
        test::TestRequest::get()
            .uri(&format!("/api/v1/entes/{}/services", demo::COMUNE))
            .insert_header(("x-api-key", KEY))
            .to_request(),
    )
    .await;
    assert_eq!(services.as_array().unwrap().len(), 4);

    let request = test::TestRequest::post()
        .uri(&format!("/api/v1/entes/{}/services/tesserino-funghi/requests", demo::COMUNE))
        .insert_header(("x-api-key", KEY))
        .set_json(json!({ "values": { "codice_fiscale": demo::DEBTOR, "cognome": "Verdi", "nome": "Giuseppe", "anno_validita": 2027, "tipologia": "NON_RESIDENTE" } }))
        .to_request();
    let resp = test::call_service(&app, request).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value = test::read_body_json(resp).await;
    assert_eq!(created["amount_cents"], 3000);

    let notice = created["notice_number"].as_str().unwrap();
    let summary: Value = test::call_and_read_body_json(
        &app,
        test::TestRequest::get()
            .uri(&format!("/api/v1/entes/{}/notices/{notice}", demo::COMUNE))
            .insert_header(("x-api-key", KEY))
            .to_request(),
    )
    .await;
    assert_eq!(summary["state"], "payable");
    assert_eq!(summary["amount"], "30,00");

    let resp = test::call_service(&app, test::TestRequest::get().uri("/health/ready").to_request()).await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[actix_web::test]
async fn the_front_end_flows_on_sqlite() {
    let folder = std::env::temp_dir().join(format!("pagopa-server-sqlite-{}", std::process::id()));
    flows(&format!("sqlite://{}", folder.join("pagopa.db").display())).await;
    let _ = std::fs::remove_dir_all(folder);
}

#[actix_web::test]
async fn the_front_end_flows_on_postgres() {
    let Ok(server) = std::env::var("PAGOPA_TEST_DATABASE_URL") else {
        assert!(
            std::env::var("PAGOPA_REQUIRE_EXTERNAL").as_deref() != Ok("1"),
            "PAGOPA_TEST_DATABASE_URL is not set but PAGOPA_REQUIRE_EXTERNAL=1"
        );
        eprintln!("notice: PAGOPA_TEST_DATABASE_URL is not set, skipping the PostgreSQL server test");
        return;
    };
    let name = format!("pagopa_server_test_{}", std::process::id());
    let mut admin = diesel::PgConnection::establish(&server).unwrap();
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .unwrap();
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .unwrap();
    let url = format!("{}/{name}", &server[..server.rfind('/').unwrap()]);
    flows(&url).await;
    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin);
}

#[actix_web::test]
async fn serve_listens_answers_and_gives_a_demo_key() {
    let folder = std::env::temp_dir().join(format!("pagopa-server-serve-{}", std::process::id()));
    let mut settings = settings(&format!("sqlite://{}", folder.join("pagopa.db").display()));
    settings.demo.enabled = true;
    let running = pagopa_server::start(&settings).await.unwrap();
    let address = running.addresses[0];
    let key = running.demo_key.clone().unwrap();
    let handle = running.handles().remove(0);
    actix_web::rt::spawn(running.run());

    let path = format!("/api/v1/entes/{}/services/licenza-pesca", demo::COMUNE);
    let response = actix_web::rt::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nx-api-key: {key}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    })
    .await
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"fixed_amount_cents\":3400"), "{response}");
    handle.stop(true).await;
    let _ = std::fs::remove_dir_all(folder);
}
