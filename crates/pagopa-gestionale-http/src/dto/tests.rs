use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use pagopa_domain::demo::{self, DEBTOR, OTHER_DEBTOR};
use pagopa_domain::ports::{GestionaleQuote, PricingRequest};
use pagopa_domain::{
    AmountCents, EnteId, FiscalCode, NoticeLayout, NoticeNumber, PaymentNotification, ReceiptDisposition, StampRequest,
    TransferAccount,
};
use serde_json::{Value, json};

use super::*;

fn debtor() -> FiscalCode {
    DEBTOR.parse().unwrap()
}

fn comune_id() -> EnteId {
    demo::COMUNE.parse().unwrap()
}

/// A hand-written answer, as a legacy back office would produce it: no transfer ids or Ente,
/// a bare category, blank optional texts, members the contract does not know.
fn handwritten() -> Value {
    json!({
        "positions": [{
            "iupd": "TARI-2026-4711",
            "description": "TARI 2026 saldo",
            "debtor": {"fiscalCode": DEBTOR, "fullName": "Giuseppe Verdi", "email": "", "city": null},
            "options": [{
                "noticeNumber": demo::comune_notice(2_601_000_004_711).as_str(),
                "amount": 24570,
                "description": "TARI 2026 saldo",
                "dueDate": "2026-12-16",
                "transfers": [
                    {"amount": 23400, "iban": "IT56M0306911200000000046020", "postalIban": "IT60J0760111200000012345679",
                     "remittance": "TARI 2026 saldo", "category": "0101101IM"},
                    {"ente": demo::PROVINCIA, "companyName": "Provincia di Esempio", "amount": 1170,
                     "iban": "IT90P0503411200000000078915", "remittance": "TEFA 2026 saldo", "category": "9/0201102IM/"}
                ],
                "legacyCode": "X-99"
            }],
            "internalStatus": "OPEN"
        }],
        "generatedAt": "2026-11-25T10:00:00Z"
    })
}

/// The mapping error of a positions answer.
fn positions_error(body: Value) -> MappingError {
    let dto: PositionsDto = serde_json::from_value(body).unwrap();
    dto.to_drafts(&demo::comune(), &debtor()).unwrap_err()
}

/// The handwritten answer with one member changed: `edit` gets the first position.
fn edited(edit: impl FnOnce(&mut Value)) -> Value {
    let mut body = handwritten();
    edit(&mut body["positions"][0]);
    body
}

#[test]
fn demo_positions_round_trip() {
    let drafts = vec![demo::tari(), demo::imu_plan(), demo::canteen_expired()];
    let json = serde_json::to_value(PositionsDto::from_drafts(&drafts)).unwrap();
    let back: PositionsDto = serde_json::from_value(json).unwrap();
    assert_eq!(back.to_drafts(&demo::comune(), &debtor()).unwrap(), drafts);
}

#[test]
fn position_json_shape() {
    let json = serde_json::to_value(PositionDto::from_draft(&demo::tari())).unwrap();
    assert_eq!(
        json,
        json!({
            "iupd": "TARI-2026-4711",
            "description": "TARI 2026 saldo",
            "debtor": {
                "fiscalCode": DEBTOR, "fullName": "Giuseppe Verdi", "streetName": "Via Roma", "civicNumber": "12",
                "postalCode": "25080", "city": "Valdesempio", "province": "BS", "country": "IT",
                "email": "giuseppe.verdi@example.it"
            },
            "expiresAfterDueDate": false,
            "options": [{
                "noticeNumber": "305260100000471130",
                "amount": 24570,
                "description": "TARI 2026 saldo",
                "dueDate": "2026-12-16",
                "transfers": [
                    {"id": 1, "ente": demo::COMUNE, "amount": 23400, "iban": "IT56M0306911200000000046020",
                     "postalIban": "IT60J0760111200000012345679", "remittance": "TARI 2026 saldo",
                     "category": "9/0101101IM/"},
                    {"id": 2, "ente": demo::PROVINCIA, "companyName": "Provincia di Esempio", "amount": 1170,
                     "iban": "IT90P0503411200000000078915", "remittance": "TEFA 2026 saldo",
                     "category": "9/0201102IM/"}
                ]
            }]
        })
    );
    let plan = serde_json::to_value(PositionDto::from_draft(&demo::imu_plan())).unwrap();
    assert_eq!(plan["options"][1]["instalment"], json!({"number": 1, "of": 3}));
    assert!(plan["options"][0].get("instalment").is_none());
}

#[test]
fn a_handwritten_answer_maps_with_defaults() {
    let dto: PositionsDto = serde_json::from_value(handwritten()).unwrap();
    let drafts = dto.to_drafts(&demo::comune(), &debtor()).unwrap();
    assert_eq!(drafts.len(), 1);
    let draft = &drafts[0];
    assert_eq!(draft.origin, pagopa_domain::Origin::Expected);
    assert!(draft.publish);
    assert!(!draft.expires_after_due_date);
    assert_eq!(draft.debtor.email, None);
    assert_eq!(draft.debtor.city, None);
    let transfers = &draft.options[0].transfers;
    assert_eq!((transfers[0].id, transfers[1].id), (1, 2));
    assert_eq!(transfers[0].ente, comune_id());
    assert_eq!(transfers[0].category.to_string(), "9/0101101IM/");
    // The same position as the demo's, apart from the debtor's address.
    let mut expected = demo::tari();
    expected.debtor = pagopa_domain::Subject::new(expected.debtor.id.clone(), expected.debtor.full_name.clone());
    assert_eq!(draft, &expected);
}

#[test]
fn an_empty_answer_is_no_positions() {
    let dto: PositionsDto = serde_json::from_value(json!({"positions": []})).unwrap();
    assert!(dto.to_drafts(&demo::comune(), &debtor()).unwrap().is_empty());
}

#[test]
fn stamps_and_metadata_map_both_ways() {
    let mut draft = demo::tari();
    draft.options[0].transfers[1].account = TransferAccount::Stamp(StampRequest {
        document_hash: "cXVlc3RvIMOoIHVuIGhhc2ggZGkgZXNlbXBpbyBkaSAzMiBieXRl".parse().unwrap(),
        stamp_type: "01".parse().unwrap(),
        province: "RM".parse().unwrap(),
    });
    draft.options[0].transfers[1]
        .metadata
        .insert("CAP".parse().unwrap(), "1".parse().unwrap())
        .unwrap();
    draft
        .metadata
        .insert("ANNO".parse().unwrap(), "2026".parse().unwrap())
        .unwrap();
    draft.valid_from = Some(Utc.with_ymd_and_hms(2026, 3, 1, 8, 30, 0).unwrap());
    let json = serde_json::to_value(PositionsDto::from_drafts([&draft])).unwrap();
    let position = &json["positions"][0];
    assert_eq!(position["validFrom"], "2026-03-01T08:30:00Z");
    assert_eq!(position["metadata"], json!([{"key": "ANNO", "value": "2026"}]));
    let stamp = &position["options"][0]["transfers"][1];
    assert_eq!(stamp["stamp"]["stampType"], "01");
    assert!(stamp.get("iban").is_none());
    let back: PositionsDto = serde_json::from_value(json).unwrap();
    assert_eq!(back.to_drafts(&demo::comune(), &debtor()).unwrap(), vec![draft]);
}

#[test]
fn bad_values_name_their_member() {
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            edited(|p| p["options"][0]["transfers"][0]["iban"] = json!("IT57M0306911200000000046020")),
            "positions[0].options[0].transfers[0].iban",
            "check digits",
        ),
        (
            edited(|p| p["options"][0]["noticeNumber"] = json!("305260100000471131")),
            "positions[0].options[0].noticeNumber",
            "check digits",
        ),
        (
            edited(|p| p["options"][0]["amount"] = json!(24571)),
            "positions[0].options[0].transfers",
            "add up to 24570 cents, the amount is 24571 cents",
        ),
        (
            edited(|p| p["options"][0]["transfers"][1]["amount"] = json!(0)),
            "positions[0].options[0].transfers[1].amount",
            "at least 0.01",
        ),
        (
            edited(|p| p["options"][0]["amount"] = json!(0)),
            "positions[0].options[0].amount",
            "at least 0.01",
        ),
        (
            edited(|p| p["options"][0]["transfers"][0]["postalIban"] = json!("IT56M0306911200000000046020")),
            "positions[0].options[0].transfers[0].postalIban",
            "Poste Italiane",
        ),
        (
            edited(|p| {
                p["options"][0]["transfers"][0]["stamp"] =
                    json!({"documentHash": "aGFzaA==", "stampType": "01", "province": "RM"});
            }),
            "positions[0].options[0].transfers[0]",
            "both an iban and a stamp",
        ),
        (
            edited(|p| p["options"][0]["transfers"][1]["iban"] = Value::Null),
            "positions[0].options[0].transfers[1]",
            "neither an iban nor a stamp",
        ),
        (
            edited(|p| p["options"][0]["transfers"][1]["id"] = json!(3)),
            "positions[0].options[0].transfers[1].id",
            "expected 2, got 3",
        ),
        (
            edited(|p| p["options"][0]["transfers"][0]["ente"] = json!(demo::PROVINCIA)),
            "positions[0].options[0].transfers[0].ente",
            "must credit Ente 80012345676",
        ),
        (
            edited(|p| p["options"][0]["transfers"] = json!([])),
            "positions[0].options[0].transfers",
            "1 to 5 transfers",
        ),
        (
            edited(|p| {
                let one = p["options"][0]["transfers"][1].clone();
                let transfers = p["options"][0]["transfers"].as_array_mut().unwrap();
                transfers.extend(std::iter::repeat_n(one, 4));
            }),
            "positions[0].options[0].transfers",
            "not 6",
        ),
        (
            edited(|p| p["options"][0]["transfers"][0]["category"] = json!("0101101XX")),
            "positions[0].options[0].transfers[0].category",
            "reason code",
        ),
        (
            edited(|p| p["options"][0]["dueDate"] = json!("16/12/2026")),
            "positions[0].options[0].dueDate",
            "YYYY-MM-DD",
        ),
        (
            edited(|p| p["validFrom"] = json!("2026-03-01 08:30")),
            "positions[0].validFrom",
            "RFC 3339",
        ),
        (
            edited(|p| p["debtor"]["fiscalCode"] = json!(OTHER_DEBTOR)),
            "positions[0].debtor.fiscalCode",
            "not of the debtor asked about",
        ),
        (
            edited(|p| p["debtor"]["fiscalCode"] = json!("VRDGPP80A01B157Y")),
            "positions[0].debtor.fiscalCode",
            "check character",
        ),
        (
            edited(|p| p["debtor"]["email"] = json!("not-an-address")),
            "positions[0].debtor.email",
            "e-mail",
        ),
        (
            edited(|p| p["description"] = json!("x".repeat(141))),
            "positions[0].description",
            "141 characters",
        ),
        (
            edited(|p| p["iupd"] = json!("TARI 2026")),
            "positions[0].iupd",
            "letters, digits",
        ),
        (
            edited(|p| p["options"] = json!([])),
            "positions[0].options",
            "at least one option",
        ),
        (
            edited(|p| p["options"][0]["instalment"] = json!({"number": 4, "of": 3})),
            "positions[0].options[0].instalment",
            "the number must be 1 to 3",
        ),
        (
            edited(|p| {
                let entries: Vec<Value> = (0..16).map(|i| json!({"key": format!("k{i}"), "value": "v"})).collect();
                p["metadata"] = Value::Array(entries);
            }),
            "positions[0].metadata",
            "at most 15",
        ),
        (
            edited(|p| p["options"][0]["metadata"] = json!([{"key": "", "value": "v"}])),
            "positions[0].options[0].metadata[0].key",
            "empty",
        ),
    ];
    for (body, path, words) in cases {
        let error = positions_error(body);
        assert_eq!(error.path, path, "{error}");
        assert!(error.problem.contains(words), "{path}: {error}");
    }
}

#[test]
fn domain_rules_are_checked_per_position() {
    // A notice in another Ente's layout (segregation code 06 instead of 05).
    let foreign = NoticeNumber::build(NoticeLayout::Aux3 { segregation_code: 6 }, 1).unwrap();
    let error = positions_error(edited(|p| p["options"][0]["noticeNumber"] = json!(foreign.as_str())));
    assert_eq!(error.path, "positions[0] (iupd TARI-2026-4711)");
    assert!(error.problem.contains("layout"), "{error}");

    // An instalment plan with only its first instalment.
    let error = positions_error(edited(|p| {
        p["options"][0]["instalment"] = json!({"number": 1, "of": 3})
    }));
    assert!(error.problem.contains("instalment plan"), "{error}");

    // The same iupd twice.
    let mut body = handwritten();
    let again = body["positions"][0].clone();
    body["positions"].as_array_mut().unwrap().push(again);
    let error = positions_error(body.clone());
    assert_eq!(error.path, "positions[1].iupd");
    assert!(error.problem.contains("twice"), "{error}");

    // The same notice in two positions.
    body["positions"][1]["iupd"] = json!("TARI-2026-4712");
    let error = positions_error(body);
    assert_eq!(error.path, "positions[1].options[0].noticeNumber");
    assert!(error.problem.contains("appears twice"), "{error}");
}

#[test]
fn a_mapping_error_is_a_protocol_error() {
    let error: GestionaleError = MappingError::new("positions[0].iupd", "the position id (IUPD) is empty").into();
    match error {
        GestionaleError::Protocol(message) => {
            assert_eq!(message, "positions[0].iupd: the position id (IUPD) is empty");
        }
        other => panic!("{other:?}"),
    }
}

fn quote_with_transfers() -> GestionaleQuote {
    let mut transfers = demo::tari().options[0].transfers.clone();
    transfers[0].amount = AmountCents::new(4_000).unwrap();
    transfers[1].amount = AmountCents::new(1_000).unwrap();
    GestionaleQuote {
        amount: AmountCents::new(5_000).unwrap(),
        description: Some("Passo carrabile AB123CD 2026".parse().unwrap()),
        transfers: Some(transfers),
    }
}

#[test]
fn quotes_map_both_ways() {
    let quote = quote_with_transfers();
    let json = serde_json::to_value(QuoteDto::from_quote(&quote)).unwrap();
    assert_eq!(json["amount"], 5000);
    assert_eq!(json["transfers"][1]["ente"], demo::PROVINCIA);
    let back: QuoteDto = serde_json::from_value(json).unwrap();
    assert_eq!(back.to_quote(&comune_id()).unwrap(), quote);

    let bare: QuoteDto = serde_json::from_value(json!({"amount": 1250, "description": "  "})).unwrap();
    assert_eq!(
        bare.to_quote(&comune_id()).unwrap(),
        GestionaleQuote {
            amount: AmountCents::new(1_250).unwrap(),
            description: None,
            transfers: None,
        }
    );
    assert_eq!(
        serde_json::to_value(QuoteDto::from_quote(&bare.to_quote(&comune_id()).unwrap())).unwrap(),
        json!({"amount": 1250})
    );
}

#[test]
fn bad_quotes_name_their_member() {
    let quote = |body: Value| {
        serde_json::from_value::<QuoteDto>(body)
            .unwrap()
            .to_quote(&comune_id())
            .unwrap_err()
    };
    let transfer = |amount: u64| {
        json!({"amount": amount, "iban": "IT56M0306911200000000046020", "remittance": "Passo carrabile",
               "category": "9/0101101IM/"})
    };
    let error = quote(json!({"amount": 5000, "transfers": [transfer(4000)]}));
    assert_eq!(error.path, "transfers");
    assert!(
        error.problem.contains("add up to 4000 cents, the amount is 5000 cents"),
        "{error}"
    );
    let error = quote(json!({"amount": 5000, "transfers": []}));
    assert_eq!(error.path, "transfers");
    let error = quote(json!({"amount": 0}));
    assert_eq!(error.path, "amount");
    let error = quote(json!({"amount": 99_999_999_999u64 + 1}));
    assert!(error.problem.contains("may not exceed"), "{error}");
    let error = quote(json!({"amount": 10, "description": "a\u{0}b"}));
    assert_eq!(error.path, "description");
    let mut other = transfer(5000);
    other["ente"] = json!(demo::PROVINCIA);
    let error = quote(json!({"amount": 5000, "transfers": [other]}));
    assert_eq!(error.path, "transfers[0].ente");
    // A float amount is not integer cents.
    assert!(serde_json::from_value::<QuoteDto>(json!({"amount": 50.0})).is_err());
}

#[test]
fn pricing_requests_map_both_ways() {
    let request = PricingRequest {
        ente: comune_id(),
        service: "PASSO-CARRABILE".parse().unwrap(),
        debtor: Some(debtor()),
        values: BTreeMap::from([
            ("targa".to_owned(), "AB123CD".to_owned()),
            ("metri".to_owned(), "4.5".to_owned()),
        ]),
    };
    let json = serde_json::to_value(PricingRequestDto::from_request(&request)).unwrap();
    assert_eq!(
        json,
        json!({"service": "PASSO-CARRABILE", "debtor": DEBTOR, "values": {"metri": "4.5", "targa": "AB123CD"}})
    );
    let back: PricingRequestDto = serde_json::from_value(json).unwrap();
    assert_eq!(back.to_request(comune_id()).unwrap(), request);

    let anonymous = PricingRequest {
        debtor: None,
        ..request
    };
    let json = serde_json::to_value(PricingRequestDto::from_request(&anonymous)).unwrap();
    assert_eq!(json["debtor"], Value::Null);
    let error = serde_json::from_value::<PricingRequestDto>(json!({"service": "A B"}))
        .unwrap()
        .to_request(comune_id())
        .unwrap_err();
    assert_eq!(error.path, "service");
}

fn notification(disposition: ReceiptDisposition) -> PaymentNotification {
    let notice = demo::comune_notice(2_601_000_004_711);
    PaymentNotification {
        receipt_id: "c2e0f1a4b5d6".parse().unwrap(),
        ente: comune_id(),
        iuv: notice.iuv(),
        notice_number: notice,
        iupd: Some("TARI-2026-4711".parse().unwrap()),
        amount: AmountCents::new(24_570).unwrap(),
        paid_at: Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap(),
        disposition,
        psp_name: "Banca Esempio S.p.A.".into(),
    }
}

#[test]
fn payment_notifications_map_both_ways() {
    let json = serde_json::to_value(PaymentNotificationDto::from_notification(&notification(
        ReceiptDisposition::Settled,
    )))
    .unwrap();
    assert_eq!(
        json,
        json!({
            "receiptId": "c2e0f1a4b5d6", "ente": "80012345676", "noticeNumber": "305260100000471130",
            "iuv": "05260100000471130", "iupd": "TARI-2026-4711", "amount": 24570,
            "paidAt": "2026-11-25T10:00:00Z", "disposition": "settled", "settledBy": null,
            "expectedAmount": null, "otherReceipts": null, "problem": null,
            "pspName": "Banca Esempio S.p.A.", "needsReview": false
        })
    );
    let dispositions = [
        (ReceiptDisposition::Settled, "settled"),
        (ReceiptDisposition::SettledAfterExpiry, "settled_after_expiry"),
        (
            ReceiptDisposition::DoublePayment {
                settled_by: Some("first-receipt".parse().unwrap()),
            },
            "double_payment",
        ),
        (ReceiptDisposition::DoublePayment { settled_by: None }, "double_payment"),
        (ReceiptDisposition::UnknownNotice, "unknown_notice"),
        (ReceiptDisposition::CancelledPosition, "cancelled_position"),
        (ReceiptDisposition::SecondaryBeneficiary, "secondary_beneficiary"),
        (
            ReceiptDisposition::PlanOverlap {
                other_receipts: vec!["rata-1".parse().unwrap(), "rata-2".parse().unwrap()],
            },
            "plan_overlap",
        ),
        (
            ReceiptDisposition::AmountDiffers {
                expected: AmountCents::new(25_000).unwrap(),
                paid: AmountCents::new(24_570).unwrap(),
            },
            "amount_differs",
        ),
        (
            ReceiptDisposition::TransfersDiffer {
                problem: "transfer 2: 1170 cents instead of 1200".into(),
            },
            "transfers_differ",
        ),
    ];
    for (disposition, name) in dispositions {
        let mut original = notification(disposition);
        original.iupd = None;
        let dto = PaymentNotificationDto::from_notification(&original);
        assert_eq!(dto.disposition, name);
        assert_eq!(dto.iupd, None);
        let json = serde_json::to_value(&dto).unwrap();
        assert_eq!(json["iupd"], Value::Null);
        let back: PaymentNotificationDto = serde_json::from_value(json).unwrap();
        assert_eq!(back.to_notification().unwrap(), original);
    }
    let double = PaymentNotificationDto::from_notification(&notification(ReceiptDisposition::DoublePayment {
        settled_by: Some("first-receipt".parse().unwrap()),
    }));
    assert_eq!(double.settled_by.as_deref(), Some("first-receipt"));
}

#[test]
fn bad_payment_notifications_name_their_member() {
    let base = PaymentNotificationDto::from_notification(&notification(ReceiptDisposition::Settled));
    let error = PaymentNotificationDto {
        disposition: "paid".into(),
        ..base.clone()
    }
    .to_notification()
    .unwrap_err();
    assert_eq!(error.path, "disposition");
    let error = PaymentNotificationDto {
        paid_at: "25/11/2026".into(),
        ..base.clone()
    }
    .to_notification()
    .unwrap_err();
    assert_eq!(error.path, "paidAt");
    let error = PaymentNotificationDto {
        ente: "8001234567".into(),
        ..base.clone()
    }
    .to_notification()
    .unwrap_err();
    assert_eq!(error.path, "ente");
    // An offset is turned into UTC.
    let shifted = PaymentNotificationDto {
        paid_at: "2026-11-25T11:00:00+01:00".into(),
        ..base
    }
    .to_notification()
    .unwrap();
    assert_eq!(shifted.paid_at, Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap());
}

#[test]
fn refusal_shape() {
    let refusal: RefusalDto = serde_json::from_value(json!({
        "reason": "La targa non risulta registrata",
        "fields": [{"field": "targa", "problem": "pattern"}, {"field": "metri", "problem": "above_maximum", "max": "12"}]
    }))
    .unwrap();
    assert_eq!(refusal.fields.len(), 2);
    assert_eq!(refusal.fields[1].field, "metri");
    let json = serde_json::to_value(&refusal).unwrap();
    assert_eq!(
        json["fields"][1],
        json!({"field": "metri", "problem": "above_maximum", "max": "12"})
    );
}

/// The JSON examples of the contract document (`docs/gestionale-http.md`) are valid answers.
#[test]
fn the_documented_examples_map() {
    let doc = include_str!("../../../../docs/gestionale-http.md");
    let blocks: Vec<Value> = doc
        .split("```json\n")
        .skip(1)
        .map(|rest| serde_json::from_str(rest.split("```").next().unwrap()).unwrap())
        .collect();
    let mut kinds = Vec::new();
    for block in blocks {
        if block.get("positions").is_some() {
            let dto: PositionsDto = serde_json::from_value(block).unwrap();
            assert_eq!(dto.to_drafts(&demo::comune(), &debtor()).unwrap(), vec![demo::tari()]);
            kinds.push("positions");
        } else if block.get("receiptId").is_some() {
            let dto: PaymentNotificationDto = serde_json::from_value(block).unwrap();
            assert_eq!(
                dto.to_notification().unwrap(),
                notification(ReceiptDisposition::Settled)
            );
            kinds.push("payment");
        } else if block.get("cancelledAt").is_some() {
            let dto: crate::dto::CancellationNotificationDto = serde_json::from_value(block).unwrap();
            let cancellation = pagopa_domain::CancellationNotification {
                ente: comune_id(),
                iupd: "TARI-2026-4711".parse().unwrap(),
                notices: vec![demo::comune_notice(2_601_000_004_711)],
                cancelled_at: Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).unwrap(),
            };
            assert_eq!(
                dto,
                crate::dto::CancellationNotificationDto::from_notification(&cancellation)
            );
            kinds.push("cancellation");
        } else if block.get("lastDueDate").is_some() {
            let dto: ExpiryNotificationDto = serde_json::from_value(block).unwrap();
            let expiry = pagopa_domain::ExpiryNotification {
                ente: comune_id(),
                iupd: "MENSA-2025-03".parse().unwrap(),
                notices: vec![demo::comune_notice(2_503_000_001_942)],
                last_due_date: chrono::NaiveDate::from_ymd_opt(2025, 4, 30).unwrap(),
                expired_at: Utc.with_ymd_and_hms(2025, 4, 30, 22, 5, 0).unwrap(),
            };
            assert_eq!(dto, ExpiryNotificationDto::from_notification(&expiry));
            kinds.push("expiry");
        } else if block.get("service").is_some() {
            let dto: PricingRequestDto = serde_json::from_value(block).unwrap();
            let request = dto.to_request(comune_id()).unwrap();
            assert_eq!(request.debtor, Some(debtor()));
            assert_eq!(request.values.len(), 4);
            kinds.push("pricing");
        } else if block.get("reason").is_some() {
            serde_json::from_value::<RefusalDto>(block).unwrap();
            kinds.push("refusal");
        } else {
            let dto: QuoteDto = serde_json::from_value(block).unwrap();
            let quote = dto.to_quote(&comune_id()).unwrap();
            assert_eq!(quote.amount.cents(), 5000);
            kinds.push("quote");
        }
    }
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        [
            "cancellation",
            "expiry",
            "payment",
            "positions",
            "pricing",
            "quote",
            "refusal"
        ]
    );
}
