//! What a payment or a demand should do: fault injection, Checkout details, the demand's form.

use std::collections::BTreeMap;
use std::time::Duration;

use pagopa_domain::services::TransferType;

use crate::receipt::NoticeCopy;

/// The receipt call made to time out, then resent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReceiptTimeout {
    /// The client timeout of the first call (default 1 ms: the request leaves, the answer is
    /// not awaited).
    pub client_timeout: Duration,
    /// The pause before the resend (default 100 ms, as a retry queue would wait).
    pub resend_after: Duration,
}

impl Default for ReceiptTimeout {
    fn default() -> Self {
        Self {
            client_timeout: Duration::from_millis(1),
            resend_after: Duration::from_millis(100),
        }
    }
}

/// How to pay: fault injection and Checkout details. The default is a plain modello-3 payment.
#[derive(Clone, Debug, Default)]
pub struct PayOptions {
    /// Send the same receipt twice; the second must be OK too.
    pub duplicate: bool,
    /// Wait this long between activation and receipt.
    pub late: Option<Duration>,
    /// Stop after the activation: no receipt (a payment abandoned on the PSP's page).
    pub abandon: bool,
    /// No verify or activation reaches the Ente: a receipt with `standIn` true, from
    /// `stand_in_copy` or, without it, from a verify made only to read the notice.
    pub stand_in: bool,
    /// The Node's copy of the notice for `stand_in`.
    pub stand_in_copy: Option<NoticeCopy>,
    /// After the receipt, send another with a different `receiptId`: expect
    /// `PAA_RECEIPT_DUPLICATA`.
    pub second_receipt: bool,
    /// Make the receipt call time out, then resend the same receipt, which must be OK.
    pub timeout: Option<ReceiptTimeout>,
    /// `paymentNote` of the activation and the receipt (a Checkout cart's `idCart`).
    pub payment_note: Option<String>,
    /// `transferType` of the activation (`POSTAL` for a cart with `allCCP`).
    pub transfer_type: Option<TransferType>,
    /// Expect the verify or the activation to answer KO with this fault (e.g.
    /// `PAA_PAGAMENTO_DUPLICATO`): then no receipt is sent and that outcome is a success.
    pub expect_fault: Option<String>,
    /// The Node never delivers the receipt: the payment happened (the flows report it,
    /// pagoPA's receipts service holds it) but no `paSendRT` reaches the Ente.
    pub lose_receipt: bool,
}

impl PayOptions {
    /// A short name of the scenario, for reports: `modello 3`, `Stand-In`, with the injected
    /// faults in brackets (`modello 3 [duplicate, second-receipt]`). It never contains the bare
    /// word "receipt", so scripts can find the id after it in the report's first line.
    pub fn scenario(&self) -> String {
        let base = if self.stand_in { "Stand-In" } else { "modello 3" };
        let mut faults = Vec::new();
        if self.abandon {
            faults.push("abandon".to_owned());
        }
        if let Some(late) = self.late {
            faults.push(format!("late {} ms", late.as_millis()));
        }
        if self.timeout.is_some() {
            faults.push("timeout+resend".into());
        }
        if self.duplicate {
            faults.push("duplicate".into());
        }
        if self.second_receipt {
            faults.push("second-receipt".into());
        }
        if self.lose_receipt {
            faults.push("lost-receipt".into());
        }
        if let Some(code) = &self.expect_fault {
            faults.push(format!("expect {code}"));
        }
        if faults.is_empty() {
            base.to_owned()
        } else {
            format!("{base} [{}]", faults.join(", "))
        }
    }
}

/// A `paDemandPaymentNotice` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemandRequest {
    /// `idServizio` (5 characters), e.g. `90001`.
    pub service_id: String,
    /// `idSoggettoServizio` (5 characters), default `00101`.
    pub subject_service_id: String,
    /// The form values, written as the leaves of the service document (snake case names become
    /// camel case).
    pub values: BTreeMap<String, String>,
    /// The root element of the service document (default `richiesta`).
    pub document_root: String,
}

impl DemandRequest {
    /// A request for `service_id` with these values.
    pub fn new(service_id: impl Into<String>, values: BTreeMap<String, String>) -> Self {
        Self {
            service_id: service_id.into(),
            subject_service_id: "00101".into(),
            values,
            document_root: "richiesta".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_never_hold_the_bare_word_receipt() {
        for bits in 0..128u8 {
            let options = PayOptions {
                abandon: bits & 1 != 0,
                late: (bits & 2 != 0).then(|| Duration::from_millis(5)),
                timeout: (bits & 4 != 0).then(ReceiptTimeout::default),
                duplicate: bits & 8 != 0,
                second_receipt: bits & 16 != 0,
                stand_in: bits & 32 != 0,
                lose_receipt: bits & 64 != 0,
                ..PayOptions::default()
            };
            let name = options.scenario();
            assert!(
                !name.split_whitespace().any(|w| w.eq_ignore_ascii_case("receipt")),
                "{name}"
            );
        }
        let options = PayOptions {
            duplicate: true,
            second_receipt: true,
            ..PayOptions::default()
        };
        assert_eq!(options.scenario(), "modello 3 [duplicate, second-receipt]");
        assert_eq!(PayOptions::default().scenario(), "modello 3");
        let lost = PayOptions {
            lose_receipt: true,
            ..PayOptions::default()
        };
        assert_eq!(lost.scenario(), "modello 3 [lost-receipt]");
    }
}
