//! Shared fixtures: the instants and days, a flow key, a flow revision with its lines, its raw
//! documents, a bank statement.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use pagopa_domain::*;

use crate::support::comune;

pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
}

pub(crate) fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

pub(crate) fn key(flow: &str) -> FlowKey {
    FlowKey {
        ente: comune(),
        psp: "ABI03069".parse().unwrap(),
        flow_id: flow.parse().unwrap(),
    }
}

pub(crate) fn rid(n: u32) -> String {
    format!("{n:032x}")
}

pub(crate) fn flow(flow_id: &str, revision: u32, lines: usize) -> FlowRevision {
    let lines: Vec<FlowLine> = (0..lines)
        .map(|i| FlowLine {
            index: i as u32 + 1,
            iuv: format!("IUV{i:015}"),
            iur: rid(i as u32 + 1),
            transfer_id: Some(1),
            amount_cents: 1000,
            outcome: LineOutcome::Executed,
            outcome_date: day(24),
        })
        .collect();
    FlowRevision {
        key: key(flow_id),
        revision,
        psp_name: Some("Banca".into()),
        flow_date: t0(),
        published_at: None,
        regulation: "TRN1".into(),
        regulation_date: day(25),
        bic: None,
        declared_count: lines.len() as u64,
        declared_total_cents: 1000 * lines.len() as i64,
        lines,
    }
}

pub(crate) fn raw() -> Vec<RawDocument> {
    vec![
        RawDocument {
            part: "header".into(),
            media_type: "application/json".into(),
            body: "{}".into(),
        },
        RawDocument {
            part: "payments-1".into(),
            media_type: "application/json".into(),
            body: "[]".into(),
        },
    ]
}

pub(crate) fn statement(digest: &str, flow_id: &str) -> BankStatement {
    let credit = |remittance: &str, cents| BankCredit {
        booking_date: day(26),
        value_date: None,
        amount_cents: cents,
        account: None,
        remittance: remittance.into(),
        bank_reference: None,
        debtor_name: None,
    };
    BankStatement {
        ente: comune(),
        format: StatementFormat::Csv,
        digest: digest.into(),
        statement_id: None,
        credits: vec![
            credit(&format!("/PUR/LGPE-RIVERSAMENTO/URI/{flow_id}"), 3000),
            credit("/RFS/RF18539007547034/100.00", 10000),
            credit("STIPENDIO", 5),
        ],
        raw: "csv".into(),
    }
}
