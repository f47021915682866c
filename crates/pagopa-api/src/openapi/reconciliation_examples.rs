//! The examples of the reconciliation routes, built from the domain's own types.

use chrono::{DateTime, NaiveDate, Utc};
use pagopa_domain::model::{
    Anomaly, AnomalyCode, AnomalyDraft, AnomalyLinks, AnomalyStatus, BankCredit, CreditMatch, CreditReference,
    DayStatus, FetchState, FlowKey, FlowLine, FlowOrigin, FlowRevision, FlowStatus, FlowSummary, LineMatch,
    LineOutcome, Resolution, StatementFormat, StatementSummary, StoredCredit, Tally,
};
use pagopa_domain::services::RecoveryOutcome;
use pagopa_domain::{EnteId, demo};
use serde_json::{Value, json};

/// The example flow id.
pub(super) const FLOW: &str = "2026-11-25ABI03069-0001";
/// The example PSP.
pub(super) const PSP: &str = "ABI03069";

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap_or_default()
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap_or_default()
}

fn comune() -> Option<EnteId> {
    demo::COMUNE.parse().ok()
}

fn key() -> Option<FlowKey> {
    Some(FlowKey {
        ente: comune()?,
        psp: PSP.parse().ok()?,
        flow_id: FLOW.parse().ok()?,
    })
}

fn revision() -> Option<FlowRevision> {
    let tari = &demo::tari().options[0];
    Some(FlowRevision {
        key: key()?,
        revision: 1,
        psp_name: Some("Banca Esempio S.p.A.".into()),
        flow_date: at("2026-11-26T08:00:00Z"),
        published_at: Some(at("2026-11-26T08:05:00Z")),
        regulation: "SCT-03069-20261126-0001".into(),
        regulation_date: day("2026-11-26"),
        bic: None,
        declared_count: 1,
        declared_total_cents: tari.amount.cents() as i64,
        lines: vec![FlowLine {
            index: 1,
            iuv: tari.notice_number.iuv().to_string(),
            iur: "c2e0f1a4b5d6".into(),
            transfer_id: Some(1),
            amount_cents: tari.amount.cents() as i64,
            outcome: LineOutcome::Executed,
            outcome_date: day("2026-11-25"),
        }],
    })
}

fn summary(status: FlowStatus) -> Option<FlowSummary> {
    let mut summary = FlowSummary::of(&revision()?, FlowOrigin::Rest, true, at("2026-11-26T09:00:00Z"));
    summary.status = status;
    if status == FlowStatus::Cashed {
        summary.credit_id = Some(3);
    }
    Some(summary)
}

fn anomaly(status: AnomalyStatus) -> Option<Anomaly> {
    Some(Anomaly {
        id: 12,
        ente: comune()?,
        scope: format!("flow/{PSP}/{FLOW}"),
        draft: AnomalyDraft {
            code: AnomalyCode::AmountDiffers,
            key: format!("flow/{PSP}/{FLOW}/1"),
            day: day("2026-11-25"),
            psp: PSP.parse().ok(),
            amount_cents: Some(100),
            links: AnomalyLinks {
                iuv: Some(demo::tari().options[0].notice_number.iuv().to_string()),
                iur: Some("c2e0f1a4b5d6".into()),
                flow_id: FLOW.parse().ok(),
                flow_revision: Some(1),
                receipt_id: "c2e0f1a4b5d6".parse().ok(),
                credit_id: None,
            },
            detail: "payment 1: the flow reports 24670 cents, the receipt's transfer 1 is 24570 cents".into(),
        },
        status,
        first_seen: at("2026-11-26T09:00:00Z"),
        last_seen: at("2026-11-26T09:00:00Z"),
        resolution: (status == AnomalyStatus::Resolved).then(|| Resolution {
            by: "ragioneria".into(),
            at: at("2026-11-27T10:00:00Z"),
            note: "The PSP corrects the flow in revision 2.".into(),
        }),
    })
}

fn with_action(anomaly: Option<Anomaly>) -> Value {
    let action = anomaly.as_ref().map(|a| a.draft.code.action()).unwrap_or_default();
    let mut value = serde_json::to_value(anomaly).unwrap_or_default();
    value["action"] = json!(action);
    value
}

fn statement() -> Option<StatementSummary> {
    Some(StatementSummary {
        id: 2,
        ente: comune()?,
        format: StatementFormat::Camt053,
        digest: "5d41402abc4b2a76b9719d911017c592aa1b2c3d4e5f60718293a4b5c6d7e8f9".into(),
        statement_id: Some("EC-80012345676-2026-330".into()),
        credits: 1,
        total_cents: demo::tari().options[0].amount.cents() as i64,
        uploaded_at: at("2026-11-27T09:30:00Z"),
        uploaded_by: "ragioneria".into(),
    })
}

fn credit() -> Option<StoredCredit> {
    let remittance = format!("/PUR/LGPE-RIVERSAMENTO/URI/{FLOW}");
    Some(StoredCredit {
        id: 3,
        statement: 2,
        ente: comune()?,
        reference: CreditReference::parse(&remittance),
        credit: BankCredit {
            booking_date: day("2026-11-26"),
            value_date: Some(day("2026-11-26")),
            amount_cents: demo::tari().options[0].amount.cents() as i64,
            account: Some(demo::comune().bank_iban.to_string()),
            remittance,
            bank_reference: Some("0306912345678901".into()),
            debtor_name: Some("BANCA ESEMPIO SPA".into()),
        },
        matched: CreditMatch::Flow { key: key()? },
    })
}

fn to<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or_default()
}

/// The example request body and 2xx response of a reconciliation route, if it is one.
pub(super) fn operation(method: &str, path: &str) -> Option<(Option<Value>, Option<Value>)> {
    let sync = json!({ "opened": 1, "kept": 0, "cleared": 0 });
    Some(match (method, path) {
        ("post", "/api/v1/admin/entes/{ente}/flows") => (
            None,
            Some(
                json!({ "key": key().map(|k| to(&k)), "revision": 1, "stored": "new", "status": "anomalous",
                         "matched": 1, "anomalies": sync }),
            ),
        ),
        ("get", "/api/v1/admin/entes/{ente}/flows") => (
            None,
            Some(json!({ "items": [summary(FlowStatus::Cashed).map(|s| to(&s))] })),
        ),
        ("get", "/api/v1/admin/entes/{ente}/flows/{psp}/{flow}") => (
            None,
            Some(json!({
                "summary": summary(FlowStatus::Cashed).map(|s| to(&s)),
                "flow": revision().map(|r| to(&r)),
                "matches": [to(&LineMatch::Matched { receipt_id: "c2e0f1a4b5d6".parse().ok()? })],
                "revisions": [summary(FlowStatus::Cashed).map(|s| to(&s))],
            })),
        ),
        ("post", "/api/v1/admin/entes/{ente}/flows/fetch") => {
            (None, Some(json!({ "ente": demo::COMUNE, "started": true })))
        }
        ("get", "/api/v1/admin/entes/{ente}/flows/fetch") => (
            None,
            Some(to(&FetchState {
                ente: comune()?,
                cursor: Some(at("2026-11-26T08:05:00Z")),
                next_at: at("2026-11-26T10:00:00Z"),
                failures: 0,
                last_error: None,
                last_success: Some(at("2026-11-26T09:00:00Z")),
            })),
        ),
        ("post", "/api/v1/admin/entes/{ente}/bank-statements") => (
            None,
            Some(
                json!({ "statement": statement().map(|s| to(&s)), "duplicate": false, "flows": 1, "payments": 0,
                         "unmatched": 0, "anomalies": { "opened": 0, "kept": 0, "cleared": 0 } }),
            ),
        ),
        ("get", "/api/v1/admin/entes/{ente}/bank-statements") => {
            (None, Some(json!({ "items": [statement().map(|s| to(&s))] })))
        }
        ("get", "/api/v1/admin/entes/{ente}/bank-credits") => {
            (None, Some(json!({ "items": [credit().map(|c| to(&c))] })))
        }
        ("get", "/api/v1/admin/entes/{ente}/reconciliation") => {
            let cents = demo::tari().options[0].amount.cents() as i64;
            let tally = Tally { count: 1, cents };
            let status = DayStatus {
                day: day("2026-11-25"),
                receipts: tally,
                reported: tally,
                cashed: tally,
                anomalies: [("amount_differs".to_owned(), 1)].into_iter().collect(),
            };
            (
                None,
                Some(json!({ "ente": demo::COMUNE, "from": "2026-11-01", "to": "2026-11-30", "days": [to(&status)] })),
            )
        }
        ("get", "/api/v1/admin/entes/{ente}/reconciliation/anomalies") => (
            None,
            Some(json!({ "items": [with_action(anomaly(AnomalyStatus::Open))] })),
        ),
        ("get", "/api/v1/admin/entes/{ente}/reconciliation/anomalies/{id}") => {
            (None, Some(with_action(anomaly(AnomalyStatus::Open))))
        }
        ("post", "/api/v1/admin/entes/{ente}/reconciliation/anomalies/{id}/resolve") => (
            Some(json!({ "note": "The PSP corrects the flow in revision 2." })),
            Some(with_action(anomaly(AnomalyStatus::Resolved))),
        ),
        ("post", "/api/v1/admin/entes/{ente}/reconciliation/recover") => (
            None,
            Some(to(&RecoveryOutcome {
                waiting: 3,
                asked: 2,
                recovered: 1,
                not_found: 1,
                deferred: 1,
                rematched: 1,
                mismatched: Vec::new(),
                error: None,
            })),
        ),
        _ => return None,
    })
}
