//! The first half of a payment: verify and activation, and the receipt built from their
//! answers.

use std::time::Instant;

use pagopa_domain::model::{PrimitiveVersion, Receipt};
use pagopa_domain::services::{ActivateRequest, StationIds};
use pagopa_domain::value::{EnteId, NoticeNumber};
use pagopa_nodo::soap::Operation;
use pagopa_nodo::soap::node;

use super::{Activation, PayOptions, Simulator};
use crate::receipt::receipt_from_activation;
use crate::report::PaymentReport;

impl Simulator {
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
}
