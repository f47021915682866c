use std::collections::BTreeMap;

use pagopa_domain::demo::{self, DEBTOR};
use pagopa_domain::{AmountCents, FieldProblem};
use serde_json::json;

use super::*;
use crate::dto::{PositionsDto, QuoteDto, RefusalDto};

fn debtor() -> FiscalCode {
    DEBTOR.parse().unwrap()
}

fn request() -> PricingRequest {
    PricingRequest {
        ente: demo::COMUNE.parse().unwrap(),
        service: "PASSO-CARRABILE".parse().unwrap(),
        debtor: Some(debtor()),
        values: BTreeMap::from([("targa".to_owned(), "AB123CD".to_owned())]),
    }
}

fn failure(error: GestionaleError) -> GestionaleFailure {
    match error {
        GestionaleError::Unavailable(source) => *source.downcast::<GestionaleFailure>().unwrap(),
        other => panic!("not unavailable: {other:?}"),
    }
}

fn positions(status: u16, body: &[u8]) -> Result<Vec<PositionDraft>, GestionaleError> {
    parse_positions_response(status, body, &demo::comune(), &debtor())
}

#[test]
fn positions_answers() {
    let drafts = vec![demo::tari(), demo::imu_plan()];
    let body = serde_json::to_vec(&PositionsDto::from_drafts(&drafts)).unwrap();
    assert_eq!(positions(200, &body).unwrap(), drafts);
    assert!(positions(200, br#"{"positions": []}"#).unwrap().is_empty());
    assert!(positions(204, b"").unwrap().is_empty());
    assert!(positions(404, b"<html>Not Found</html>").unwrap().is_empty());
    assert!(matches!(positions(501, b""), Err(GestionaleError::Unsupported)));
}

#[test]
fn invalid_positions_are_protocol_errors() {
    for (status, body, words) in [
        (200, &b"not json"[..], "not the JSON the contract defines"),
        (200, b"[]", "not the JSON the contract defines"),
        (200, br#"{"positions": [{"iupd": "X"}]}"#, "missing field"),
        (201, b"{}", "HTTP 201, where the contract answers 200, 204 or 404"),
        (302, b"", "HTTP 302"),
        (302, b"", "is a redirect"),
        (200, b"<!DOCTYPE html><html><body>Login</body></html>", "an HTML page"),
        (200, b"  <html>", "an HTML page"),
        (200, b"{\"positions\": [", "not valid JSON"),
        (200, b"ok", "not valid JSON"),
        (200, b"", "the body is empty"),
        (200, br#"{"positions": 5}"#, "wrong schema"),
        (200, b"[]", "wrong schema"),
    ] {
        match positions(status, body) {
            Err(GestionaleError::Protocol(message)) => assert!(message.contains(words), "{status}: {message}"),
            other => panic!("{status}: {other:?}"),
        }
    }
    let mut tari = PositionsDto::from_drafts([&demo::tari()]);
    tari.positions[0].options[0].transfers[0].iban = Some("IT00X0000000000000000000000".into());
    let body = serde_json::to_vec(&tari).unwrap();
    match positions(200, &body) {
        Err(GestionaleError::Protocol(message)) => {
            assert!(
                message.starts_with("positions[0].options[0].transfers[0].iban: "),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn pricing_answers() {
    let quote = GestionaleQuote {
        amount: AmountCents::new(5_000).unwrap(),
        description: Some("Passo carrabile AB123CD".parse().unwrap()),
        transfers: None,
    };
    let body = serde_json::to_vec(&QuoteDto::from_quote(&quote)).unwrap();
    assert_eq!(parse_pricing_response(200, &body, &request()).unwrap(), quote);
    assert_eq!(parse_pricing_response(201, &body, &request()).unwrap(), quote);
    assert!(matches!(
        parse_pricing_response(501, b"", &request()),
        Err(GestionaleError::Unsupported)
    ));
    assert!(matches!(
        parse_pricing_response(200, br#"{"amount": 0}"#, &request()),
        Err(GestionaleError::Protocol(m)) if m.starts_with("amount: ")
    ));
    assert!(matches!(
        parse_pricing_response(204, b"", &request()),
        Err(GestionaleError::Protocol(_))
    ));
}

#[test]
fn refusals_carry_reason_and_fields() {
    let body = serde_json::to_vec(&RefusalDto {
        reason: "La targa non risulta registrata".into(),
        fields: vec![FieldError {
            field: "targa".into(),
            problem: FieldProblem::Pattern,
        }],
    })
    .unwrap();
    match parse_pricing_response(422, &body, &request()).unwrap_err() {
        GestionaleError::Rejected { reason, fields } => {
            assert_eq!(reason, "La targa non risulta registrata");
            assert_eq!(fields.len(), 1);
            assert_eq!(fields[0].field, "targa");
            assert_eq!(fields[0].problem, FieldProblem::Pattern);
        }
        other => panic!("{other:?}"),
    }

    let lenient = json!({
        "title": "Bad Request",
        "detail": "  metri\n troppo alti ",
        "fields": [
            {"field": "metri", "problem": "above_maximum", "max": "12"},
            {"field": "targa", "problem": "not_registered", "message": "sconosciuta"},
            {"field": "", "problem": "missing"},
            {"problem": "missing"},
            "targa"
        ]
    });
    match parse_pricing_response(400, lenient.to_string().as_bytes(), &request()).unwrap_err() {
        GestionaleError::Rejected { reason, fields } => {
            assert_eq!(reason, "metri troppo alti");
            assert_eq!(fields.len(), 2, "{fields:?}");
            assert_eq!(fields[0].problem, FieldProblem::AboveMaximum { max: "12".into() });
            assert_eq!(fields[1].problem, FieldProblem::Pattern);
        }
        other => panic!("{other:?}"),
    }

    for body in [&b""[..], b"<html><body>Errore</body></html>", b"{}"] {
        match parse_pricing_response(409, body, &request()).unwrap_err() {
            GestionaleError::Rejected { reason, fields } => {
                assert_eq!(reason, "the gestionale refused the request (HTTP 409)");
                assert!(fields.is_empty());
            }
            other => panic!("{other:?}"),
        }
    }

    let long = json!({"reason": "è".repeat(1000)});
    match parse_pricing_response(422, long.to_string().as_bytes(), &request()).unwrap_err() {
        GestionaleError::Rejected { reason, .. } => {
            assert_eq!(reason.chars().count(), DETAIL_MAX_CHARS + 1);
            assert!(reason.ends_with('…'));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unavailable_statuses() {
    for status in [401, 403, 404, 405, 407, 408, 429, 500, 502, 503, 504, 600] {
        let error = parse_pricing_response(status, br#"{"detail": "boom"}"#, &request()).unwrap_err();
        match failure(error) {
            GestionaleFailure::Status { status: s, detail } => {
                assert_eq!(s, status);
                assert_eq!(detail, "boom");
            }
            other => panic!("{status}: {other:?}"),
        }
    }
    for status in [401, 403, 429, 500, 503] {
        assert!(
            matches!(failure(positions(status, b"").unwrap_err()), GestionaleFailure::Status { detail, .. } if detail == "no explanation given")
        );
        assert!(matches!(
            failure(parse_payment_response(status, b"Service\r\n Unavailable").unwrap_err()),
            GestionaleFailure::Status { detail, .. } if detail == "Service Unavailable"
        ));
    }
}

#[test]
fn payment_answers() {
    for status in [200, 201, 202, 204, 409] {
        assert!(parse_payment_response(status, b"anything").is_ok(), "{status}");
    }
    assert!(matches!(
        parse_payment_response(501, b""),
        Err(GestionaleError::Unsupported)
    ));
    for status in [400, 410, 422] {
        match parse_payment_response(status, br#"{"reason": "ricevuta non valida"}"#) {
            Err(GestionaleError::Rejected { reason, fields }) => {
                assert_eq!(reason, "ricevuta non valida");
                assert!(fields.is_empty());
            }
            other => panic!("{status}: {other:?}"),
        }
    }
    assert!(matches!(
        failure(parse_payment_response(404, b"").unwrap_err()),
        GestionaleFailure::Status { status: 404, .. }
    ));
    assert!(matches!(
        parse_payment_response(301, b""),
        Err(GestionaleError::Protocol(m)) if m.contains("HTTP 301")
    ));
}

#[test]
fn a_notice_found_on_demand_is_the_position_holding_it() {
    let tari = demo::tari();
    let notice = tari.options[0].notice_number.clone();
    let body = serde_json::to_vec(&crate::dto::PositionDto::from_draft(&tari)).unwrap();
    let comune = demo::comune();
    assert_eq!(
        parse_notice_response(200, &body, &comune, &notice).unwrap(),
        Some(tari.clone())
    );
    assert_eq!(parse_notice_response(404, b"", &comune, &notice).unwrap(), None);
    assert_eq!(parse_notice_response(204, b"", &comune, &notice).unwrap(), None);
    assert!(matches!(
        parse_notice_response(501, b"", &comune, &notice),
        Err(GestionaleError::Unsupported)
    ));
    assert!(matches!(
        failure(parse_notice_response(503, b"busy", &comune, &notice).unwrap_err()),
        GestionaleFailure::Status { status: 503, .. }
    ));
    let other = demo::comune_notice(2_612_000_000_099);
    match parse_notice_response(200, &body, &comune, &other) {
        Err(GestionaleError::Protocol(message)) => assert!(message.contains("no option with it"), "{message}"),
        other => panic!("{other:?}"),
    }
    match parse_notice_response(200, b"<html>proxy</html>", &comune, &notice) {
        Err(GestionaleError::Protocol(message)) => assert!(message.contains("HTML"), "{message}"),
        other => panic!("{other:?}"),
    }
}
