//! An example request and response for every operation, built from the demo data through the
//! same DTOs the handlers answer with, so an example cannot drift from the code. Path and query
//! parameters get examples by name.

use pagopa_domain::{DebtPosition, EnteSettings, demo};
use serde_json::{Value, json};

use pagopa_domain::services::{NoticeState, NoticeSummary};

use crate::dto::{EnteDto, MyPositionsDto, NoticeDto, PaymentDto, PositionDto, ServiceDto, ServiceSummaryDto};

/// An example for a parameter of this name.
pub(super) fn parameter(name: &str) -> Option<Value> {
    let tari = demo::tari();
    Some(match name {
        "ente" | "recipient" => json!(demo::COMUNE),
        "notice" | "notice_number" => json!(tari.options[0].notice_number.to_string()),
        "code" => json!("licenza-pesca"),
        "iupd" => json!(tari.iupd.to_string()),
        "debtor" => json!(demo::DEBTOR),
        "status" => json!("valid"),
        "import" => json!("imp_4f0c1d2e3a4b5c6d7e8f90a1b2c3d4e5"),
        "psp" => json!(super::reconciliation_examples::PSP),
        "flow" => json!(super::reconciliation_examples::FLOW),
        "limit" => json!(20),
        _ => return None,
    })
}

fn demo_position() -> Option<DebtPosition> {
    let comune = demo::comune();
    let at = chrono::DateTime::from_timestamp(1_798_000_000, 0)?;
    DebtPosition::create(&comune.id, comune.notice_layout, demo::tari(), at).ok()
}

/// The example request body and 2xx response of `method path`, if it has any.
pub(super) fn operation(method: &str, path: &str) -> (Option<Value>, Option<Value>) {
    if let Some(found) = super::reconciliation_examples::operation(method, path) {
        return found;
    }
    let position = demo_position();
    let now = chrono::DateTime::from_timestamp(1_798_000_000, 0).unwrap_or_default();
    let to_value = |v: &dyn erased::Serialize| v.to_json();
    let cart = json!({
        "notices": [{ "ente": demo::COMUNE, "notice_number": demo::tari().options[0].notice_number.to_string() }],
        "email": "giuseppe.verdi@example.it",
        "return_urls": { "ok": "https://portale.example/ok", "cancel": "https://portale.example/annullato", "error": "https://portale.example/errore" }
    });
    let cart_answer = json!({
        "id": "5f1c0d7e9a2b4c6d8e0f1a2b3c4d5e6f",
        "status": "in_progress",
        "checkout_url": "https://checkout.pagopa.it/c/5f1c0d7e",
        "total_cents": demo::tari().options[0].amount.cents(),
        "notices": [demo::tari().options[0].notice_number.to_string()]
    });
    let services: Vec<_> = demo::catalogue().iter().map(ServiceSummaryDto::from).collect();
    let fishing = demo::catalogue()
        .into_iter()
        .find(|s| s.code.as_str() == "licenza-pesca");
    match (method, path) {
        ("get", "/api/v1/entes") => (None, Some(to_value(&vec![EnteDto::from(&demo::comune())]))),
        ("get", "/api/v1/entes/{ente}/services") => (None, Some(to_value(&services))),
        ("get", "/api/v1/entes/{ente}/services/{code}") => (
            None,
            fishing.map(|s| {
                to_value(&ServiceDto {
                    code: s.code.to_string(),
                    name: s.name.to_string(),
                    description: s.description.as_ref().map(ToString::to_string),
                    fixed_amount_cents: None,
                    form: crate::schema::form_schema(&s.form),
                })
            }),
        ),
        ("post", "/api/v1/entes/{ente}/services/{code}/requests") => (
            Some(json!({ "values": { "full_name": "Mario Rossi", "fiscal_code": "RSSMRA80A01H501U", "year": 2027 } })),
            position.as_ref().and_then(PaymentDto::first_option).map(|p| to_value(&p)),
        ),
        ("get", "/api/v1/entes/{ente}/notices/{notice}") => {
            let option = &demo::tari().options[0];
            let summary = NoticeSummary {
                ente: demo::comune().id,
                company_name: demo::comune().name,
                notice_number: option.notice_number.clone(),
                amount: option.amount,
                due_date: option.due_date,
                description: option.description.clone(),
                state: NoticeState::Payable,
            };
            (None, Some(to_value(&NoticeDto::from(summary))))
        }
        ("get", "/api/v1/me/positions") => (
            None,
            position.as_ref().map(|p| {
                to_value(&MyPositionsDto {
                    positions: vec![PositionDto::new(p, now)],
                    stale_entes: vec![],
                })
            }),
        ),
        ("get", "/api/v1/me/receipts") => {
            let receipt = pagopa_domain::StoredReceipt {
                receipt: demo::receipt_for(&demo::tari().options[0], "a1b2c3d4e5f60718", now),
                disposition: pagopa_domain::ReceiptDisposition::Settled,
            };
            (None, Some(to_value(&vec![crate::dto::ReceiptDto::from(&receipt)])))
        }
        ("post", "/api/v1/carts") => (Some(cart), Some(cart_answer)),
        ("get", "/api/v1/carts/{id}") => (None, Some(cart_answer)),
        ("get", "/api/v1/admin/entes") => (None, Some(to_value(&vec![EnteSettings::from(&demo::comune())]))),
        ("get", "/api/v1/admin/entes/{ente}") => (None, Some(to_value(&EnteSettings::from(&demo::comune())))),
        ("put", "/api/v1/admin/entes/{ente}") => {
            let settings = to_value(&EnteSettings::from(&demo::comune()));
            (Some(settings.clone()), Some(settings))
        }
        ("post", "/api/v1/admin/entes/{ente}/positions") => {
            let mut draft = demo::tari();
            draft.iupd = "TARI-2027-0001".parse().unwrap_or(draft.iupd);
            (Some(to_value(&draft)), position.as_ref().map(|p| to_value(p)))
        }
        ("get", "/api/v1/admin/entes/{ente}/positions/{iupd}") => (None, position.as_ref().map(|p| to_value(p))),
        ("put", "/api/v1/admin/entes/{ente}/positions/{iupd}") => {
            (Some(to_value(&demo::tari())), position.as_ref().map(|p| to_value(p)))
        }
        ("post", "/api/v1/admin/entes/{ente}/positions/{iupd}/status") => {
            (Some(json!({ "status": "valid" })), position.as_ref().map(|p| to_value(p)))
        }
        ("get", "/api/v1/admin/positions") => (
            None,
            position.as_ref().map(|p| json!({ "items": [to_value(p)], "next": { "after_ente": demo::COMUNE, "after_iupd": p.iupd.to_string() } })),
        ),
        ("get", "/api/v1/admin/receipts") => (None, Some(json!({ "items": [] }))),
        ("put", "/api/v1/admin/entes/{ente}/services/{code}") => {
            let service = demo::catalogue().into_iter().next().map(|s| to_value(&s));
            (service.clone(), service)
        }
        ("post", "/api/v1/admin/outbox/{id}/replay") => (None, Some(json!({ "id": 1, "status": "replayed" }))),
        ("get", "/api/v1/admin/outbox") => (
            None,
            Some(json!({ "items": [{
                "id": 41, "state": "dead", "ente": demo::COMUNE,
                "event": { "type": "payment_received", "receipt_id": "c2e0f1a4b5d6", "ente": demo::COMUNE,
                           "notice_number": "305260100000471130", "iuv": "05260100000471130", "iupd": "TARI-2026-4711",
                           "amount": 24570, "paid_at": "2026-11-25T10:00:00Z", "disposition": "settled",
                           "psp_name": "Banca Esempio S.p.A." },
                "attempts": 50, "created_at": "2026-11-25T10:00:01Z", "available_at": "2026-11-28T09:12:00Z",
                "retrying_since": null, "last_error": "the gestionale is unavailable: the gestionale answered HTTP 503: maintenance",
                "delivered_at": null, "dead_at": "2026-11-28T10:00:02Z"
            }], "next": { "after": 41 } })),
        ),
        ("post", "/api/v1/admin/outbox/replay") => (None, Some(json!({ "replayed": 12 }))),
        ("get", "/api/v1/admin/entes/{ente}/events") => (
            None,
            Some(json!({ "items": [{
                "seq": 42, "recorded_at": "2026-11-25T10:00:01Z", "needs_review": false, "notification": "delivered",
                "event": { "type": "payment_received", "receipt_id": "c2e0f1a4b5d6", "ente": demo::COMUNE,
                           "notice_number": "305260100000471130", "iuv": "05260100000471130", "iupd": "TARI-2026-4711",
                           "amount": 24570, "paid_at": "2026-11-25T10:00:00Z", "disposition": "settled",
                           "psp_name": "Banca Esempio S.p.A." }
            }, {
                "seq": 43, "recorded_at": "2026-12-01T23:05:00Z", "needs_review": false, "notification": "pending",
                "event": { "type": "position_expired", "ente": demo::COMUNE, "iupd": "MENSA-2025-03",
                           "notices": ["305250300000194264"], "last_due_date": "2026-11-30",
                           "expired_at": "2026-12-01T23:05:00Z" }
            }], "cursor": 43 })),
        ),
        ("get", "/api/v1/admin/quarantine") => (
            None,
            Some(json!({ "items": [{
                "id": 7, "received_at": "2026-12-01T10:15:00Z", "peer": "10.0.0.5", "operation": "paSendRTV2",
                "ente": demo::COMUNE, "reason": "the notice number's check digits are wrong",
                "raw": "<soapenv:Envelope>…</soapenv:Envelope>", "size": 2950, "truncated": false
            }] })),
        ),
        ("post", "/api/v1/admin/entes/{ente}/notices.zip") => {
            (Some(json!({ "status": "valid", "due_from": "2026-01-01", "due_to": "2026-12-31" })), None)
        }
        ("post", "/api/v1/admin/entes/{ente}/imports") => {
            let gpd = json!({ "paymentPositions": [{
                "iupd": "TARI-2027-0002", "type": "F", "fiscalCode": demo::DEBTOR, "fullName": "Giuseppe Verdi",
                "companyName": "Comune di Valdesempio", "switchToExpired": false,
                "paymentOption": [{
                    "nav": demo::comune_notice(2_700_000_000_001).to_string(), "iuv": demo::comune_notice(2_700_000_000_001).iuv().to_string(),
                    "amount": 12_345, "description": "TARI 2027", "isPartialPayment": false, "dueDate": "2027-06-30T23:59:59+02:00",
                    "transfer": [{ "idTransfer": "1", "amount": 12_345, "remittanceInformation": "TARI 2027",
                        "category": "9/0101108TS/", "iban": demo::comune().bank_iban.to_string() }]
                }]
            }] });
            (Some(gpd), Some(import_example(false)))
        }
        ("get", "/api/v1/admin/imports/{import}") => (None, Some(import_example(true))),
        ("get", "/health/live") => (None, Some(json!({ "status": "live" }))),
        ("get", "/health/ready") => (None, Some(json!({ "status": "ready", "warnings": [] }))),
        _ => (None, None),
    }
}

/// A load as the imports API shows it: queued, or done.
fn import_example(done: bool) -> Value {
    let id = "imp_4f0c1d2e3a4b5c6d7e8f90a1b2c3d4e5";
    let mut example = json!({
        "id": id, "ente": demo::COMUNE, "format": "csv", "status": "queued", "dry_run": false,
        "sha256": "9f2c…", "bytes": 48_213_504, "rows_read": 0, "accepted": 0, "rejected": 0,
        "created_at": "2026-12-02T09:00:00+00:00", "report": format!("/api/v1/admin/imports/{id}/report")
    });
    if done {
        example["status"] = json!("done");
        example["rows_read"] = json!(1_000_000);
        example["accepted"] = json!(999_998);
        example["rejected"] = json!(2);
        example["started_at"] = json!("2026-12-02T09:00:01+00:00");
        example["finished_at"] = json!("2026-12-02T09:00:37+00:00");
    }
    example
}

/// Serialisation to a JSON value behind a trait object, for the table above.
mod erased {
    pub(super) trait Serialize {
        fn to_json(&self) -> serde_json::Value;
    }

    impl<T: serde::Serialize> Serialize for T {
        fn to_json(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap_or_default()
        }
    }
}
