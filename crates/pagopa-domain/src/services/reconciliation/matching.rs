//! The matching rules, as pure functions: a flow's lines against the receipts, a revision
//! against the one it replaces, bank credits against flows and payments.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use crate::model::{
    AnomalyCode, AnomalyDraft, AnomalyLinks, CreditMatch, CreditReference, FlowKey, FlowRevision, FlowStatus,
    FlowSummary, LineMatch, StoredCredit, StoredReceipt,
};
use crate::value::{EnteId, Iuv, NoticeLayout};

/// What matching one revision found.
#[derive(Debug)]
pub(super) struct FlowMatching {
    /// One per line, in line order.
    pub matches: Vec<LineMatch>,
    /// The revision's status.
    pub status: FlowStatus,
    /// What does not add up.
    pub anomalies: Vec<AnomalyDraft>,
}

/// Whether an IUV cannot be one of the Ente's: not an IUV in form, or numeric and not of the
/// length (and, for aux digit 3, the segregation code) the Ente's notice layout gives. `RF`
/// creditor references are taken as the Ente's (modello 1 payments may use them).
pub(super) fn is_foreign_iuv(iuv: &str, layout: NoticeLayout) -> bool {
    let Ok(iuv) = iuv.parse::<Iuv>() else {
        return true;
    };
    if !iuv.is_numeric() {
        return false;
    }
    let digits = iuv.as_str();
    match layout {
        NoticeLayout::Aux0 { .. } => digits.len() != 15,
        NoticeLayout::Aux1 | NoticeLayout::Aux2 => digits.len() != 17,
        NoticeLayout::Aux3 { segregation_code } => {
            digits.len() != 17 || digits.get(..2) != Some(format!("{segregation_code:02}").as_str())
        }
    }
}

fn line_key(key: &FlowKey, index: u32) -> String {
    format!("flow/{}/{}/{index}", key.psp, key.flow_id)
}

/// The amount a receipt gives the transfer a line reports: the transfer with the line's index
/// or, without one, the sum of the receipt's transfers to the Ente.
fn receipt_cents(receipt: &StoredReceipt, ente: &EnteId, transfer_id: Option<u8>) -> Option<i64> {
    let transfers = &receipt.receipt.transfers;
    match transfer_id {
        Some(id) => transfers
            .iter()
            .find(|transfer| transfer.id == id)
            .map(|transfer| transfer.amount.cents() as i64),
        None => {
            let mine: Vec<i64> = transfers
                .iter()
                .filter(|transfer| &transfer.ente == ente)
                .map(|transfer| transfer.amount.cents() as i64)
                .collect();
            (!mine.is_empty()).then(|| mine.iter().sum())
        }
    }
}

/// The receipt a line reports, among those of its IUV: the one whose id is the line's IUR
/// (the confirmation); else, since some PSPs send another IUR, the one whose transfer with the
/// line's index has the line's amount and was paid within a day of the line's date, not yet
/// taken by another line; else, so that the difference is listed, the first of the IUV. Never
/// a receipt of another IUV, whatever its IUR.
fn pick_receipt<'a>(
    line: &crate::model::FlowLine,
    ente: &EnteId,
    candidates: Option<&Vec<&'a StoredReceipt>>,
    taken: &HashSet<(&str, Option<u8>)>,
) -> Option<&'a StoredReceipt> {
    let candidates = candidates?;
    if let Some(confirmed) = candidates.iter().find(|r| r.receipt.receipt_id.as_str() == line.iur) {
        return Some(confirmed);
    }
    let free = |r: &&&StoredReceipt| !taken.contains(&(r.receipt.receipt_id.as_str(), line.transfer_id));
    let fallback = candidates.iter().filter(free).find(|r| {
        let paid = crate::model::calendar::italian_date(r.receipt.paid_at());
        receipt_cents(r, ente, line.transfer_id) == Some(line.amount_cents)
            && (paid - line.outcome_date).num_days().abs() <= 1
    });
    fallback.or_else(|| candidates.iter().find(free)).copied()
}

/// Matches every line of `flow` against `receipts` (those of the Ente for the lines' IUVs).
pub(super) fn match_flow(flow: &FlowRevision, layout: NoticeLayout, receipts: &[StoredReceipt]) -> FlowMatching {
    let mut by_iuv: HashMap<&str, Vec<&StoredReceipt>> = HashMap::with_capacity(receipts.len());
    for stored in receipts {
        by_iuv
            .entry(stored.receipt.creditor_reference_id.as_str())
            .or_default()
            .push(stored);
    }
    // Each receipt's transfer reported once: a second line cannot take it by the fallback.
    let mut taken: HashSet<(&str, Option<u8>)> = HashSet::with_capacity(flow.lines.len());
    let key = &flow.key;
    let mut seen = HashSet::with_capacity(flow.lines.len());
    let mut matches = Vec::with_capacity(flow.lines.len());
    let mut anomalies = Vec::new();
    for line in &flow.lines {
        let links = AnomalyLinks {
            iuv: Some(line.iuv.clone()),
            iur: Some(line.iur.clone()),
            flow_id: Some(key.flow_id.clone()),
            flow_revision: Some(flow.revision),
            receipt_id: None,
            credit_id: None,
        };
        let mut anomaly = |code: AnomalyCode, amount: Option<i64>, detail: String, receipt: Option<&StoredReceipt>| {
            let mut links = links.clone();
            links.receipt_id = receipt.map(|stored| stored.receipt.receipt_id.clone());
            let day = receipt
                .map(|stored| crate::model::calendar::italian_date(stored.receipt.paid_at()))
                .unwrap_or(line.outcome_date);
            anomalies.push(AnomalyDraft {
                code,
                key: line_key(key, line.index),
                day,
                psp: Some(key.psp.clone()),
                amount_cents: amount,
                links,
                detail,
            });
        };
        let receipt = pick_receipt(line, &key.ente, by_iuv.get(line.iuv.as_str()), &taken);
        if let Some(stored) = receipt {
            taken.insert((stored.receipt.receipt_id.as_str(), line.transfer_id));
        }
        // A revocation repeats the key of the payment it revokes: that is no duplicate.
        let revocation = line.outcome == crate::model::LineOutcome::Revoked;
        let found = if !seen.insert((line.key(), revocation)) {
            anomaly(
                AnomalyCode::DuplicateLine,
                Some(line.amount_cents),
                format!(
                    "payment {}: IUV {}, IUR {} and transfer {} are listed earlier in the flow",
                    line.index,
                    line.iuv,
                    line.iur,
                    line.transfer_id.map_or("-".into(), |id| id.to_string())
                ),
                receipt,
            );
            LineMatch::Duplicate
        } else if line.outcome == crate::model::LineOutcome::Revoked {
            anomaly(
                AnomalyCode::RevokedPayment,
                Some(line.amount_cents),
                format!(
                    "payment {}: the PSP revoked the payment of IUV {} (IUR {}), {} cents",
                    line.index, line.iuv, line.iur, line.amount_cents
                ),
                receipt,
            );
            LineMatch::Revoked
        } else if let Some(stored) = receipt {
            let receipt_id = stored.receipt.receipt_id.clone();
            match receipt_cents(stored, &key.ente, line.transfer_id) {
                Some(cents) if cents == line.amount_cents => LineMatch::Matched { receipt_id },
                cents => {
                    let receipt_cents = cents.unwrap_or(0);
                    let detail = match cents {
                        Some(cents) => format!(
                            "payment {}: the flow reports {} cents, the receipt's transfer {} is {cents} cents",
                            line.index,
                            line.amount_cents,
                            line.transfer_id.map_or("to the Ente".into(), |id| id.to_string())
                        ),
                        None => format!(
                            "payment {}: the receipt has no transfer {}",
                            line.index,
                            line.transfer_id.map_or("to the Ente".into(), |id| id.to_string())
                        ),
                    };
                    anomaly(
                        AnomalyCode::AmountDiffers,
                        Some(line.amount_cents - receipt_cents),
                        detail,
                        Some(stored),
                    );
                    LineMatch::AmountDiffers {
                        receipt_id,
                        receipt_cents,
                    }
                }
            }
        } else if line.outcome.without_receipt() {
            anomaly(
                AnomalyCode::ExecutedWithoutReceipt,
                Some(line.amount_cents),
                format!(
                    "payment {}: IUV {} was collected without a receipt (code {}), {} cents",
                    line.index,
                    line.iuv,
                    line.outcome.code(),
                    line.amount_cents
                ),
                None,
            );
            LineMatch::WithoutReceipt
        } else if is_foreign_iuv(&line.iuv, layout) {
            anomaly(
                AnomalyCode::ForeignIuv,
                Some(line.amount_cents),
                format!(
                    "payment {}: IUV {} is not of this Ente's notice layout (another intermediary's payment)",
                    line.index, line.iuv
                ),
                None,
            );
            LineMatch::ForeignIuv
        } else {
            anomaly(
                AnomalyCode::LineWithoutReceipt,
                Some(line.amount_cents),
                format!(
                    "payment {}: no receipt {} for IUV {} is stored",
                    line.index, line.iur, line.iuv
                ),
                None,
            );
            LineMatch::Missing
        };
        matches.push(found);
    }
    if !flow.totals_match() {
        anomalies.push(AnomalyDraft {
            code: AnomalyCode::FlowTotalsMismatch,
            key: format!("flow/{}/{}", key.psp, key.flow_id),
            day: flow.regulation_date,
            psp: Some(key.psp.clone()),
            amount_cents: Some(flow.declared_total_cents - flow.lines_total_cents()),
            links: AnomalyLinks {
                flow_id: Some(key.flow_id.clone()),
                flow_revision: Some(flow.revision),
                ..AnomalyLinks::default()
            },
            detail: format!(
                "the flow declares {} payments for {} cents; its lines are {} for {} cents",
                flow.declared_count,
                flow.declared_total_cents,
                flow.lines.len(),
                flow.lines_total_cents()
            ),
        });
    }
    let status = if anomalies.is_empty() {
        FlowStatus::Reconciled
    } else {
        FlowStatus::Anomalous
    };
    FlowMatching {
        matches,
        status,
        anomalies,
    }
}

/// The anomaly of a new revision that changes the lines of one already reconciled (or cashed),
/// if it does.
pub(super) fn revision_change(
    previous: &FlowRevision,
    previous_status: FlowStatus,
    current: &FlowRevision,
) -> Option<AnomalyDraft> {
    if !matches!(previous_status, FlowStatus::Reconciled | FlowStatus::Cashed) {
        return None;
    }
    let before: HashSet<_> = previous
        .lines
        .iter()
        .map(|line| (line.key(), line.amount_cents, line.outcome))
        .collect();
    let after: HashSet<_> = current
        .lines
        .iter()
        .map(|line| (line.key(), line.amount_cents, line.outcome))
        .collect();
    let removed = before.difference(&after).count();
    let added = after.difference(&before).count();
    if removed == 0 && added == 0 && previous.declared_total_cents == current.declared_total_cents {
        return None;
    }
    let key = &current.key;
    Some(AnomalyDraft {
        code: AnomalyCode::RevisionChangedReconciled,
        key: format!("revision/{}/{}/{}", key.psp, key.flow_id, current.revision),
        day: current.regulation_date,
        psp: Some(key.psp.clone()),
        amount_cents: Some(current.lines_total_cents() - previous.lines_total_cents()),
        links: AnomalyLinks {
            flow_id: Some(key.flow_id.clone()),
            flow_revision: Some(current.revision),
            ..AnomalyLinks::default()
        },
        detail: format!(
            "revision {} replaces revision {}, which was {}: {added} line(s) added or changed, {removed} removed, \
             total {} → {} cents",
            current.revision,
            previous.revision,
            previous_status.as_str(),
            previous.lines_total_cents(),
            current.lines_total_cents()
        ),
    })
}

/// What matching a statement's credits found.
#[derive(Debug, Default)]
pub(super) struct CreditMatching {
    /// Per credit id.
    pub matches: Vec<(u64, CreditMatch)>,
    /// What does not add up.
    pub anomalies: Vec<AnomalyDraft>,
}

/// Matches credits to the current flows they name and to the receipts of the IUVs they name.
/// A flow is taken by one credit only: the first in id order whose amount is the flow's.
pub(super) fn match_credits(
    credits: &[StoredCredit],
    flows: &[FlowSummary],
    receipts: &[StoredReceipt],
) -> CreditMatching {
    let mut by_flow: HashMap<&str, Vec<&FlowSummary>> = HashMap::new();
    for flow in flows {
        by_flow.entry(flow.key.flow_id.as_str()).or_default().push(flow);
    }
    let mut by_iuv: HashMap<&str, Vec<&StoredReceipt>> = HashMap::new();
    for stored in receipts {
        by_iuv
            .entry(stored.receipt.creditor_reference_id.as_str())
            .or_default()
            .push(stored);
    }
    let mut taken: HashSet<FlowKey> = HashSet::new();
    let mut out = CreditMatching::default();
    for stored in credits {
        let credit = &stored.credit;
        let mut anomaly = |code: AnomalyCode, links: AnomalyLinks, detail: String, day: NaiveDate| {
            out.anomalies.push(AnomalyDraft {
                code,
                key: format!("credit/{}", stored.id),
                day,
                psp: None,
                amount_cents: Some(credit.amount_cents),
                links: AnomalyLinks {
                    credit_id: Some(stored.id),
                    ..links
                },
                detail,
            });
        };
        let found = match &stored.reference {
            CreditReference::Flow(flow_id) => {
                let candidates = by_flow.get(flow_id.as_str()).map(Vec::as_slice).unwrap_or_default();
                let exact = candidates
                    .iter()
                    .find(|flow| flow.lines_total_cents == credit.amount_cents && !taken.contains(&flow.key));
                match (exact, candidates.first()) {
                    (Some(flow), _) => {
                        taken.insert(flow.key.clone());
                        CreditMatch::Flow { key: flow.key.clone() }
                    }
                    (None, Some(flow)) => {
                        anomaly(
                            AnomalyCode::CreditAmountDiffers,
                            AnomalyLinks {
                                flow_id: Some(flow.key.flow_id.clone()),
                                flow_revision: Some(flow.revision),
                                ..AnomalyLinks::default()
                            },
                            format!(
                                "the credit of {} cents on {} names flow {}, whose payments total {} cents",
                                credit.amount_cents, credit.booking_date, flow_id, flow.lines_total_cents
                            ),
                            credit.booking_date,
                        );
                        CreditMatch::FlowAmountDiffers {
                            key: flow.key.clone(),
                            flow_cents: flow.lines_total_cents,
                        }
                    }
                    (None, None) => {
                        anomaly(
                            AnomalyCode::CreditUnmatched,
                            AnomalyLinks {
                                flow_id: Some(flow_id.clone()),
                                ..AnomalyLinks::default()
                            },
                            format!(
                                "the credit of {} cents on {} names flow {flow_id}, which has not been received",
                                credit.amount_cents, credit.booking_date
                            ),
                            credit.booking_date,
                        );
                        CreditMatch::Unmatched
                    }
                }
            }
            CreditReference::Iuv(iuv) => {
                let found = by_iuv.get(iuv.as_str()).and_then(|candidates| {
                    candidates
                        .iter()
                        .find(|receipt| receipt.receipt.amount.cents() as i64 == credit.amount_cents)
                });
                match found {
                    Some(receipt) => CreditMatch::Payment {
                        receipt_id: receipt.receipt.receipt_id.clone(),
                    },
                    None => {
                        anomaly(
                            AnomalyCode::CreditUnmatched,
                            AnomalyLinks {
                                iuv: Some(iuv.clone()),
                                ..AnomalyLinks::default()
                            },
                            format!(
                                "the credit of {} cents on {} names IUV {iuv}, with no receipt of that amount",
                                credit.amount_cents, credit.booking_date
                            ),
                            credit.booking_date,
                        );
                        CreditMatch::Unmatched
                    }
                }
            }
            CreditReference::None => {
                anomaly(
                    AnomalyCode::CreditUnmatched,
                    AnomalyLinks::default(),
                    format!(
                        "the credit of {} cents on {} names no flow and no payment: \"{}\"",
                        credit.amount_cents, credit.booking_date, credit.remittance
                    ),
                    credit.booking_date,
                );
                CreditMatch::Unmatched
            }
        };
        out.matches.push((stored.id, found));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_iuvs_are_those_not_of_the_layout() {
        let aux3 = NoticeLayout::Aux3 { segregation_code: 5 };
        assert!(!is_foreign_iuv("05260100000471130", aux3));
        assert!(is_foreign_iuv("07260100000471130", aux3), "another segregation code");
        assert!(is_foreign_iuv("052601000004711", aux3), "15 digits");
        assert!(is_foreign_iuv("not an iuv", aux3));
        assert!(
            !is_foreign_iuv("RF18539007547034", aux3),
            "creditor references may be ours"
        );
        assert!(!is_foreign_iuv(
            "260100000471130",
            NoticeLayout::Aux0 { application_code: 1 }
        ));
        assert!(is_foreign_iuv(
            "05260100000471130",
            NoticeLayout::Aux0 { application_code: 1 }
        ));
        assert!(!is_foreign_iuv("05260100000471130", NoticeLayout::Aux2));
    }
}
