//! The PSP's flows through the Node: modello 3 (`paVerifyPaymentNotice` → `paGetPaymentV2` →
//! `paSendRTV2`) with fault injection, `paDemandPaymentNotice`, receipt resends.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pagopa_domain::model::{PrimitiveVersion, Receipt, ReceiptId};
use pagopa_domain::services::{ActivateRequest, StationIds};
use pagopa_domain::value::{EnteId, NoticeNumber};
use pagopa_nodo::soap::node::{self, NodeResponse};
use pagopa_nodo::soap::{NodeRequest, Operation, decode_request};

use crate::flows::{FlowDesk, SentPayment};
use crate::node_client::NodeClient;
use crate::receipt::{
    NoticeCopy, PspProfile, ReceiptContext, fresh_receipt_id, now, receipt_from_activation, stand_in_receipt,
};
use crate::report::{Expect, PaymentReport, StepReport};
use crate::store::ReceiptLog;

mod options;

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

    /// The first half of a payment: verify and activation (or, in Stand-In, only the copy of
    /// the notice), and the receipt built from their answers.
    pub async fn activate(&self, ente: &EnteId, notice: &NoticeNumber, options: &PayOptions) -> Activation {
        let started = Instant::now();
        let station = self.node.station_for(ente);
        let mut report = PaymentReport::new(options.scenario(), ente.to_string());
        report.notice = Some(notice.to_string());
        let receipt = if options.stand_in {
            self.stand_in(&mut report, &station, notice, options).await
        } else {
            self.verify_and_activate(&mut report, &station, notice, options).await
        };
        if let Some(receipt) = &receipt {
            report.amount_cents = Some(receipt.amount.cents());
        }
        Activation {
            report,
            station,
            receipt,
            started,
        }
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

    async fn verify_and_activate(
        &self,
        report: &mut PaymentReport,
        station: &StationIds,
        notice: &NoticeNumber,
        options: &PayOptions,
    ) -> Option<Receipt> {
        let expect = Self::expectation(options);
        let ente = &station.ente;
        let envelope = node::verify_request(station, ente, notice);
        let verify = self
            .step(
                report,
                "verify",
                Operation::VerifyPaymentNotice,
                envelope,
                None,
                &expect,
            )
            .await;
        if Self::stopped(report, verify.as_ref(), "the verify", options) {
            return None;
        }
        let verify = verify?;
        let seen_amount = verify.option_amount();
        report.amount_cents = seen_amount.map(|a| a.cents());
        let company = verify.body.child("companyName").map(|c| c.value().to_owned());

        let request = ActivateRequest {
            station: station.clone(),
            ente: ente.clone(),
            notice_number: notice.clone(),
            transfer_type: options.transfer_type,
            version: PrimitiveVersion::V2,
            payment_note: options.payment_note.clone(),
        };
        let envelope = node::activate_request(&request, seen_amount);
        let activation = self
            .step(report, "activate", Operation::GetPaymentV2, envelope, None, &expect)
            .await;
        if Self::stopped(report, activation.as_ref(), "the activation", options) {
            return None;
        }
        if let Some(code) = &options.expect_fault {
            report.fail(format!("expected {code}, but the notice was verified and activated"));
            return None;
        }
        let data = match activation?.payment_data() {
            Ok(data) => data,
            Err(e) => {
                report.fail(format!("the activation data is not usable: {}", e.0));
                return None;
            }
        };
        let transfers_total: u64 = data.transfers.iter().map(|t| t.amount.cents()).sum();
        if transfers_total != data.amount.cents() {
            // The Node refuses such an activation (PPT_SEMANTICA towards the PSP).
            report.fail(format!(
                "paymentAmount {} is not the sum of the transfers ({transfers_total} cents)",
                data.amount
            ));
            return None;
        }
        let context = self.context(report, station, options)?;
        match receipt_from_activation(ente, notice, &data, company.as_deref(), &context) {
            Ok(receipt) => Some(receipt),
            Err(e) => {
                report.fail(format!("no receipt can be built: {e}"));
                None
            }
        }
    }

    async fn stand_in(
        &self,
        report: &mut PaymentReport,
        station: &StationIds,
        notice: &NoticeNumber,
        options: &PayOptions,
    ) -> Option<Receipt> {
        let copy = match &options.stand_in_copy {
            Some(copy) => copy.clone(),
            None => {
                // The Node in Stand-In answers from its ACA/GPD copy; the simulator has none, so
                // it reads the notice once. The Ente sees this verify, never an activation.
                let envelope = node::verify_request(station, &station.ente, notice);
                let verify = self
                    .step(
                        report,
                        "verify (Stand-In copy)",
                        Operation::VerifyPaymentNotice,
                        envelope,
                        None,
                        &Expect::Ok,
                    )
                    .await;
                if Self::stopped(report, verify.as_ref(), "the verify for the Stand-In copy", options) {
                    return None;
                }
                match NoticeCopy::from_verify(&verify?) {
                    Ok(copy) => copy,
                    Err(e) => {
                        report.fail(format!("the verify response cannot make a Stand-In copy: {e}"));
                        return None;
                    }
                }
            }
        };
        report
            .notes
            .push("Stand-In: no activation reached the Ente; the receipt has standIn=true".into());
        let context = self.context(report, station, options)?;
        match stand_in_receipt(&station.ente, notice, &copy, &context) {
            Ok(receipt) => Some(receipt),
            Err(e) => {
                report.fail(format!("no receipt can be built: {e}"));
                None
            }
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

    fn keep(&self, report: &mut PaymentReport, receipt_id: &ReceiptId, envelope: &str) {
        if let Err(e) = self.receipts.save(receipt_id, envelope) {
            report
                .notes
                .push(format!("receipt {receipt_id} not kept for resends: {e}"));
        }
    }

    /// The second half of a payment: the receipt (late, timed out and resent, duplicated,
    /// followed by a second receipt, or lost, as `options` ask). A lost receipt is recorded for
    /// the flows and held for the biz-events receipts API ([`FlowDesk::hold`]), never sent.
    pub async fn complete(&self, activation: Activation, options: &PayOptions) -> PaymentReport {
        let Activation {
            mut report,
            station,
            receipt,
            started,
        } = activation;
        let Some(receipt) = receipt else {
            report.conclude(started.elapsed());
            return report;
        };
        report.receipt_id = Some(receipt.receipt_id.to_string());
        let operation = receipt_operation(&receipt);
        let envelope = node::receipt_request(&station, &receipt);
        self.keep(&mut report, &receipt.receipt_id, &envelope);
        self.flows.record(SentPayment::from(&receipt));
        if options.lose_receipt {
            self.flows.hold(receipt.clone());
            // Not "receipt <id>": scripts take the id after the bare word in the first line.
            report.notes.push(format!(
                "receipt (receiptId {}) lost: never sent to the Ente; the receipts service holds it",
                receipt.receipt_id
            ));
            report.conclude(started.elapsed());
            return report;
        }
        if let Some(late) = options.late {
            report
                .notes
                .push(format!("waited {} ms before sending the receipt", late.as_millis()));
            tokio::time::sleep(late).await;
        }
        match options.timeout {
            Some(timeout) => {
                let name = format!("receipt ({} ms client timeout)", timeout.client_timeout.as_millis());
                let first = self
                    .step(
                        &mut report,
                        &name,
                        operation,
                        envelope.clone(),
                        Some(timeout.client_timeout),
                        &Expect::Any,
                    )
                    .await;
                if first.is_some() {
                    report
                        .notes
                        .push("the receipt was answered within the short timeout: the resend is still sent".into());
                }
                tokio::time::sleep(timeout.resend_after).await;
                self.step(
                    &mut report,
                    "receipt (resend after timeout)",
                    operation,
                    envelope.clone(),
                    None,
                    &Expect::Ok,
                )
                .await;
            }
            None => {
                self.step(&mut report, "receipt", operation, envelope.clone(), None, &Expect::Ok)
                    .await;
            }
        }
        if options.duplicate {
            self.step(
                &mut report,
                "receipt (duplicate)",
                operation,
                envelope.clone(),
                None,
                &Expect::Ok,
            )
            .await;
        }
        if options.second_receipt {
            match fresh_receipt_id() {
                Ok(id) => {
                    let mut second = receipt.clone();
                    second.receipt_id = id;
                    second.payment_date_time = Some(now());
                    let envelope = node::receipt_request(&station, &second);
                    self.keep(&mut report, &second.receipt_id, &envelope);
                    report.notes.push(format!("second receipt {}", second.receipt_id));
                    self.step(
                        &mut report,
                        "second receipt (other receiptId)",
                        operation,
                        envelope,
                        None,
                        &Expect::Fault(RECEIPT_DUPLICATE_FAULT.into()),
                    )
                    .await;
                }
                Err(e) => report.fail(e.to_string()),
            }
        }
        report.conclude(started.elapsed());
        report
    }

    /// `paDemandPaymentNotice` for `request` to `ente`, then, with `pay`, a payment of the new
    /// notice.
    pub async fn demand(&self, ente: &EnteId, request: &DemandRequest, pay: Option<&PayOptions>) -> PaymentReport {
        let started = Instant::now();
        let station = self.node.station_for(ente);
        let mut report = PaymentReport::new(
            match pay {
                Some(options) => format!("demand {} and pay ({})", request.service_id, options.scenario()),
                None => format!("demand {}", request.service_id),
            },
            ente.to_string(),
        );
        let document = node::service_document(&request.document_root, &request.values);
        let envelope = node::demand_request(&station, &request.service_id, &request.subject_service_id, &document);
        let response = self
            .step(
                &mut report,
                "demand",
                Operation::DemandPaymentNotice,
                envelope,
                None,
                &Expect::Ok,
            )
            .await;
        let response = match response {
            Some(response) if response.ok => response,
            Some(response) => {
                let code = response.fault_code.unwrap_or_default();
                report.fail(format!("the demand answered KO {code}"));
                report.conclude(started.elapsed());
                return report;
            }
            None => {
                report.fail("the demand: no usable answer");
                report.conclude(started.elapsed());
                return report;
            }
        };
        report.amount_cents = response.option_amount().map(|a| a.cents());
        let Some(notice) = response.notice_number() else {
            report.fail("the demand response has no qrCode/noticeNumber");
            report.conclude(started.elapsed());
            return report;
        };
        report.notice = Some(notice.to_string());
        let notice_ente = response
            .body
            .child("qrCode")
            .and_then(|q| q.child("fiscalCode"))
            .and_then(|c| c.value().parse::<EnteId>().ok())
            .unwrap_or_else(|| ente.clone());
        if let Some(options) = pay {
            let payment = self.pay_notice(&notice_ente, &notice, options).await;
            report.steps.extend(payment.steps);
            report.notes.extend(payment.notes);
            report.receipt_id = payment.receipt_id;
            report.amount_cents = payment.amount_cents.or(report.amount_cents);
            if let Some(problem) = payment.problem {
                report.fail(problem);
            }
        }
        report.conclude(started.elapsed());
        report
    }

    /// Sends the kept receipt `receipt_id` again.
    pub async fn resend_receipt(&self, receipt_id: &ReceiptId) -> PaymentReport {
        match self.receipts.load(receipt_id) {
            Ok(Some(envelope)) => self.resend_receipt_xml(&envelope).await,
            Ok(None) => {
                let mut report = PaymentReport::new("resend", "-");
                report.receipt_id = Some(receipt_id.to_string());
                report.fail(format!("no receipt {receipt_id} was kept"));
                report.conclude(Duration::ZERO);
                report
            }
            Err(e) => {
                let mut report = PaymentReport::new("resend", "-");
                report.fail(e.to_string());
                report.conclude(Duration::ZERO);
                report
            }
        }
    }

    /// Sends a `paSendRT(V2)` envelope as it is (the operation is told from its body element).
    pub async fn resend_receipt_xml(&self, envelope: &str) -> PaymentReport {
        let started = Instant::now();
        let mut report = PaymentReport::new("resend", "-");
        let operation = match request_operation(envelope) {
            Some(op @ (Operation::SendRt | Operation::SendRtV2)) => op,
            other => {
                report.fail(format!(
                    "not a paSendRT(V2) envelope ({})",
                    other.map_or("no paForNode request", Operation::name)
                ));
                report.conclude(started.elapsed());
                return report;
            }
        };
        if let Ok(NodeRequest::Receipt { receipt, .. }) = decode_request(envelope, Some(operation.name()), now()) {
            report.ente = receipt.ente.to_string();
            report.notice = Some(receipt.notice_number.to_string());
            report.receipt_id = Some(receipt.receipt_id.to_string());
            report.amount_cents = Some(receipt.amount.cents());
        }
        self.step(
            &mut report,
            "receipt (resend)",
            operation,
            envelope.to_owned(),
            None,
            &Expect::Ok,
        )
        .await;
        report.conclude(started.elapsed());
        report
    }
}

/// `paSendRTV2` or `paSendRT`, as [`node::receipt_request`] writes the receipt.
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
