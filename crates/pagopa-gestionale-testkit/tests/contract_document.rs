//! `docs/gestionale-api.yaml` is what the reference adapter sends and the fake gestionale
//! answers: every request the adapter makes matches a documented operation (and every
//! operation is made), its bodies carry the members the document requires, and so do the
//! fake's answers.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use pagopa_domain::demo;
use pagopa_domain::ports::Gestionale;
use pagopa_gestionale_http::dto::{PositionDto, PositionsDto, QuoteDto};
use pagopa_gestionale_http::{GestionaleHttp, GestionaleHttpSettings};
use pagopa_gestionale_testkit::FakeHttpGestionale;
use pagopa_gestionale_testkit::contract::{payment, quote};

fn document() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/gestionale-api.yaml")).unwrap()
}

/// The documented operations: (method, path template), read from the `paths:` section.
fn operations(document: &str) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    let mut path = None;
    let mut in_paths = false;
    for line in document.lines() {
        if !line.starts_with(' ') {
            in_paths = line == "paths:";
            continue;
        }
        if !in_paths {
            continue;
        }
        if let Some(template) = line.strip_prefix("  /").and_then(|l| l.strip_suffix(':')) {
            path = Some(format!("/{template}"));
        } else if let Some(method) = line.strip_prefix("    ").and_then(|l| l.strip_suffix(':'))
            && ["get", "post", "put", "delete"].contains(&method)
        {
            operations.insert((method.to_uppercase(), path.clone().unwrap()));
        }
    }
    operations
}

/// The `required` members of schema `name`.
fn required(document: &str, name: &str) -> Vec<String> {
    let header = format!("    {name}:");
    let mut lines = document.lines().skip_while(|l| *l != header).skip(1);
    let line = lines
        .find(|l| l.trim_start().starts_with("required:") || (!l.starts_with("      ") && !l.is_empty()))
        .unwrap_or_else(|| panic!("schema {name} not found"));
    let list = line.split_once('[').unwrap().1.trim_end_matches(']');
    list.split(',').map(|m| m.trim().to_owned()).collect()
}

fn matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| t.starts_with('{') || t == p)
}

fn has_members(value: &serde_json::Value, members: &[String], what: &str) {
    for member in members {
        assert!(
            value.get(member).is_some(),
            "{what} lacks the required member {member}: {value}"
        );
    }
}

#[test]
fn the_adapter_and_the_fake_follow_the_document() {
    pagopa_gestionale_testkit::contract::run(async {
        let document = document();
        let documented = operations(&document);
        assert_eq!(documented.len(), 6, "{documented:?}");

        let fake = FakeHttpGestionale::start();
        let backend = fake.backend();
        let comune = demo::comune();
        let debtor = demo::DEBTOR.parse().unwrap();
        backend.hold_positions(&comune.id, &debtor, vec![demo::tari()]);
        backend.hold_notice(&comune.id, demo::tari());
        backend.set_quote("PASSO-CARRABILE", quote());
        let adapter = GestionaleHttp::new(GestionaleHttpSettings {
            expirations: true,
            webhook_secret: Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()),
            ..GestionaleHttpSettings::new(fake.base_url())
        })
        .unwrap();
        adapter.debtor_positions(&comune, &debtor).await.unwrap();
        adapter
            .price(&pagopa_domain::ports::PricingRequest {
                ente: comune.id.clone(),
                service: "PASSO-CARRABILE".parse().unwrap(),
                debtor: None,
                values: Default::default(),
            })
            .await
            .unwrap();
        adapter.notify_payment(&payment("doc-1")).await.unwrap();
        let expiry = pagopa_domain::ExpiryNotification {
            ente: comune.id.clone(),
            iupd: "TARI-2026-4711".parse().unwrap(),
            notices: vec![demo::tari().options[0].notice_number.clone()],
            last_due_date: chrono::NaiveDate::from_ymd_opt(2026, 12, 16).unwrap(),
            expired_at: chrono::DateTime::UNIX_EPOCH,
        };
        adapter.notify_expiry(&expiry).await.unwrap();
        let cancellation = pagopa_domain::CancellationNotification {
            ente: comune.id.clone(),
            iupd: "TARI-2026-4711".parse().unwrap(),
            notices: vec![demo::tari().options[0].notice_number.clone()],
            cancelled_at: chrono::DateTime::UNIX_EPOCH,
        };
        adapter.notify_cancellation(&cancellation).await.unwrap();
        adapter
            .notice(&comune, &demo::tari().options[0].notice_number)
            .await
            .unwrap();

        let seen = fake.seen();
        let mut used = BTreeSet::new();
        for request in &seen {
            let operation = documented
                .iter()
                .find(|(method, template)| *method == request.method && matches(template, &request.path))
                .unwrap_or_else(|| panic!("{} {} is not in the document", request.method, request.path));
            used.insert(operation.clone());
            if request.path.ends_with("/payments") {
                has_members(
                    request.body.as_ref().unwrap(),
                    &required(&document, "PaymentNotification"),
                    "a payment",
                );
                assert!(
                    request.idempotency_key.is_some(),
                    "the document requires Idempotency-Key"
                );
            }
            if request.path.ends_with("/expirations") {
                has_members(
                    request.body.as_ref().unwrap(),
                    &required(&document, "ExpiryNotification"),
                    "an expiry",
                );
            }
            if request.path.ends_with("/cancellations") {
                has_members(
                    request.body.as_ref().unwrap(),
                    &required(&document, "CancellationNotification"),
                    "a cancellation",
                );
            }
            if request.path.ends_with("/pricing") {
                has_members(
                    request.body.as_ref().unwrap(),
                    &required(&document, "PricingRequest"),
                    "a pricing request",
                );
            }
        }
        assert_eq!(used, documented, "every documented operation is made by the adapter");

        // The fake's answers (the reference DTOs) carry what the document requires.
        let position = serde_json::to_value(PositionDto::from_draft(&demo::tari())).unwrap();
        has_members(&position, &required(&document, "Position"), "a position");
        has_members(&position["options"][0], &required(&document, "Option"), "an option");
        has_members(
            &position["options"][0]["transfers"][0],
            &required(&document, "Transfer"),
            "a transfer",
        );
        has_members(&position["debtor"], &required(&document, "Debtor"), "a debtor");
        let positions = serde_json::to_value(PositionsDto::from_drafts(&[demo::tari()])).unwrap();
        has_members(&positions, &required(&document, "Positions"), "positions");
        let quoted = serde_json::to_value(QuoteDto::from_quote(&quote())).unwrap();
        has_members(&quoted, &required(&document, "Quote"), "a quote");
    });
}
