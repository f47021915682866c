//! The use cases. Each service owns its rules and calls the ports; none does I/O of its own.

mod cart;
mod node;
mod notify;
mod positions;
mod spontaneous;

pub use cart::{CartPayments, StartCart};
pub use node::{
    ActivateRequest, ActivatedPayment, NodeOperations, NoticeInfo, ReceiptOutcome, StationIds, TransferType,
};
pub use notify::{DispatchReport, GestionaleNotifier};
pub use positions::{DebtorPositions, NoticeState, NoticeSummary, Positions};
pub use spontaneous::{CreatedPayment, SpontaneousPayments, SpontaneousRequest};

use crate::error::DomainError;
use crate::model::Ente;
use crate::ports::Ports;
use crate::value::EnteId;

/// The Ente `id`, or [`DomainError::UnknownEnte`] if it is not served here.
async fn served_ente(ports: &Ports, id: &EnteId) -> Result<Ente, DomainError> {
    ports
        .entes
        .get(id)
        .await?
        .ok_or_else(|| DomainError::UnknownEnte(id.clone()))
}
