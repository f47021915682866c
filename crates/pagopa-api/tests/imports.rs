//! The imports API: an upload answered 202 and run in the background by the worker, its status
//! and report (CSV and JSON), the same file finding the first load, and the refusals.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::{App, test, web};
use pagopa_api::{ApiKeyEntry, ApiKeys, ApiState, Role, Uploads, configure, problem_details, request_id};
use pagopa_domain::demo;
use pagopa_domain::memory::MemoryWorld;
use pagopa_domain::ports::Clock;
use pagopa_import::runner::{ImportFiles, Runner, work};
use serde_json::Value;

const OPERATOR_KEY: &str = "op-test-key";
const PROVINCIA_KEY: &str = "op-provincia-key";

fn csv() -> String {
    let header = "position_id,option_kind,option_index,notice_number,amount_cents,due_date,description,debtor_fiscal_code,debtor_name,t1_category\n";
    format!(
        "{header}\
         API-1,single,0,,5000,2027-06-30,TARI 2027,{debtor},Giuseppe Verdi,9/0101108TS/\n\
         API-2,single,0,,0,2027-06-30,TARI 2027,{debtor},Giuseppe Verdi,9/0101108TS/\n\
         API-3,single,0,,7000,2027-06-30,TARI 2027,{debtor},Giuseppe Verdi,9/0101108TS/\n",
        debtor = demo::DEBTOR
    )
}

async fn problem_of(response: actix_web::dev::ServiceResponse) -> (StatusCode, Value) {
    let status = response.status();
    (status, test::read_body_json(response).await)
}

#[actix_web::test]
async fn an_upload_is_loaded_in_the_background_and_reported() {
    let world = MemoryWorld::new();
    demo::seed(&world.ports(), world.clock.now()).await.unwrap();
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("imports-api");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let files = ImportFiles::new(&dir);
    let wake = Arc::new(tokio::sync::Notify::new());
    let uploads = Uploads::new(files.clone(), wake.clone(), 64 * 1024);
    actix_web::rt::spawn(work(
        Runner::new(world.ports(), "test-worker"),
        files,
        wake,
        std::time::Duration::from_millis(200),
    ));
    let keys = ApiKeys::new(&[
        ApiKeyEntry {
            name: "op".into(),
            sha256: ApiKeys::hash(OPERATOR_KEY),
            role: Role::Operator,
            entes: vec![],
        },
        ApiKeyEntry {
            name: "op-provincia".into(),
            sha256: ApiKeys::hash(PROVINCIA_KEY),
            role: Role::Operator,
            entes: vec![demo::PROVINCIA.parse().unwrap()],
        },
    ])
    .unwrap();
    let state = ApiState {
        services: world.services(),
        ports: world.ports(),
    };
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(state))
            .app_data(web::Data::new(keys))
            .app_data(web::Data::new(uploads))
            .app_data(web::Data::new(pagopa_api::Metrics::default()))
            .wrap(problem_details())
            .wrap(from_fn(request_id))
            .configure(configure),
    )
    .await;
    let upload = |key: &str, content_type: &str, body: String, query: &str| {
        test::TestRequest::post()
            .uri(&format!("/api/v1/admin/entes/{}/imports{query}", demo::COMUNE))
            .insert_header(("x-api-key", key.to_owned()))
            .insert_header(("content-type", content_type.to_owned()))
            .set_payload(body)
            .to_request()
    };
    let get = |uri: &str, accept: &str| {
        test::TestRequest::get()
            .uri(uri)
            .insert_header(("x-api-key", OPERATOR_KEY))
            .insert_header(("accept", accept.to_owned()))
            .to_request()
    };

    let response = test::call_service(&app, upload(OPERATOR_KEY, "text/csv", csv(), "")).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let location = response.headers().get("location").unwrap().to_str().unwrap().to_owned();
    assert!(response.headers().get("retry-after").is_some());
    let queued: Value = test::read_body_json(response).await;
    assert_eq!(queued["status"], "queued");

    let mut record = Value::Null;
    for _ in 0..100 {
        record = test::read_body_json(test::call_service(&app, get(&location, "application/json")).await).await;
        if record["status"] == "done" {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(record["status"], "done", "{record}");
    assert_eq!(
        (
            record["rows_read"].as_u64(),
            record["accepted"].as_u64(),
            record["rejected"].as_u64()
        ),
        (Some(3), Some(2), Some(1))
    );
    let stored = world
        .ports()
        .positions
        .get(&demo::COMUNE.parse().unwrap(), &"API-3".parse().unwrap())
        .await;
    assert!(stored.unwrap().is_some(), "the load wrote its positions");

    let report = test::read_body(test::call_service(&app, get(&format!("{location}/report"), "text/csv")).await).await;
    let report = String::from_utf8(report.to_vec()).unwrap();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(
        lines[0],
        "row,position_id,option_index,outcome,code,message,notice_number"
    );
    assert!(lines[1].starts_with("2,API-1,0,created,,,3"), "{report}");
    assert!(lines[2].starts_with("3,API-2,0,rejected,invalid_amount,"), "{report}");
    assert_eq!(lines.len(), 4);
    let json: Value =
        test::read_body_json(test::call_service(&app, get(&format!("{location}/report"), "application/json")).await)
            .await;
    assert_eq!(json[1]["code"], "invalid_amount");
    assert_eq!(json[0]["row"], 2);

    // The same file again finds the first load; as a dry run it is a load of its own.
    let again = test::call_service(&app, upload(OPERATOR_KEY, "text/csv", csv(), "")).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.headers().get("location").unwrap().to_str().unwrap(), location);
    let dry = test::call_service(&app, upload(OPERATOR_KEY, "text/csv", csv(), "?dry_run=true")).await;
    assert_eq!(dry.status(), StatusCode::ACCEPTED);
    assert_ne!(dry.headers().get("location").unwrap().to_str().unwrap(), location);

    // Refusals.
    let status = |response: actix_web::dev::ServiceResponse| response.status();
    assert_eq!(
        status(test::call_service(&app, upload(OPERATOR_KEY, "text/plain", csv(), "")).await),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    assert_eq!(
        status(test::call_service(&app, upload(PROVINCIA_KEY, "text/csv", csv(), "")).await),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(test::call_service(&app, upload(OPERATOR_KEY, "text/csv", String::new(), "")).await),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        status(test::call_service(&app, upload(OPERATOR_KEY, "text/csv", "x".repeat(70_000), "")).await),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        status(test::call_service(&app, upload(OPERATOR_KEY, "text/csv", csv(), "?format=xml")).await),
        StatusCode::BAD_REQUEST
    );
    // A file no load could read is refused at once: unknown columns, a ZIP that is not one.
    let refused = upload(OPERATOR_KEY, "text/csv", "position_id,colour\nX,red\n".into(), "");
    let (code, body) = problem_of(test::call_service(&app, refused).await).await;
    assert_eq!(
        (code, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_file"))
    );
    assert!(body["detail"].as_str().unwrap().contains("colour"), "{body}");
    let not_zip = upload(OPERATOR_KEY, "application/zip", "null".into(), "");
    assert_eq!(
        status(test::call_service(&app, not_zip).await),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let mismatch = upload(OPERATOR_KEY, "text/csv", "{}".into(), "?format=gpd");
    assert_eq!(
        status(test::call_service(&app, mismatch).await),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let octets = upload(
        OPERATOR_KEY,
        "application/octet-stream",
        "position_id\nX\n".into(),
        "?format=csv",
    );
    assert_eq!(status(test::call_service(&app, octets).await), StatusCode::ACCEPTED);
    let not_gpd = upload(OPERATOR_KEY, "application/json", "[]".into(), "");
    assert_eq!(
        status(test::call_service(&app, not_gpd).await),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        status(
            test::call_service(
                &app,
                get(
                    "/api/v1/admin/imports/imp_00000000000000000000000000000000",
                    "application/json"
                )
            )
            .await
        ),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(test::call_service(&app, get("/api/v1/admin/imports/nope", "application/json")).await),
        StatusCode::BAD_REQUEST
    );
    let foreign = test::TestRequest::get()
        .uri(&location)
        .insert_header(("x-api-key", PROVINCIA_KEY))
        .to_request();
    assert_eq!(status(test::call_service(&app, foreign).await), StatusCode::FORBIDDEN);
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "refused uploads leave no file behind");
}
