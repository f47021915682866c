//! Receipts from the Node: `paSendRT` and the receipts reconciliation recovers, recorded with
//! what they did to their positions, and what could not be read as one kept in quarantine.

use super::{NodeOperations, StationIds};
use crate::FaultCode;
use crate::error::DomainError;
use crate::model::{
    DebtPosition, OptionPayment, OutboxEvent, PaymentNotification, PaymentOption, PositionError, PositionStatus,
    QuarantineEntry, Receipt, ReceiptDisposition, StoredReceipt, TransferAccount,
};
use crate::ports::{ReceiptWrite, RecordOutcome, StorageError};

/// What accepting a receipt did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptOutcome {
    /// What the receipt meant.
    pub disposition: ReceiptDisposition,
    /// This receipt id had been received before; nothing was done again.
    pub repeated_delivery: bool,
}

impl ReceiptOutcome {
    /// The fault to answer the Node with, or `None` for OK. A repeated delivery is always OK; a
    /// receipt for an unknown notice is `PAA_PAGAMENTO_SCONOSCIUTO` and a double payment
    /// `PAA_RECEIPT_DUPLICATA`, as GPD and GovPay answer; both are stored first. Every other
    /// disposition, flagged or not, is OK: the receipt settled its own notice (a plan overlap
    /// too, in either order) or cannot be refused.
    pub fn fault(&self) -> Option<FaultCode> {
        if self.repeated_delivery {
            return None;
        }
        match self.disposition {
            ReceiptDisposition::UnknownNotice => Some(FaultCode::PagamentoSconosciuto),
            ReceiptDisposition::DoublePayment { .. } => Some(FaultCode::ReceiptDuplicata),
            _ => None,
        }
    }
}

/// How often a receipt is retried after a concurrent change to its position. Each round of
/// contenders has one winner, so this bounds how many receipts for one position may race: the
/// Node sends one per option and retries, and a plan has at most a few dozen options.
const RECEIPT_ATTEMPTS: usize = 32;

impl NodeOperations {
    /// `paSendRT` / `paSendRTV2`: stores the receipt durably with what it did to its position, and
    /// enqueues the gestionale's notification, all in one transaction. Idempotent on the receipt
    /// id; receipts for unknown, cancelled or already paid notices are stored and flagged.
    pub async fn accept_receipt(&self, station: &StationIds, receipt: Receipt) -> Result<ReceiptOutcome, DomainError> {
        self.check_station(station).await?;
        let recipient = &receipt.delivery.recipient;
        if recipient != &station.ente {
            return Err(DomainError::Semantic(format!(
                "the receipt is addressed to {recipient}, the request to {}",
                station.ente
            )));
        }
        self.record_receipt(receipt).await
    }

    /// A receipt reconciliation read back from pagoPA (see
    /// [`crate::ports::ReceiptSource`]): recorded exactly as a `paSendRT` of it would have
    /// been (its position settled, the gestionale notified), idempotent on the receipt id, so a
    /// `paSendRT` arriving after it is a repeated delivery. Its Ente must be served here.
    pub async fn record_recovered(&self, receipt: Receipt) -> Result<ReceiptOutcome, DomainError> {
        crate::services::served_ente(&self.ports, &receipt.delivery.recipient).await?;
        self.record_receipt(receipt).await
    }

    /// Stores a receipt whose delivery was checked, with what it did to its position.
    async fn record_receipt(&self, receipt: Receipt) -> Result<ReceiptOutcome, DomainError> {
        let recipient = &receipt.delivery.recipient;
        if let Some(stored) = self.ports.receipts.get(recipient, &receipt.receipt_id).await? {
            return Ok(ReceiptOutcome {
                disposition: stored.disposition,
                repeated_delivery: true,
            });
        }
        for _ in 0..RECEIPT_ATTEMPTS {
            let (disposition, position) = self.settle(&receipt).await?;
            let notification = PaymentNotification {
                receipt_id: receipt.receipt_id.clone(),
                ente: recipient.clone(),
                notice_number: receipt.notice_number.clone(),
                iuv: receipt.creditor_reference_id.clone(),
                iupd: position.as_ref().map(|p| p.iupd.clone()),
                amount: receipt.amount,
                paid_at: receipt.paid_at(),
                disposition: disposition.clone(),
                psp_name: receipt.psp.company_name.to_string(),
            };
            let write = ReceiptWrite {
                receipt: StoredReceipt {
                    receipt: receipt.clone(),
                    disposition: disposition.clone(),
                },
                position,
                outbox: vec![OutboxEvent::PaymentReceived(notification)],
            };
            match self.ports.receipts.record(write).await {
                Ok(RecordOutcome::Recorded) => {
                    return Ok(ReceiptOutcome {
                        disposition,
                        repeated_delivery: false,
                    });
                }
                Ok(RecordOutcome::AlreadyRecorded(stored)) => {
                    return Ok(ReceiptOutcome {
                        disposition: stored.disposition,
                        repeated_delivery: true,
                    });
                }
                Err(StorageError::Conflict(_)) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(DomainError::Conflict(format!(
            "the position of notice {}",
            receipt.notice_number
        )))
    }

    /// Decides what the receipt means for its position, and the position as it becomes.
    async fn settle(&self, receipt: &Receipt) -> Result<(ReceiptDisposition, Option<DebtPosition>), DomainError> {
        if receipt.ente != receipt.delivery.recipient {
            return Ok((ReceiptDisposition::SecondaryBeneficiary, None));
        }
        let notice = &receipt.notice_number;
        let Some(mut position) = self.ports.positions.find_by_notice(&receipt.ente, notice).await? else {
            return Ok((ReceiptDisposition::UnknownNotice, None));
        };
        if let Some(paid) = position.option(notice).and_then(|o| o.payment.as_ref()) {
            return Ok((
                ReceiptDisposition::DoublePayment {
                    settled_by: Some(paid.receipt_id.clone()),
                },
                None,
            ));
        }
        let payment = OptionPayment {
            receipt_id: receipt.receipt_id.clone(),
            paid_at: receipt.paid_at(),
            amount: receipt.amount,
        };
        let Some(option) = position.option(notice).cloned() else {
            return Ok((ReceiptDisposition::UnknownNotice, None));
        };
        // Decided before the payment changes the position: late is an expired status, or a due
        // date already past on today's Italian calendar for a position that expires after it;
        // an overlap is a payment of the plan's other kind, or a position already paid.
        let late = position.is_expired_at(&option, self.ports.clock.today());
        let other_receipts = position.overlapping_payments(notice);
        let overlap =
            !other_receipts.is_empty() || matches!(position.status, PositionStatus::Paid | PositionStatus::Reported);
        match position.record_payment(notice, payment, self.ports.clock.now()) {
            Ok(_) => {
                let disposition = if overlap {
                    ReceiptDisposition::PlanOverlap { other_receipts }
                } else if receipt.amount != option.amount {
                    ReceiptDisposition::AmountDiffers {
                        expected: option.amount,
                        paid: receipt.amount,
                    }
                } else if let Some(problem) = transfers_problem(&option, receipt) {
                    ReceiptDisposition::TransfersDiffer { problem }
                } else if late {
                    ReceiptDisposition::SettledAfterExpiry
                } else {
                    ReceiptDisposition::Settled
                };
                Ok((disposition, Some(position)))
            }
            Err(PositionError::IllegalTransition {
                from: PositionStatus::Cancelled,
                ..
            }) => Ok((ReceiptDisposition::CancelledPosition, None)),
            Err(PositionError::IllegalTransition {
                from: PositionStatus::Draft,
                ..
            }) => Ok((ReceiptDisposition::UnknownNotice, None)),
            Err(_) => Ok((ReceiptDisposition::DoublePayment { settled_by: None }, None)),
        }
    }

    /// Keeps what the Node sent that could not be read as a receipt (see [`QuarantineEntry`]),
    /// durably, before the caller answers; returns its id.
    pub async fn quarantine(&self, entry: QuarantineEntry) -> Result<u64, DomainError> {
        Ok(self.ports.quarantine.keep(&entry).await?)
    }
}

/// How the receipt's transfers differ from the option's as an activation would have answered
/// them (an account may be the transfer's IBAN or its postal alternative), or `None`.
fn transfers_problem(option: &PaymentOption, receipt: &Receipt) -> Option<String> {
    if option.transfers.len() != receipt.transfers.len() {
        return Some(format!(
            "{} transfers instead of {}",
            receipt.transfers.len(),
            option.transfers.len()
        ));
    }
    for (expected, paid) in option.transfers.iter().zip(&receipt.transfers) {
        let id = expected.id;
        if paid.amount != expected.amount {
            return Some(format!(
                "transfer {id}: {} cents instead of {}",
                paid.amount.cents(),
                expected.amount.cents()
            ));
        }
        if paid.ente != expected.ente {
            return Some(format!(
                "transfer {id}: credited to {} instead of {}",
                paid.ente, expected.ente
            ));
        }
        let account_matches = match (&expected.account, &paid.iban) {
            (
                TransferAccount::Iban {
                    iban,
                    postal_alternative,
                },
                Some(paid_iban),
            ) => paid_iban == iban || postal_alternative.as_ref() == Some(paid_iban),
            (TransferAccount::Stamp(_), None) => true,
            _ => false,
        };
        if !account_matches {
            let paid_account = paid.iban.as_ref().map_or("a digital stamp", |iban| iban.as_str());
            return Some(format!(
                "transfer {id}: paid to {paid_account}, not to the account we gave"
            ));
        }
    }
    None
}
