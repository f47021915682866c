//! The use cases. Each service owns its rules and calls the ports; none does I/O of its own.

mod cart;
mod entes;
mod expiry;
mod imports;
mod node;
mod notify;
mod positions;
mod reconciliation;
mod spontaneous;

pub use cart::{CartPayments, StartCart};
pub use entes::EnteAdmin;
pub use expiry::PositionExpiry;
pub use imports::{BatchPlan, IMPORT_BATCH, Imports};
pub use node::{
    ActivateRequest, ActivatedPayment, NodeOperations, NoticeInfo, ReceiptOutcome, StationIds, TransferType,
    store_found_notice,
};
pub use notify::{DispatchReport, GestionaleNotifier};
pub use positions::{DebtorPositions, NoticeState, NoticeSummary, Positions};
pub use reconciliation::{
    ExportPage, FetchOutcome, FetchSchedule, IngestReport, MAX_PERIOD_DAYS, ReceiptRecovery, Reconciliation,
    ReconciliationSettings, RecoveryOutcome, RecoverySettings, StatementReport, SweepReport,
};
pub use spontaneous::{CreatedPayment, SpontaneousPayments, SpontaneousRequest};

use crate::error::DomainError;
use crate::model::Ente;
use crate::ports::Ports;
use crate::value::EnteId;

/// The Ente `id`, or [`DomainError::UnknownEnte`] if it is not served here (unknown, or
/// disabled).
async fn served_ente(ports: &Ports, id: &EnteId) -> Result<Ente, DomainError> {
    ports
        .entes
        .get(id)
        .await?
        .filter(|ente| ente.enabled)
        .ok_or_else(|| DomainError::UnknownEnte(id.clone()))
}

/// Every use case over one set of ports.
#[derive(Clone, Debug)]
pub struct Services {
    /// Positions for citizens, the public and operators.
    pub positions: Positions,
    /// The spontaneous catalogue and requests.
    pub spontaneous: SpontaneousPayments,
    /// Checkout carts.
    pub carts: CartPayments,
    /// The Node's operations.
    pub node: NodeOperations,
    /// The outbox dispatcher.
    pub notifier: GestionaleNotifier,
    /// Operators' management of Enti.
    pub entes: EnteAdmin,
    /// Expiry by time.
    pub expiry: PositionExpiry,
    /// Bulk loads.
    pub imports: Imports,
    /// Reconciliation of flows, receipts and bank credits.
    pub reconciliation: Reconciliation,
}

impl Services {
    /// Every use case over `ports`, with default settings.
    pub fn new(ports: Ports) -> Self {
        Self {
            positions: Positions::new(ports.clone()),
            spontaneous: SpontaneousPayments::new(ports.clone()),
            carts: CartPayments::new(ports.clone(), CartPayments::DEFAULT_SESSION_LIFETIME),
            node: NodeOperations::new(ports.clone()),
            entes: EnteAdmin::new(ports.clone()),
            expiry: PositionExpiry::new(ports.clone()),
            imports: Imports::new(ports.clone()),
            reconciliation: Reconciliation::new(
                ports.reconciliation.clone(),
                ports.entes.clone(),
                ports.positions.clone(),
                ports.clock.clone(),
                ReconciliationSettings::default(),
            ),
            notifier: GestionaleNotifier::new(
                ports,
                crate::model::RetryPolicy::default(),
                chrono::Duration::minutes(5),
            ),
        }
    }
}
