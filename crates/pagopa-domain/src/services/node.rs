//! What the pagoPA Node asks of an Ente (`paForNode`): verify a notice, activate it, accept
//! its receipt, and create a spontaneous position on a PSP's request.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::spontaneous::{SpontaneousPayments, SpontaneousRequest};
use crate::FaultCode;
use crate::error::DomainError;
use crate::model::{
    DebtPosition, Ente, FieldKind, OptionPayment, OutboxEvent, PaymentNotification, PaymentOption, PositionDraft,
    PositionError, PositionStatus, PrimitiveVersion, QuarantineEntry, Receipt, ReceiptDisposition, StoredReceipt,
    SubjectId, Transfer, TransferAccount,
};
use crate::ports::{GestionaleError, Ports, PositionRepository, ReceiptWrite, RecordOutcome, StorageError};
use crate::value::{AmountCents, EnteId, NoticeNumber, Text};

/// The ids every Node request carries: `idPA`, `idBrokerPA`, `idStation`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StationIds {
    /// `idPA`.
    pub ente: EnteId,
    /// `idBrokerPA`.
    pub broker: String,
    /// `idStation`.
    pub station: String,
}

/// The payment option a verify returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeInfo {
    /// The creditor Ente.
    pub ente: Ente,
    /// The notice.
    pub notice_number: NoticeNumber,
    /// The current amount.
    pub amount: AmountCents,
    /// Due date.
    pub due_date: NaiveDate,
    /// The position's description.
    pub description: Text<140>,
    /// The option's own description.
    pub detail_description: Text<140>,
    /// Whether every transfer can go to a postal account (`allCCP`).
    pub all_ccp: bool,
}

/// `transferType` of an activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferType {
    /// Transfer 1 must carry a postal IBAN (Bollettino PA).
    Postal,
    /// V2: give the postal alternative as metadata `IBANAPPOGGIO`.
    PagoPa,
}

/// An activation (`paGetPayment` / `paGetPaymentV2`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivateRequest {
    /// The station ids.
    pub station: StationIds,
    /// `qrCode.fiscalCode`.
    pub ente: EnteId,
    /// `qrCode.noticeNumber`.
    pub notice_number: NoticeNumber,
    /// `transferType`.
    pub transfer_type: Option<TransferType>,
    /// V1 or V2.
    pub version: PrimitiveVersion,
    /// `paymentNote`: our cart id for Checkout payments.
    pub payment_note: Option<String>,
}

/// What an activation returns: the position, and its option with transfers as they must be
/// sent for the requested transfer type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivatedPayment {
    /// The creditor Ente.
    pub ente: Ente,
    /// The position.
    pub position: DebtPosition,
    /// The option, transfers adjusted.
    pub option: PaymentOption,
}

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

/// The Node's operations.
#[derive(Clone, Debug)]
pub struct NodeOperations {
    ports: Ports,
}

impl NodeOperations {
    /// The operations over `ports`.
    pub fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Checks the station ids: the Ente is served here through this broker and station.
    pub async fn check_station(&self, ids: &StationIds) -> Result<Ente, DomainError> {
        let ente = super::served_ente(&self.ports, &ids.ente).await?;
        if ente.broker_id.as_str() != ids.broker {
            return Err(DomainError::WrongBroker(ids.broker.clone()));
        }
        if ente.station_id.as_str() != ids.station {
            return Err(DomainError::WrongStation(ids.station.clone()));
        }
        Ok(ente)
    }

    async fn payable(
        &self,
        station: &StationIds,
        ente_id: &EnteId,
        notice: &NoticeNumber,
    ) -> Result<(Ente, DebtPosition, PaymentOption), DomainError> {
        let station_ente = self.check_station(station).await?;
        let ente = if ente_id == &station_ente.id {
            station_ente
        } else {
            // The qrCode Ente must be served through the calling broker and station too
            // (protocol §5: PAA_ID_DOMINIO_ERRATO otherwise).
            let ente = super::served_ente(&self.ports, ente_id).await?;
            if ente.broker_id != station_ente.broker_id || ente.station_id != station_ente.station_id {
                return Err(DomainError::UnknownEnte(ente_id.clone()));
            }
            ente
        };
        let position = match self.ports.positions.find_by_notice(&ente.id, notice).await? {
            Some(position) => position,
            None => self.found_on_demand(&ente, notice).await?,
        };
        let option = position
            .payable_option_on(notice, self.ports.clock.now(), self.ports.clock.today())
            .map_err(|e| DomainError::not_payable(notice, e))?
            .clone();
        Ok((ente, position, option))
    }

    /// A notice we do not hold, asked of the Ente's gestionale when it answers on demand
    /// (`positions_on_demand`) and stored. Unknown when the gestionale does not know it or
    /// cannot be asked; a gestionale that fails or runs out of its time budget is a system
    /// error (`PAA_SYSTEM_ERROR`: the PSP tries again, and finds a late answer stored by then),
    /// never a definitive "unknown notice".
    async fn found_on_demand(&self, ente: &Ente, notice: &NoticeNumber) -> Result<DebtPosition, DomainError> {
        let unknown = || DomainError::UnknownNotice(notice.clone());
        if !ente.positions_on_demand {
            return Err(unknown());
        }
        let draft = match self.ports.gestionale.notice(ente, notice).await {
            Ok(Some(draft)) => draft,
            Ok(None) | Err(GestionaleError::Unsupported) => return Err(unknown()),
            Err(error) => return Err(error.into()),
        };
        store_found_notice(
            self.ports.positions.as_ref(),
            ente,
            notice,
            draft,
            self.ports.clock.now(),
        )
        .await?;
        self.ports
            .positions
            .find_by_notice(&ente.id, notice)
            .await?
            .ok_or_else(unknown)
    }

    /// `paVerifyPaymentNotice`: the current amount and data of a payable notice. No side effects.
    pub async fn verify(
        &self,
        station: &StationIds,
        ente: &EnteId,
        notice: &NoticeNumber,
    ) -> Result<NoticeInfo, DomainError> {
        let (ente, position, option) = self.payable(station, ente, notice).await?;
        Ok(NoticeInfo {
            notice_number: notice.clone(),
            amount: option.amount,
            due_date: option.due_date,
            description: position.description.clone(),
            detail_description: option.description.clone(),
            all_ccp: option.all_postal(),
            ente,
        })
    }

    /// `paGetPayment` / `paGetPaymentV2`: the payment data of a payable notice, transfers adjusted
    /// to the requested transfer type. A read: the position does not change.
    pub async fn activate(&self, request: &ActivateRequest) -> Result<ActivatedPayment, DomainError> {
        let (ente, position, mut option) = self
            .payable(&request.station, &request.ente, &request.notice_number)
            .await?;
        let has_stamp = option
            .transfers
            .iter()
            .any(|t| matches!(t.account, TransferAccount::Stamp(_)));
        if has_stamp && request.version == PrimitiveVersion::V1 {
            return Err(DomainError::Semantic(
                "a notice with a digital stamp can only be paid through paGetPaymentV2".into(),
            ));
        }
        match request.transfer_type {
            Some(TransferType::Postal) => use_postal_account(&mut option.transfers[0])?,
            Some(TransferType::PagoPa) if request.version == PrimitiveVersion::V2 => {
                for transfer in &mut option.transfers {
                    add_postal_metadata(transfer)?;
                }
            }
            _ => {}
        }
        Ok(ActivatedPayment { ente, position, option })
    }

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
        super::served_ente(&self.ports, &receipt.delivery.recipient).await?;
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

    /// `paDemandPaymentNotice`: a PSP asks, for a payer, for a notice of the catalogue service
    /// published as `demand_service_id`, with the form values it decoded from
    /// `datiSpecificiServizioRequest`. Creates the position and answers like a verify.
    pub async fn demand_notice(
        &self,
        station: &StationIds,
        demand_service_id: &str,
        values: BTreeMap<String, String>,
    ) -> Result<NoticeInfo, DomainError> {
        let ente = self.check_station(station).await?;
        let service = self
            .ports
            .catalogue
            .by_demand_id(&ente.id, demand_service_id)
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("service {demand_service_id}")))?;
        // The payer is the value of the form's first fiscal-code field, if it has one.
        let debtor = service
            .form
            .fields
            .iter()
            .find(|f| matches!(f.kind, FieldKind::FiscalCode))
            .and_then(|f| values.get(f.name.as_str()))
            .and_then(|v| v.parse().ok())
            .map(SubjectId::FiscalCode)
            .unwrap_or(SubjectId::Anonymous);
        let request = SpontaneousRequest {
            ente: ente.id.clone(),
            service: service.code.clone(),
            debtor,
            // The payer's code comes from a form filled in at a PSP, not from an identity we
            // verified: the position is not put in that citizen's list.
            debtor_verified: false,
            debtor_name: None,
            values,
        };
        let created = SpontaneousPayments::new(self.ports.clone()).submit(request).await?;
        let option = &created.position.options[0];
        Ok(NoticeInfo {
            notice_number: option.notice_number.clone(),
            amount: option.amount,
            due_date: option.due_date,
            description: created.position.description.clone(),
            detail_description: option.description.clone(),
            all_ccp: option.all_postal(),
            ente,
        })
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

fn use_postal_account(transfer: &mut Transfer) -> Result<(), DomainError> {
    match &mut transfer.account {
        TransferAccount::Iban { iban, .. } if iban.is_italian_postal() => Ok(()),
        TransferAccount::Iban {
            iban,
            postal_alternative,
        } => match postal_alternative.take() {
            Some(postal) => {
                *iban = postal;
                Ok(())
            }
            None => Err(DomainError::Semantic(
                "the Ente has no postal account for this notice".into(),
            )),
        },
        TransferAccount::Stamp(_) => Err(DomainError::Semantic(
            "a digital stamp cannot be paid by postal slip".into(),
        )),
    }
}

fn add_postal_metadata(transfer: &mut Transfer) -> Result<(), DomainError> {
    if let TransferAccount::Iban {
        postal_alternative: Some(postal),
        ..
    } = &transfer.account
    {
        let key = "IBANAPPOGGIO"
            .parse()
            .map_err(|_| DomainError::Semantic("metadata key".into()))?;
        let value = postal
            .as_str()
            .parse()
            .map_err(|_| DomainError::Semantic("metadata value".into()))?;
        transfer
            .metadata
            .insert(key, value)
            .map_err(|_| DomainError::Semantic("too many metadata entries for IBANAPPOGGIO".into()))?;
    }
    Ok(())
}

/// Stores the position a gestionale gave for `notice` at `ente` (found on demand), checked as
/// any position is; one already stored (a concurrent or earlier lookup) is left as it is. Also
/// what stores an answer that came after the time budget ran out.
pub async fn store_found_notice(
    positions: &dyn PositionRepository,
    ente: &Ente,
    notice: &NoticeNumber,
    draft: PositionDraft,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    if !draft.options.iter().any(|o| &o.notice_number == notice) {
        return Err(GestionaleError::Protocol(format!(
            "asked for notice {notice}, the gestionale answered position {} without it",
            draft.iupd
        ))
        .into());
    }
    let position = DebtPosition::create(&ente.id, ente.notice_layout, draft, now)
        .map_err(|e| GestionaleError::Protocol(format!("the position for notice {notice} is invalid: {e}")))?;
    match positions.insert(&position).await {
        Ok(_) | Err(StorageError::Duplicate(_)) => Ok(()),
        Err(other) => Err(other.into()),
    }
}
