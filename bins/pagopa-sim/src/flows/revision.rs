//! The anomalies a publication may carry, and the next revision of a flow.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use pagopa_domain::model::{FlowLine, LineOutcome};

use super::{FlowsError, PublishedRevision};

/// What a flow may get wrong, on purpose (each applied once per flow).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anomaly {
    /// An extra line, code 9: a payment without receipt (a new IUV with the flow's segregation
    /// code, a new random IUR).
    NoReceipt,
    /// An extra line, code 8: executed in Stand-In without receipt.
    StandInNoReceipt,
    /// An extra line, code 3: the revocation (negative amount) of the flow's first payment.
    Revoked,
    /// The first line again.
    Duplicate,
    /// The declared total 1.00 above the lines'.
    WrongTotal,
    /// An extra line whose IUV belongs to another intermediary (segregation code 99).
    ForeignIuv,
    /// The first line's amount 1.00 above the receipt's.
    WrongAmount,
    /// The last receipt left out: a receipt without flow.
    DropReceipt,
    /// A new revision (revision + 1, one line changed) of every flow of the day already
    /// published: it corrects a line whose amount differs from its receipt, else raises the
    /// first line by 1.00.
    NewRevision,
}

/// The segregation code of the foreign IUVs: 99 is an intermediary's, never an Ente's
/// (Enti get 00 to 49).
const FOREIGN_SEGREGATION: &str = "99";

/// A fresh IUR (32 hex digits) for a line without a receipt.
fn fresh_iur() -> Result<String, FlowsError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| FlowsError::Random(e.to_string()))?;
    Ok(hex::encode(bytes))
}

/// A fresh IUV of `digits` digits after `prefix`.
fn fresh_iuv(prefix: &str, digits: usize) -> Result<String, FlowsError> {
    let mut bytes = vec![0u8; digits];
    getrandom::fill(&mut bytes).map_err(|e| FlowsError::Random(e.to_string()))?;
    Ok(prefix
        .chars()
        .chain(bytes.iter().map(|b| char::from(b'0' + b % 10)))
        .collect())
}

/// Puts `anomalies` into a new revision, then numbers the lines and declares the totals (the
/// lines', unless [`Anomaly::WrongTotal`]). Returns a note per anomaly.
pub(super) fn apply(
    published: &mut PublishedRevision,
    anomalies: &[Anomaly],
    now: DateTime<Utc>,
) -> Result<Vec<String>, FlowsError> {
    let mut notes = Vec::new();
    let day = published.day;
    let extra = |iuv: String, iur: String, amount_cents: i64, outcome: LineOutcome| FlowLine {
        index: 0,
        iuv,
        iur,
        transfer_id: Some(1),
        amount_cents,
        outcome,
        outcome_date: day,
    };
    // First, so that it drops a receipt's own line, never an added one; and never the only line.
    if anomalies.contains(&Anomaly::DropReceipt) && published.flow.lines.len() > 1 {
        let lines = &mut published.flow.lines;
        let dropped = lines.remove(lines.len() - 1);
        published.pay_dates.pop();
        notes.push(format!(
            "DropReceipt: IUV {} IUR {} not in the flow",
            dropped.iuv, dropped.iur
        ));
    }
    // The Ente's own IUVs (17 digits in layouts 1 to 3) start with its segregation code: an
    // invented payment of the Ente's takes the flow's, a foreign one another.
    let own_prefix: String = published
        .flow
        .lines
        .first()
        .filter(|l| l.iuv.len() == 17 && l.iuv.bytes().all(|b| b.is_ascii_digit()))
        .map_or_else(|| "00".to_owned(), |l| l.iuv[..2].to_owned());
    let mut wrong_total = false;
    for anomaly in anomalies {
        let lines = &mut published.flow.lines;
        let dates = &mut published.pay_dates;
        match anomaly {
            Anomaly::NoReceipt | Anomaly::StandInNoReceipt => {
                let outcome = if *anomaly == Anomaly::NoReceipt {
                    LineOutcome::NoReceipt
                } else {
                    LineOutcome::StandInNoReceipt
                };
                let line = extra(fresh_iuv(&own_prefix, 15)?, fresh_iur()?, 1_000, outcome);
                notes.push(format!(
                    "{anomaly:?}: IUV {} IUR {} (code {})",
                    line.iuv,
                    line.iur,
                    outcome.code()
                ));
                lines.push(line);
                dates.push(now);
            }
            Anomaly::Revoked => {
                if let Some(first) = lines.first().cloned() {
                    notes.push(format!("Revoked: IUV {} IUR {}", first.iuv, first.iur));
                    lines.push(FlowLine {
                        amount_cents: -first.amount_cents,
                        outcome: LineOutcome::Revoked,
                        ..first
                    });
                    dates.push(now);
                }
            }
            Anomaly::Duplicate => {
                if let (Some(first), Some(at)) = (lines.first().cloned(), dates.first().copied()) {
                    notes.push(format!("Duplicate: IUV {} IUR {}", first.iuv, first.iur));
                    lines.push(first);
                    dates.push(at);
                }
            }
            Anomaly::WrongTotal => wrong_total = true,
            Anomaly::ForeignIuv => {
                let line = extra(
                    fresh_iuv(FOREIGN_SEGREGATION, 15)?,
                    fresh_iur()?,
                    2_500,
                    LineOutcome::Executed,
                );
                notes.push(format!("ForeignIuv: IUV {} IUR {}", line.iuv, line.iur));
                lines.push(line);
                dates.push(now);
            }
            Anomaly::WrongAmount => {
                if let Some(first) = lines.first_mut() {
                    first.amount_cents += 100;
                    notes.push(format!(
                        "WrongAmount: IUR {} at {} cents",
                        first.iur, first.amount_cents
                    ));
                }
            }
            Anomaly::DropReceipt | Anomaly::NewRevision => {}
        }
    }
    declare(published, wrong_total);
    if wrong_total {
        notes.push(format!(
            "WrongTotal: declared {} cents, lines {}",
            published.flow.declared_total_cents,
            published.flow.lines_total_cents()
        ));
    }
    Ok(notes)
}

/// Numbers the lines from 1 and declares their count and total (plus 1.00 when `wrong`).
fn declare(published: &mut PublishedRevision, wrong: bool) {
    let flow = &mut published.flow;
    for (n, line) in flow.lines.iter_mut().enumerate() {
        line.index = u32::try_from(n + 1).unwrap_or(u32::MAX);
    }
    flow.declared_count = flow.lines.len() as u64;
    flow.declared_total_cents = flow.lines_total_cents() + if wrong { 100 } else { 0 };
}

/// Revision + 1 of `last`: the first line whose amount differs from its receipt's is
/// corrected, else the first line is raised by 1.00; totals declared from the lines.
pub(super) fn next_revision(
    last: &PublishedRevision,
    sent: &BTreeMap<(String, u8), i64>,
    now: DateTime<Utc>,
) -> (PublishedRevision, String) {
    let mut next = last.clone();
    next.flow.revision += 1;
    next.flow.flow_date = now;
    next.flow.published_at = Some(now);
    let wrong = next.flow.lines.iter_mut().find_map(|line| {
        let sent = sent.get(&(line.iur.clone(), line.transfer_id.unwrap_or(1)))?;
        (line.outcome != LineOutcome::Revoked && *sent != line.amount_cents).then_some((line, *sent))
    });
    let note = match wrong {
        Some((line, amount)) => {
            line.amount_cents = amount;
            format!("NewRevision: line {} corrected to {amount} cents", line.index)
        }
        None => match next.flow.lines.first_mut() {
            Some(line) => {
                line.amount_cents += 100;
                format!("NewRevision: line {} raised to {} cents", line.index, line.amount_cents)
            }
            None => "NewRevision: no line to change".to_owned(),
        },
    };
    declare(&mut next, false);
    (next, note)
}
