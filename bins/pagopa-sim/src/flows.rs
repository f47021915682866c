//! Reconciliation flows (FdR) as the PSP publishes them: built from the receipts the
//! simulator sent, with anomalies on demand, and served over the FdR organization REST API.
//!
//! - [`FlowDesk`] records every receipt sent ([`FlowDesk::record`]) and publishes the flows
//!   of an operating day ([`FlowDesk::publish`]): one flow per (PSP, receiving Ente, day of
//!   payment), flow id `<YYYY-MM-DD><idPSP>-<seq>` (`seq` four digits, from `0001` per PSP and
//!   day), one line per transfer to that Ente (IUV = `creditorReferenceId`, IUR = `receiptId`,
//!   `idTransfer`, the transfer's amount, `EXECUTED` or `STAND_IN`), regulation `TRN…`, dated
//!   the day after (or the request's `regulation_date`). A receipt is in one flow only: publishing a day again publishes only the
//!   receipts sent since.
//! - [`FlowDesk::hold`] keeps the whole receipt of a payment whose receipt the Node never
//!   delivered ([`PayOptions::lose_receipt`](crate::PayOptions::lose_receipt)), as pagoPA's
//!   receipts service holds it; [`FlowDesk::held`] finds it by Ente, IUR and IUV.
//! - [`Anomaly`]: what a publication may get wrong, on purpose.
//! - [`soap`]: the same flows over `nodoChiediElencoFlussiRendicontazione` /
//!   `nodoChiediFlussoRendicontazione`, at [`soap::SOAP_PATH`].
//! - [`http`]: `POST /sim/flows/publish`, `GET /sim/flows`, and the FdR API under
//!   [`FDR_PREFIX`]: point the back end's `fdr.base_url` at
//!   `http://<sim address>/fdr-org/service/v1`.
//! - [`bizevents`]: the receipts the Node lost, over the biz-events receipts API under
//!   [`BIZEVENTS_PREFIX`].
//!
//! ```text
//! POST /sim/flows/publish
//! {"day": "2026-11-25", "ente": "80012345676", "anomalies": ["no_receipt", "wrong_total"]}
//! → 200 {"published": [{"ente": "80012345676", "psp": "ABI99999",
//!         "flow_id": "2026-11-25ABI99999-0001", "revision": 1, "lines": 3,
//!         "declared_count": 3, "declared_total_cents": 36170, "anomalies": [...]}]}
//! ```

pub mod bizevents;
pub mod http;
mod revision;
pub mod soap;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, NaiveDate, Utc};
use pagopa_domain::model::{FlowId, FlowKey, FlowLine, FlowRevision, IdentifierError, LineOutcome, PartyId, Receipt};
use pagopa_domain::value::EnteId;

pub use revision::Anomaly;

/// Where the FdR organization API is served.
pub const FDR_PREFIX: &str = "/fdr-org/service/v1";

/// Where the biz-events receipts API is served.
pub const BIZEVENTS_PREFIX: &str = "/bizevents/service/v1";

/// Why flows could not be published.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FlowsError {
    /// The flow id would not be one (a PSP id too long for 35 characters).
    #[error("flow id {0:?}: {1}")]
    FlowId(String, String),
    /// No randomness for an invented IUR.
    #[error("no randomness: {0}")]
    Random(String),
}

/// The PSP of a payment, as the flow's `sender` names it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sender {
    /// `idPSP`.
    pub psp_id: String,
    /// The PSP's name.
    pub psp_name: String,
    /// Its broker (the PSP's fiscal code here).
    pub broker_id: String,
    /// Its channel.
    pub channel_id: String,
}

/// One transfer of a sent receipt.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SentTransfer {
    /// `idTransfer`, 1..=5.
    pub id: u8,
    /// The Ente credited.
    pub ente: EnteId,
    /// Its name, for the flow's `receiver`.
    pub ente_name: String,
    /// The amount, in cents.
    pub amount_cents: i64,
}

/// What a flow needs of a receipt the simulator sent.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SentPayment {
    /// `receiptId`: the IUR.
    pub receipt_id: String,
    /// `creditorReferenceId`: the IUV.
    pub iuv: String,
    /// The PSP.
    pub sender: Sender,
    /// `paymentDateTime`.
    pub paid_at: DateTime<Utc>,
    /// The operating day (`applicationDate`, else the day of `paymentDateTime`).
    pub day: NaiveDate,
    /// Whether it was paid while the Node was in Stand-In.
    pub stand_in: bool,
    /// The transfers.
    pub transfers: Vec<SentTransfer>,
}

impl From<&Receipt> for SentPayment {
    fn from(receipt: &Receipt) -> Self {
        let paid_at = receipt.paid_at();
        Self {
            receipt_id: receipt.receipt_id.to_string(),
            iuv: receipt.creditor_reference_id.to_string(),
            sender: Sender {
                psp_id: receipt.psp.id.to_string(),
                psp_name: receipt.psp.company_name.to_string(),
                broker_id: receipt
                    .psp
                    .fiscal_code
                    .as_ref()
                    .map_or_else(|| receipt.psp.id.to_string(), ToString::to_string),
                channel_id: receipt.psp.channel_id.to_string(),
            },
            paid_at,
            day: receipt.application_date.unwrap_or_else(|| paid_at.date_naive()),
            stand_in: receipt.stand_in,
            transfers: receipt
                .transfers
                .iter()
                .map(|t| SentTransfer {
                    id: t.id,
                    ente: t.ente.clone(),
                    ente_name: t
                        .company_name
                        .as_ref()
                        .map_or_else(|| receipt.company_name.to_string(), ToString::to_string),
                    amount_cents: i64::try_from(t.amount.cents()).unwrap_or(i64::MAX),
                })
                .collect(),
        }
    }
}

/// A revision as published: the flow, when each line was paid, and who sent it to whom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedRevision {
    /// The revision (its `published_at` is set).
    pub flow: FlowRevision,
    /// `payDate` of each line, in line order.
    pub pay_dates: Vec<DateTime<Utc>>,
    /// The PSP.
    pub sender: Sender,
    /// The receiving Ente's name.
    pub receiver_name: String,
    /// The operating day it reports.
    pub day: NaiveDate,
}

/// What a publication did to one flow.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Publication {
    /// The Ente.
    pub ente: String,
    /// The PSP.
    pub psp: String,
    /// The flow id.
    pub flow_id: String,
    /// The revision published.
    pub revision: u32,
    /// Lines.
    pub lines: usize,
    /// As declared.
    pub declared_count: u64,
    /// As declared, in cents.
    pub declared_total_cents: i64,
    /// The anomalies put in, each with what it touched.
    pub anomalies: Vec<String>,
}

/// What to publish: the flows of `day` (of one Ente, or all), with anomalies.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// The operating day of the payments.
    pub day: NaiveDate,
    /// Only the flows to this Ente.
    #[serde(default)]
    pub ente: Option<EnteId>,
    /// Only the flows of this PSP.
    #[serde(default)]
    pub psp: Option<String>,
    /// What to get wrong, each once per flow.
    #[serde(default)]
    pub anomalies: Vec<Anomaly>,
    /// The settlement day (`regulationDate`), default the day after `day`.
    #[serde(default)]
    pub regulation_date: Option<NaiveDate>,
}

/// A line for a new flow, when it was paid, and what it comes from.
type NewLine<'a> = (FlowLine, DateTime<Utc>, &'a SentPayment, &'a SentTransfer);

#[derive(Debug, Default)]
struct State {
    sent: Vec<SentPayment>,
    /// (IUR, idTransfer) already put in a flow (or dropped from one on purpose).
    flowed: BTreeSet<(String, u8)>,
    /// Every revision of every flow, in order.
    flows: BTreeMap<FlowKey, Vec<Arc<PublishedRevision>>>,
    /// The last sequence number per (PSP, day).
    sequences: BTreeMap<(String, NaiveDate), u32>,
    /// The receipts never delivered, per (Ente's fiscal code, receiptId).
    held: BTreeMap<(String, String), Receipt>,
}

/// The receipts sent and the flows published.
#[derive(Debug, Default)]
pub struct FlowDesk {
    state: Mutex<State>,
}

impl FlowDesk {
    /// Nothing sent, nothing published.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every change is made whole under the lock: a panic cannot leave it half done.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps `payment` for the flows (the first receipt of an IUR counts; resends do not).
    pub fn record(&self, payment: SentPayment) {
        let mut state = self.state();
        if !state.sent.iter().any(|p| p.receipt_id == payment.receipt_id) {
            state.sent.push(payment);
        }
    }

    /// Holds `receipt`, as pagoPA's receipts service does for a receipt the Node never
    /// delivered (a later receipt with the same Ente and `receiptId` replaces it).
    pub fn hold(&self, receipt: Receipt) {
        let key = (receipt.ente.to_string(), receipt.receipt_id.to_string());
        self.state().held.insert(key, receipt);
    }

    /// The held receipt of `ente` with `receiptId` `iur` and `creditorReferenceId` `iuv`.
    pub fn held(&self, ente: &str, iur: &str, iuv: &str) -> Option<Receipt> {
        self.state()
            .held
            .get(&(ente.to_owned(), iur.to_owned()))
            .filter(|r| r.creditor_reference_id.as_str() == iuv)
            .cloned()
    }

    /// How many receipts were recorded.
    pub fn sent_count(&self) -> usize {
        self.state().sent.len()
    }

    /// Publishes the flows of `request.day`: a new flow per (PSP, Ente) for the transfers not
    /// yet in one, and, with [`Anomaly::NewRevision`], a new revision of each flow of that day
    /// already published.
    ///
    /// # Errors
    ///
    /// [`FlowsError`] when a flow id cannot be made; nothing is published then.
    pub fn publish(&self, request: &PublishRequest, now: DateTime<Utc>) -> Result<Vec<Publication>, FlowsError> {
        let mut guard = self.state();
        let state = &mut *guard;
        let wanted = |ente: &EnteId, psp: &str| {
            request.ente.as_ref().is_none_or(|e| e == ente) && request.psp.as_deref().is_none_or(|p| p == psp)
        };
        let mut done = Vec::new();
        if request.anomalies.contains(&Anomaly::NewRevision) {
            for revisions in state.flows.values_mut() {
                let Some(last) = revisions.last() else { continue };
                if last.day != request.day || !wanted(&last.flow.key.ente, last.flow.key.psp.as_str()) {
                    continue;
                }
                let (next, note) = revision::next_revision(last, &sent_amounts(&state.sent), now);
                done.push(publication(&next, vec![note]));
                revisions.push(Arc::new(next));
            }
        }
        // The new lines, grouped per flow.
        let mut groups: BTreeMap<(String, EnteId), Vec<NewLine<'_>>> = BTreeMap::new();
        for payment in state.sent.iter().filter(|p| p.day == request.day) {
            for transfer in &payment.transfers {
                if !wanted(&transfer.ente, &payment.sender.psp_id)
                    || state.flowed.contains(&(payment.receipt_id.clone(), transfer.id))
                {
                    continue;
                }
                let line = FlowLine {
                    index: 0,
                    iuv: payment.iuv.clone(),
                    iur: payment.receipt_id.clone(),
                    transfer_id: Some(transfer.id),
                    amount_cents: transfer.amount_cents,
                    outcome: if payment.stand_in {
                        LineOutcome::StandIn
                    } else {
                        LineOutcome::Executed
                    },
                    outcome_date: payment.day,
                };
                groups
                    .entry((payment.sender.psp_id.clone(), transfer.ente.clone()))
                    .or_default()
                    .push((line, payment.paid_at, payment, transfer));
            }
        }
        let mut built = Vec::new();
        let mut flowed = Vec::new();
        let mut sequences = state.sequences.clone();
        for ((psp, ente), lines) in groups {
            let sequence = sequences.entry((psp.clone(), request.day)).or_insert(0);
            *sequence += 1;
            let sequence = *sequence;
            let flow_id = format!("{}{psp}-{sequence:04}", request.day.format("%Y-%m-%d"));
            let parsed: FlowId = flow_id
                .parse()
                .map_err(|e: IdentifierError| FlowsError::FlowId(flow_id.clone(), e.to_string()))?;
            let psp_id: PartyId = psp
                .parse()
                .map_err(|e: IdentifierError| FlowsError::FlowId(flow_id.clone(), e.to_string()))?;
            let (_, _, first, transfer) = lines[0];
            flowed.extend(lines.iter().map(|(l, ..)| (l.iur.clone(), l.transfer_id.unwrap_or(1))));
            let sender = first.sender.clone();
            let receiver_name = transfer.ente_name.clone();
            let (lines, pay_dates): (Vec<FlowLine>, Vec<DateTime<Utc>>) =
                lines.into_iter().map(|(line, at, ..)| (line, at)).unzip();
            let flow = FlowRevision {
                key: FlowKey {
                    ente,
                    psp: psp_id,
                    flow_id: parsed,
                },
                revision: 1,
                psp_name: Some(sender.psp_name.clone()),
                flow_date: now,
                published_at: Some(now),
                regulation: format!("TRN{}{psp}{sequence:04}", request.day.format("%Y%m%d")),
                regulation_date: request
                    .regulation_date
                    .unwrap_or_else(|| request.day.succ_opt().unwrap_or(request.day)),
                bic: None,
                declared_count: 0,
                declared_total_cents: 0,
                lines,
            };
            let mut published = PublishedRevision {
                flow,
                pay_dates,
                sender,
                receiver_name,
                day: request.day,
            };
            let notes = revision::apply(&mut published, &request.anomalies, now)?;
            done.push(publication(&published, notes));
            built.push(published);
        }
        state.flowed.extend(flowed);
        state.sequences = sequences;
        for published in built {
            state
                .flows
                .entry(published.flow.key.clone())
                .or_default()
                .push(Arc::new(published));
        }
        Ok(done)
    }

    /// The latest revision of every flow to `ente`, oldest publication first.
    pub fn latest(&self, ente: &str) -> Vec<Arc<PublishedRevision>> {
        let mut flows: Vec<Arc<PublishedRevision>> = self
            .state()
            .flows
            .iter()
            .filter(|(key, _)| key.ente.as_str() == ente)
            .filter_map(|(_, revisions)| revisions.last().cloned())
            .collect();
        flows.sort_by_key(|f| f.flow.published_at);
        flows
    }

    /// One revision of a flow.
    pub fn revision(&self, ente: &str, psp: &str, flow_id: &str, revision: u32) -> Option<Arc<PublishedRevision>> {
        self.state()
            .flows
            .iter()
            .find(|(key, _)| key.ente.as_str() == ente && key.psp.as_str() == psp && key.flow_id.as_str() == flow_id)
            .and_then(|(_, revisions)| revisions.iter().find(|r| r.flow.revision == revision).cloned())
    }
}

/// The amount of each (IUR, idTransfer) as sent.
fn sent_amounts(sent: &[SentPayment]) -> BTreeMap<(String, u8), i64> {
    sent.iter()
        .flat_map(|p| {
            p.transfers
                .iter()
                .map(|t| ((p.receipt_id.clone(), t.id), t.amount_cents))
        })
        .collect()
}

fn publication(published: &PublishedRevision, anomalies: Vec<String>) -> Publication {
    let flow = &published.flow;
    Publication {
        ente: flow.key.ente.to_string(),
        psp: flow.key.psp.to_string(),
        flow_id: flow.key.flow_id.to_string(),
        revision: flow.revision,
        lines: flow.lines.len(),
        declared_count: flow.declared_count,
        declared_total_cents: flow.declared_total_cents,
        anomalies,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payment(day: NaiveDate) -> SentPayment {
        SentPayment {
            receipt_id: "0123456789abcdef0123456789abcdef".into(),
            iuv: "05260100000000001".into(),
            sender: Sender {
                psp_id: "ABI99999".into(),
                psp_name: "Banca Esempio S.p.A.".into(),
                broker_id: "12345678903".into(),
                channel_id: "12345678903_03".into(),
            },
            paid_at: "2026-11-25T10:00:00Z".parse().unwrap(),
            day,
            stand_in: false,
            transfers: vec![SentTransfer {
                id: 1,
                ente: "80012345676".parse().unwrap(),
                ente_name: "Comune di Valdesempio".into(),
                amount_cents: 1050,
            }],
        }
    }

    fn regulation_date(request: &PublishRequest) -> NaiveDate {
        let desk = FlowDesk::new();
        desk.record(payment(request.day));
        let now = "2026-11-26T08:00:00Z".parse().unwrap();
        let published = desk.publish(request, now).unwrap();
        assert_eq!(published.len(), 1);
        desk.latest("80012345676")[0].flow.regulation_date
    }

    #[test]
    fn the_regulation_date_is_the_day_after_unless_given() {
        let day: NaiveDate = "2026-11-25".parse().unwrap();
        let plain = PublishRequest {
            day,
            ..PublishRequest::default()
        };
        assert_eq!(regulation_date(&plain), "2026-11-26".parse::<NaiveDate>().unwrap());
        let given: PublishRequest =
            serde_json::from_value(serde_json::json!({"day": "2026-11-25", "regulation_date": "2026-11-30"})).unwrap();
        assert_eq!(given.regulation_date, Some("2026-11-30".parse().unwrap()));
        assert_eq!(regulation_date(&given), "2026-11-30".parse::<NaiveDate>().unwrap());
        let unknown =
            serde_json::from_value::<PublishRequest>(serde_json::json!({"day": "2026-11-25", "settled": "x"}));
        assert!(unknown.is_err());
    }
}
