//! The second half of a payment: the receipt sent to the Ente (late, timed out and resent,
//! duplicated, followed by a second receipt, or lost), kept for resends, and the resends.

use std::time::{Duration, Instant};

use pagopa_domain::model::ReceiptId;
use pagopa_nodo::soap::node;
use pagopa_nodo::soap::{NodeRequest, Operation, decode_request};

use super::{Activation, PayOptions, RECEIPT_DUPLICATE_FAULT, Simulator, receipt_operation, request_operation};
use crate::flows::SentPayment;
use crate::receipt::{fresh_receipt_id, now};
use crate::report::{Expect, PaymentReport};

impl Simulator {
    fn keep(&self, report: &mut PaymentReport, receipt_id: &ReceiptId, envelope: &str) {
        if let Err(e) = self.receipts.save(receipt_id, envelope) {
            report
                .notes
                .push(format!("receipt {receipt_id} not kept for resends: {e}"));
        }
    }

    /// The second half of a payment: the receipt (late, timed out and resent, duplicated,
    /// followed by a second receipt, or lost, as `options` ask). A lost receipt is recorded for
    /// the flows and held for the biz-events receipts API ([`FlowDesk::hold`](crate::flows::FlowDesk::hold)), never sent.
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
