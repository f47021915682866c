//! What the pagoPA Node asks of an Ente (`paForNode`): verify a notice, activate it, accept
//! its receipt ([`receipts`]), and create a spontaneous position on a PSP's request
//! ([`demand`]).

mod demand;
mod receipts;

use chrono::NaiveDate;

pub use demand::store_found_notice;
pub use receipts::ReceiptOutcome;

use crate::error::DomainError;
use crate::model::{DebtPosition, Ente, PaymentOption, PrimitiveVersion, Transfer, TransferAccount};
use crate::ports::Ports;
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
