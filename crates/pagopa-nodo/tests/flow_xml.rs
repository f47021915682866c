//! The `FlussoRiversamento` codec against the official `FlussoRiversamento_1_0_4.xsd`, with
//! `xmllint --schema`: what [`encode`] writes validates, and the harness rejects what the schema
//! rejects. Skipped with a notice without xmllint, unless `PAGOPA_REQUIRE_EXTERNAL=1`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{NaiveDate, TimeZone, Utc};
use common::{fixture, require_xmllint, xmllint_against};
use pagopa_domain::model::{FlowLine, FlowRevision, LineOutcome};
use pagopa_nodo::flow_xml::{decode, encode};

const XSD: &str = "pagopa-api/xsd-common/FlussoRiversamento_1_0_4.xsd";

fn sample() -> String {
    fixture("samples/FlussoRiversamento.xml")
}

/// A flow as the REST API may give it: every outcome, no optional element, many lines.
fn from_rest() -> FlowRevision {
    let mut flow = decode(sample().as_bytes()).unwrap();
    flow.revision = 4;
    flow.psp_name = Some("PS".into());
    flow.bic = None;
    flow.published_at = Some(Utc.with_ymd_and_hms(2025, 1, 9, 10, 0, 0).unwrap());
    flow.flow_date = Utc.with_ymd_and_hms(2025, 7, 1, 0, 0, 0).unwrap() + chrono::Duration::microseconds(1);
    flow.lines = (1..=1200)
        .map(|n| {
            let outcome = LineOutcome::ALL[n as usize % 5];
            FlowLine {
                index: n,
                iuv: format!("{n:017}"),
                iur: format!("IUR-{n}_x"),
                transfer_id: (n % 3 != 0).then_some((n % 5 + 1) as u8),
                amount_cents: if outcome == LineOutcome::Revoked {
                    -(n as i64)
                } else {
                    n as i64 * 101
                },
                outcome,
                outcome_date: NaiveDate::from_ymd_opt(2025, 1, 7).unwrap(),
            }
        })
        .collect();
    flow.declared_count = 1200;
    flow.declared_total_cents = flow.lines_total_cents();
    flow
}

#[test]
fn what_encode_writes_is_valid_against_the_schema() {
    let flow = decode(sample().as_bytes()).unwrap();
    let rest = from_rest();
    let documents = vec![
        ("the sample".to_owned(), sample()),
        ("the sample, encoded".to_owned(), encode(&flow)),
        ("a REST flow, encoded".to_owned(), encode(&rest)),
    ];
    // Round trips, whatever xmllint says (revision and publication are not in the XML).
    assert_eq!(decode(documents[1].1.as_bytes()).unwrap(), flow);
    let back = decode(documents[2].1.as_bytes()).unwrap();
    assert_eq!((back.lines.len(), back.revision, back.psp_name), (1200, 1, None));
    assert_eq!(back.lines, rest.lines);

    let Some(results) = xmllint_against(XSD, &documents) else {
        require_xmllint();
        return;
    };
    for (label, ok, stderr) in &results {
        assert!(
            ok,
            "{label} is not valid against FlussoRiversamento_1_0_4.xsd: {stderr}"
        );
    }
}

#[test]
fn the_validation_harness_rejects_what_the_schema_rejects() {
    let broken = [
        (
            "no versioneOggetto",
            sample().replace("<pay_i:versioneOggetto>1.0</pay_i:versioneOggetto>", ""),
        ),
        (
            "outcome 1",
            sample().replace(
                ">9</pay_i:codiceEsitoSingoloPagamento>",
                ">1</pay_i:codiceEsitoSingoloPagamento>",
            ),
        ),
        ("a signed amount", sample().replace(">10.00<", ">-10.00<")),
    ];
    for (label, document) in &broken {
        assert!(decode(document.as_bytes()).is_err(), "decode took {label}");
    }
    let documents: Vec<(String, String)> = broken.iter().map(|(l, d)| (l.to_string(), d.clone())).collect();
    let Some(results) = xmllint_against(XSD, &documents) else {
        require_xmllint();
        return;
    };
    for (label, ok, _) in &results {
        assert!(!ok, "{label} must not validate");
    }
}
