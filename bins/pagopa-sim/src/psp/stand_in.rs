//! Stand-In: the Node answers from its copy of the notice, no activation reaches the Ente, and
//! the receipt says `standIn=true`.

use pagopa_domain::model::Receipt;
use pagopa_domain::services::StationIds;
use pagopa_domain::value::NoticeNumber;
use pagopa_nodo::soap::Operation;
use pagopa_nodo::soap::node;

use super::{PayOptions, Simulator};
use crate::receipt::{NoticeCopy, stand_in_receipt};
use crate::report::{Expect, PaymentReport};

impl Simulator {
    pub(super) async fn stand_in(
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
}
