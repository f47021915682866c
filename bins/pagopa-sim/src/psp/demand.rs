//! `paDemandPaymentNotice`: the Ente makes a notice for a service, which the PSP can then pay.

use std::time::Instant;

use pagopa_domain::value::EnteId;
use pagopa_nodo::soap::Operation;
use pagopa_nodo::soap::node;

use super::{DemandRequest, PayOptions, Simulator};
use crate::report::{Expect, PaymentReport};

impl Simulator {
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
}
