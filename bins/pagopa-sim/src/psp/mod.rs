//! The PSP's flows through the Node: modello 3 (`paVerifyPaymentNotice` → `paGetPaymentV2` →
//! `paSendRTV2`) with fault injection, `paDemandPaymentNotice`, receipt resends.
//!
//! The steps are in their own files: `activate` (verify and activation), `stand_in` (the
//! receipt of a Node in Stand-In), `receipts` (sending the receipt, and resends) and `demand`
//! (`paDemandPaymentNotice`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use pagopa_domain::model::{PrimitiveVersion, Receipt};
use pagopa_domain::services::StationIds;
use pagopa_domain::value::{EnteId, NoticeNumber};
use pagopa_nodo::soap::Operation;
use pagopa_nodo::soap::node::NodeResponse;

use crate::flows::FlowDesk;
use crate::node_client::NodeClient;
use crate::receipt::{PspProfile, ReceiptContext, fresh_receipt_id, now};
use crate::report::{Expect, PaymentReport, StepReport};
use crate::store::ReceiptLog;

mod activate;
mod demand;
mod options;
mod receipts;
mod stand_in;

pub use options::{DemandRequest, PayOptions, ReceiptTimeout};

/// The fault the Ente must give a second, different receipt for a paid notice.
pub const RECEIPT_DUPLICATE_FAULT: &str = "PAA_RECEIPT_DUPLICATA";

/// A notice after verify and activation: the receipt the PSP will send, if the flow got there.
#[derive(Debug)]
pub struct Activation {
    /// The report so far.
    pub report: PaymentReport,
    /// The station the receipt goes to.
    pub station: StationIds,
    /// The receipt to send; `None` when the flow stopped. Its `receiptId` enters the report
    /// only when it is sent ([`Simulator::complete`]).
    pub receipt: Option<Receipt>,
    started: Instant,
}

impl Activation {
    /// Ends the flow here (no receipt).
    pub fn finish(mut self) -> PaymentReport {
        self.report.conclude(self.started.elapsed());
        self.report
    }
}

/// The Node and PSP side of payments: sends the calls, builds the receipts, keeps them.
#[derive(Debug, Clone)]
pub struct Simulator {
    node: NodeClient,
    psp: PspProfile,
    receipts: Arc<dyn ReceiptLog>,
    flows: Arc<FlowDesk>,
}

impl Simulator {
    /// A simulator calling through `node`, paying as `psp`, keeping receipts in `receipts`.
    pub fn new(node: NodeClient, psp: PspProfile, receipts: Arc<dyn ReceiptLog>) -> Self {
        Self {
            node,
            psp,
            receipts,
            flows: Arc::new(FlowDesk::new()),
        }
    }

    /// The receipts sent, for the reconciliation flows, and the flows published.
    pub fn flows(&self) -> &Arc<FlowDesk> {
        &self.flows
    }

    /// The Node client.
    pub fn node(&self) -> &NodeClient {
        &self.node
    }

    /// The receipts sent.
    pub fn receipts(&self) -> &Arc<dyn ReceiptLog> {
        &self.receipts
    }

    /// Calls `operation`, records the step, returns the response if one was parsed.
    async fn step(
        &self,
        report: &mut PaymentReport,
        name: &str,
        operation: Operation,
        envelope: String,
        timeout: Option<Duration>,
        expect: &Expect,
    ) -> Option<NodeResponse> {
        let result = self.node.call(operation, envelope, timeout).await;
        report.steps.push(StepReport::of(name, operation, &result, expect));
        result.ok().map(|exchange| exchange.response)
    }

    /// A complete payment of `notice` of `ente`, as `options` ask.
    pub async fn pay_notice(&self, ente: &EnteId, notice: &NoticeNumber, options: &PayOptions) -> PaymentReport {
        let activation = self.activate(ente, notice, options).await;
        if options.abandon {
            let mut activation = activation;
            if activation.receipt.is_some() {
                activation
                    .report
                    .notes
                    .push("abandoned after the activation: no receipt sent".into());
            }
            return activation.finish();
        }
        self.complete(activation, options).await
    }

    fn expectation(options: &PayOptions) -> Expect {
        match &options.expect_fault {
            Some(code) => Expect::OkOrFault(code.clone()),
            None => Expect::Ok,
        }
    }

    /// Handles a KO verify/activation: `true` when the flow must stop.
    fn stopped(report: &mut PaymentReport, response: Option<&NodeResponse>, what: &str, options: &PayOptions) -> bool {
        match response {
            None => {
                report.fail(format!("{what}: no usable answer"));
                true
            }
            Some(response) if !response.ok => {
                let code = response.fault_code.as_deref().unwrap_or("no fault code");
                if options.expect_fault.as_deref() == Some(code) {
                    report.notes.push(format!("{what} answered the expected {code}"));
                } else {
                    report.fail(format!("{what} answered KO {code}"));
                }
                true
            }
            Some(_) => false,
        }
    }

    fn context<'a>(
        &'a self,
        report: &mut PaymentReport,
        station: &'a StationIds,
        options: &PayOptions,
    ) -> Option<ReceiptContext<'a>> {
        match fresh_receipt_id() {
            Ok(receipt_id) => Some(ReceiptContext {
                psp: &self.psp,
                station,
                receipt_id,
                paid_at: now(),
                payment_note: options.payment_note.clone(),
            }),
            Err(e) => {
                report.fail(e.to_string());
                None
            }
        }
    }
}

/// `paSendRTV2` or `paSendRT`, as [`node::receipt_request`](pagopa_nodo::soap::node::receipt_request) writes the receipt.
pub fn receipt_operation(receipt: &Receipt) -> Operation {
    if receipt.delivery.version == PrimitiveVersion::V2 || receipt.transfers.iter().any(|t| t.iban.is_none()) {
        Operation::SendRtV2
    } else {
        Operation::SendRt
    }
}

/// The operation of a request envelope, from its body element.
pub fn request_operation(envelope: &str) -> Option<Operation> {
    let document = pagopa_nodo::xml::parse(envelope).ok()?;
    let element = document.child("Body")?.children.first()?;
    Operation::from_request_element(&element.name)
}
