//! The document endpoints: notices and receipts as PDF for citizens, anonymous payers and
//! operators, with ETags, refusals as 409 problems, and the streamed ZIP of notices.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Cursor, Read};

use actix_web::http::StatusCode;
use actix_web::test;
use common::*;
use pagopa_domain::demo;
use serde_json::json;

fn imu_notice() -> String {
    demo::imu_plan().options[2].notice_number.as_str().to_owned()
}

fn operator(request: test::TestRequest) -> test::TestRequest {
    request.insert_header(("x-api-key", OPERATOR_KEY))
}

#[actix_web::test]
async fn the_citizen_gets_the_notice_of_an_own_position_with_an_etag() {
    let app = app().await;
    let path = format!("/api/v1/me/positions/{}/IMU-2026-5000/notice.pdf", demo::COMUNE);
    let resp = test::call_service(&app, as_citizen(&path, demo::DEBTOR).to_request()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers().get("content-type").unwrap(), "application/pdf");
    assert!(
        resp.headers()
            .get("cache-control")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("private")
    );
    assert!(
        resp.headers()
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .contains(".pdf")
    );
    let etag = resp.headers().get("etag").unwrap().to_str().unwrap().to_owned();
    let body = test::read_body(resp).await;
    assert!(body.starts_with(b"%PDF-"));
    let again = as_citizen(&path, demo::DEBTOR).insert_header(("if-none-match", etag.as_str()));
    assert_eq!(
        test::call_service(&app, again.to_request()).await.status(),
        StatusCode::NOT_MODIFIED
    );
    // Someone else's position is as unknown as a missing one.
    let other = test::call_service(&app, as_citizen(&path, demo::OTHER_DEBTOR).to_request()).await;
    assert_eq!(problem(other).await.0, StatusCode::NOT_FOUND);
    // The paid TARI cannot be printed.
    let tari = format!("/api/v1/me/positions/{}/TARI-2026-4711/notice.pdf", demo::COMUNE);
    let (status, body) = problem(test::call_service(&app, as_citizen(&tari, demo::DEBTOR).to_request()).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("notice_position_paid"))
    );
    // The school canteen fee expired with its due date.
    let canteen = format!("/api/v1/me/positions/{}/MENSA-2025-03/notice.pdf", demo::COMUNE);
    let (status, body) = problem(test::call_service(&app, as_citizen(&canteen, demo::DEBTOR).to_request()).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("notice_position_expired"))
    );
}

#[actix_web::test]
async fn the_anonymous_payer_needs_the_debtor_code_and_learns_nothing_without_it() {
    let app = app().await;
    let path = format!("/api/v1/entes/{}/notices/{}/notice.pdf", demo::COMUNE, imu_notice());
    let ok = test::call_service(&app, get(&format!("{path}?debtor={}", demo::DEBTOR)).to_request()).await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(test::read_body(ok).await.starts_with(b"%PDF-"));
    let wrong =
        problem(test::call_service(&app, get(&format!("{path}?debtor={}", demo::OTHER_DEBTOR)).to_request()).await)
            .await;
    let unknown_notice = demo::comune_notice(9_999_999);
    let unknown = problem(
        test::call_service(
            &app,
            get(&format!(
                "/api/v1/entes/{}/notices/{}/notice.pdf?debtor={}",
                demo::COMUNE,
                unknown_notice.as_str(),
                demo::DEBTOR
            ))
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(wrong.0, StatusCode::NOT_FOUND);
    assert_eq!(
        (wrong.0, wrong.1["code"].clone()),
        (unknown.0, unknown.1["code"].clone())
    );
    // The paid TARI's notice: a conflict, named.
    let tari = demo::tari().options[0].notice_number.as_str().to_owned();
    let (status, body) = problem(
        test::call_service(
            &app,
            get(&format!(
                "/api/v1/entes/{}/notices/{tari}/notice.pdf?debtor={}",
                demo::COMUNE,
                demo::DEBTOR
            ))
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("notice_position_paid"))
    );
}

#[actix_web::test]
async fn operators_get_notices_and_receipts_of_their_entes() {
    let app = app().await;
    let path = format!(
        "/api/v1/admin/entes/{}/positions/IMU-2026-5000/notice.pdf",
        demo::COMUNE
    );
    let resp = test::call_service(&app, operator(test::TestRequest::get().uri(&path)).to_request()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let limited = test::TestRequest::get()
        .uri(&path)
        .insert_header(("x-api-key", PROVINCIA_OPERATOR_KEY));
    assert_eq!(
        problem(test::call_service(&app, limited.to_request()).await).await.0,
        StatusCode::FORBIDDEN
    );
    let receipt = format!("/api/v1/admin/receipts/{}/r-tari/receipt.pdf", demo::COMUNE);
    let resp = test::call_service(&app, operator(test::TestRequest::get().uri(&receipt)).to_request()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(test::read_body(resp).await.starts_with(b"%PDF-"));
    // The citizen's own receipt, and nobody else's.
    let mine = format!("/api/v1/me/receipts/{}/r-tari/receipt.pdf", demo::COMUNE);
    let resp = test::call_service(&app, as_citizen(&mine, demo::DEBTOR).to_request()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = test::call_service(&app, as_citizen(&mine, demo::OTHER_DEBTOR).to_request()).await;
    assert_eq!(problem(resp).await.0, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn the_zip_holds_a_notice_per_printable_position_and_a_report_of_the_others() {
    let app = app().await;
    let request = operator(test::TestRequest::post().uri(&format!("/api/v1/admin/entes/{}/notices.zip", demo::COMUNE)))
        .set_json(json!({}));
    let resp = test::call_service(&app, request.to_request()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers().get("content-type").unwrap(), "application/zip");
    let body = test::read_body(resp).await;
    let mut archive = zip::ZipArchive::new(Cursor::new(body.to_vec())).unwrap();
    let mut names: Vec<String> = archive.file_names().map(|n| n.unwrap().into_owned()).collect();
    names.sort();
    let imu = demo::imu_plan().options[0].notice_number.as_str().to_owned();
    let canone = demo::other_debtor_position().options[0]
        .notice_number
        .as_str()
        .to_owned();
    let mut expected = vec![
        format!("{}_{imu}.pdf", demo::COMUNE),
        format!("{}_{canone}.pdf", demo::COMUNE),
        "report.csv".to_owned(),
    ];
    expected.sort();
    assert_eq!(names, expected);
    let mut pdf = Vec::new();
    archive.by_name(&expected[0]).unwrap().read_to_end(&mut pdf).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let mut report = String::new();
    archive
        .by_name("report.csv")
        .unwrap()
        .read_to_string(&mut report)
        .unwrap();
    assert!(report.starts_with("ente,iupd,code,detail\n"), "{report}");
    assert!(report.contains("TARI-2026-4711,notice_position_paid"), "{report}");
    assert!(report.contains("MENSA-2025-03,notice_position_expired"), "{report}");
    // Filters narrow the search.
    let request = operator(test::TestRequest::post().uri(&format!("/api/v1/admin/entes/{}/notices.zip", demo::COMUNE)))
        .set_json(json!({ "debtor": demo::OTHER_DEBTOR }));
    let body = test::read_body(test::call_service(&app, request.to_request()).await).await;
    let archive = zip::ZipArchive::new(Cursor::new(body.to_vec())).unwrap();
    assert_eq!(archive.len(), 2);
}
