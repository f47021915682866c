//! The FdR REST API as the domain's [`FlowSource`]: [`FdrFlowSource`], and [`fetched_flow`], the
//! pure mapping of a flow's answers (header and payment pages) to a [`FetchedFlow`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pagopa_domain::cause_chain;
use pagopa_domain::model::{
    FetchedFlow, FlowError, FlowKey, FlowLine, FlowRevision, LineOutcome, PublishedFlow, RawDocument,
};
use pagopa_domain::ports::{FlowSource, FlowSourceError};
use pagopa_domain::value::EnteId;

use super::dto::{FlowByPsp, Payment, PaymentsPage, SingleFlowResponse, amount_cents};
use super::{FdrClient, FdrError, Fetched};
use crate::soap::italian_date;

/// The media type of the raw documents of a REST flow.
pub const JSON_MEDIA_TYPE: &str = "application/json";

/// A flow from its FdR answers: the header of one revision and every page of its payments, in
/// order. The raw documents are `header`, then `payments-1`, `payments-2`, … (`application/json`,
/// the bodies as received).
///
/// - The key: `receiver.organizationId`, `sender.pspId`, `fdr`; the revision: `revision`.
/// - `fdrDate` is the flow's date (required: a header without it is refused; [`FdrFlowSource`]
///   fills it from the list's `flowDate` when the header has none); `published`, `regulation`,
///   `regulationDate`, `bicCodePouringBank`, `sender.pspName`, `totPayments` as they are.
/// - `sumPayments` and each `pay` to exact cents ([`amount_cents`]). The API writes amounts
///   without a sign; a `REVOKED` payment is negative in the domain, so its amount is negated.
/// - Each payment: `index`, `iuv`, `iur`, `idTransfer`, `payStatus` to [`LineOutcome`], and
///   `payDate`'s day in Italy.
///
/// The flow must then pass [`FlowRevision::check`].
pub fn fetched_flow(
    header: &Fetched<SingleFlowResponse>,
    payments: &[Fetched<PaymentsPage>],
) -> Result<FetchedFlow, FlowError> {
    let flow = flow_revision(&header.value, payments.iter().flat_map(|page| &page.value.data))?;
    flow.check()?;
    let mut raw = Vec::with_capacity(payments.len() + 1);
    raw.push(RawDocument {
        part: "header".into(),
        media_type: JSON_MEDIA_TYPE.into(),
        body: header.raw.clone(),
    });
    raw.extend(payments.iter().enumerate().map(|(n, page)| RawDocument {
        part: format!("payments-{}", n + 1),
        media_type: JSON_MEDIA_TYPE.into(),
        body: page.raw.clone(),
    }));
    Ok(FetchedFlow { flow, raw })
}

fn document(problem: impl std::fmt::Display) -> FlowError {
    FlowError::Document(format!("FdR flow header: {problem}"))
}

fn flow_revision<'a>(
    header: &SingleFlowResponse,
    payments: impl Iterator<Item = &'a Payment>,
) -> Result<FlowRevision, FlowError> {
    let ente: EnteId = header
        .receiver
        .organization_id
        .parse()
        .map_err(|e| document(format_args!("receiver.organizationId: {e}")))?;
    let psp = header
        .sender
        .psp_id
        .parse()
        .map_err(|e| document(format_args!("sender.pspId: {e}")))?;
    let flow_id = header.fdr.parse().map_err(|e| document(format_args!("fdr: {e}")))?;
    let revision = u32::try_from(header.revision).map_err(|_| document("revision is too large"))?;
    let flow_date = header.fdr_date.ok_or_else(|| document("fdrDate is missing"))?;
    let declared_total_cents = amount_cents(header.sum_payments).ok_or_else(|| {
        document(format_args!(
            "sumPayments {} is not an amount in cents",
            header.sum_payments
        ))
    })?;
    let lines = payments.map(line).collect::<Result<Vec<_>, _>>()?;
    Ok(FlowRevision {
        key: FlowKey { ente, psp, flow_id },
        revision,
        psp_name: Some(header.sender.psp_name.clone()).filter(|name| !name.is_empty()),
        flow_date,
        published_at: header.published,
        regulation: header.regulation.clone(),
        regulation_date: header.regulation_date,
        bic: header.bic_code_pouring_bank.clone(),
        declared_count: header.tot_payments,
        declared_total_cents,
        lines,
    })
}

fn line(payment: &Payment) -> Result<FlowLine, FlowError> {
    let index = u32::try_from(payment.index).unwrap_or(u32::MAX);
    let problem = |problem: String| FlowError::Line { index, problem };
    if payment.index == 0 || payment.index > u64::from(u32::MAX) {
        return Err(problem(format!("index {} is not 1 to {}", payment.index, u32::MAX)));
    }
    let transfer_id = u8::try_from(payment.id_transfer)
        .map_err(|_| problem(format!("transfer index {} is not 1 to 5", payment.id_transfer)))?;
    let cents = payment
        .pay_cents()
        .ok_or_else(|| problem(format!("pay {} is not an amount in cents", payment.pay)))?;
    let outcome = LineOutcome::from_code(payment.pay_status.outcome_code())
        .ok_or_else(|| problem(format!("payStatus {:?} has no outcome", payment.pay_status)))?;
    let amount_cents = if outcome == LineOutcome::Revoked {
        -cents.abs()
    } else {
        cents
    };
    Ok(FlowLine {
        index,
        iuv: payment.iuv.clone(),
        iur: payment.iur.clone(),
        transfer_id: Some(transfer_id),
        amount_cents,
        outcome,
        outcome_date: italian_date(payment.pay_date),
    })
}

/// The FdR REST API as a [`FlowSource`] (`fdr-rest`).
///
/// - [`FlowSource::published`]: every page of the list published after `after`
///   ([`FdrClient::published_flows`]), each flow at its latest revision, those published at or
///   before `after` left out (the API is asked to the second), oldest publication first.
/// - [`FlowSource::fetch`]: the header and every payment page of the revision listed, mapped by
///   [`fetched_flow`]; a header that is not of the flow asked for is refused.
///
/// Errors: [`FdrError`] as a [`FlowSourceError`] whose `transient` is
/// [`FdrError::is_transient`]; an answer that is not a flow is not transient.
#[derive(Clone, Debug)]
pub struct FdrFlowSource {
    client: FdrClient,
}

impl FdrFlowSource {
    /// The source over `client`.
    pub fn new(client: FdrClient) -> Self {
        Self { client }
    }

    /// The client.
    pub fn client(&self) -> &FdrClient {
        &self.client
    }
}

fn source_error(error: FdrError) -> FlowSourceError {
    FlowSourceError {
        message: cause_chain(&error),
        transient: error.is_transient(),
        source: Some(Box::new(error)),
    }
}

fn not_a_flow(flow: &FlowKey, error: FlowError) -> FlowSourceError {
    FlowSourceError {
        message: format!("FdR flow {flow}: {error}"),
        transient: false,
        source: Some(Box::new(error)),
    }
}

fn published_flow(ente: &EnteId, listed: &FlowByPsp) -> Result<PublishedFlow, FlowSourceError> {
    let refuse = |problem: String| FlowSourceError {
        message: format!(
            "the FdR list of Ente {ente} has a flow {:?} that cannot be taken: {problem}",
            listed.fdr
        ),
        transient: false,
        source: None,
    };
    let psp = listed.psp_id.parse().map_err(|e| refuse(format!("pspId: {e}")))?;
    let flow_id = listed.fdr.parse().map_err(|e| refuse(format!("fdr: {e}")))?;
    let revision = u32::try_from(listed.revision)
        .ok()
        .filter(|revision| *revision >= 1)
        .ok_or_else(|| refuse(format!("revision {} is not 1 or more", listed.revision)))?;
    Ok(PublishedFlow {
        key: FlowKey {
            ente: ente.clone(),
            psp,
            flow_id,
        },
        revision,
        published_at: listed.published,
        flow_date: listed.flow_date,
    })
}

#[async_trait]
impl FlowSource for FdrFlowSource {
    async fn published(&self, ente: &EnteId, after: DateTime<Utc>) -> Result<Vec<PublishedFlow>, FlowSourceError> {
        let pages = self
            .client
            .published_flows(ente.as_str(), after)
            .await
            .map_err(source_error)?;
        let mut flows = Vec::new();
        for listed in pages.iter().flat_map(|page| &page.value.data) {
            if listed.published.is_some_and(|published| published <= after) {
                continue;
            }
            flows.push(published_flow(ente, listed)?);
        }
        // Oldest publication first; those without a date last, in the order listed.
        flows.sort_by_key(|flow| (flow.published_at.is_none(), flow.published_at));
        Ok(flows)
    }

    async fn fetch(&self, flow: &PublishedFlow) -> Result<FetchedFlow, FlowSourceError> {
        let key = &flow.key;
        let (ente, flow_id, psp) = (key.ente.as_str(), key.flow_id.as_str(), key.psp.as_str());
        let revision = u64::from(flow.revision);
        let mut header = self
            .client
            .flow(ente, flow_id, revision, psp)
            .await
            .map_err(source_error)?;
        let payments = self
            .client
            .flow_payments(ente, flow_id, revision, psp)
            .await
            .map_err(source_error)?;
        if header.value.fdr_date.is_none() {
            header.value.fdr_date = flow.flow_date;
        }
        let fetched = fetched_flow(&header, &payments).map_err(|e| not_a_flow(key, e))?;
        if fetched.flow.key != *key || fetched.flow.revision != flow.revision {
            let got = &fetched.flow;
            let problem = format!(
                "the header is of flow {} revision {}, not of revision {} asked for",
                got.key, got.revision, flow.revision
            );
            return Err(not_a_flow(key, FlowError::Document(problem)));
        }
        Ok(fetched)
    }

    fn name(&self) -> &'static str {
        "fdr-rest"
    }
}
