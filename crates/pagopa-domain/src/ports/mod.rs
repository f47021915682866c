//! The ports: what the domain needs from the outside world, as object-safe async traits used
//! as `Arc<dyn Port>`. Adapters (storage, pagoPA, gestionale) implement them; the services call
//! them. Each trait states its error contract.

mod checkout;
mod gestionale;
mod idempotency;
mod reconciliation;
mod storage;
mod system;

use std::sync::Arc;

pub use checkout::{CheckoutCart, CheckoutError, CheckoutNotice, CheckoutRedirect, PagoPaCheckout};
pub use gestionale::{Gestionale, GestionaleError, GestionaleQuote, PricingRequest};
pub use idempotency::{IdempotencyClaim, IdempotencyStore};
pub use reconciliation::{
    AnomalyQuery, CreditQuery, FlowCursor, FlowQuery, FlowSource, FlowSourceError, LineLink, ReceiptLinks,
    ReceiptLinksCursor, ReceiptSource, ReconciliationRepository,
};
pub use storage::{
    CartRepository, CatalogueRepository, EnteRepository, EnteSaved, ImportRepository, ImportWrite, MAX_PAGE, Outbox,
    OutboxQuery, Page, PositionCursor, PositionQuery, PositionRepository, Quarantine, QuarantineQuery, ReceiptCursor,
    ReceiptQuery, ReceiptRepository, ReceiptWrite, RecordOutcome, StorageError,
};
pub use system::{Clock, IdGenerator, IuvAllocator, SystemClock};

/// A boxed error from an adapter, kept as the `source` of a domain error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Every port the services use, chosen at start-up. Cloning is cheap (reference counts).
#[derive(Clone)]
pub struct Ports {
    /// Enti and their settings.
    pub entes: Arc<dyn EnteRepository>,
    /// The spontaneous catalogue.
    pub catalogue: Arc<dyn CatalogueRepository>,
    /// Debt positions.
    pub positions: Arc<dyn PositionRepository>,
    /// Receipts.
    pub receipts: Arc<dyn ReceiptRepository>,
    /// Checkout carts.
    pub carts: Arc<dyn CartRepository>,
    /// Messages for the gestionale.
    pub outbox: Arc<dyn Outbox>,
    /// What the Node sent that could not be read.
    pub quarantine: Arc<dyn Quarantine>,
    /// Idempotency keys of retried requests.
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// IUV bases.
    pub iuv: Arc<dyn IuvAllocator>,
    /// Bulk loads.
    pub imports: Arc<dyn ImportRepository>,
    /// Reconciliation: flows, bank credits, anomalies.
    pub reconciliation: Arc<dyn ReconciliationRepository>,
    /// The Enti's gestionali.
    pub gestionale: Arc<dyn Gestionale>,
    /// pagoPA Checkout.
    pub checkout: Arc<dyn PagoPaCheckout>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Fresh ids.
    pub ids: Arc<dyn IdGenerator>,
}

impl Ports {
    /// Ports whose storage is one object implementing every storage port (a database adapter
    /// or the in-memory store), with the other adapters given apart.
    pub fn with_storage<S>(
        store: Arc<S>,
        gestionale: Arc<dyn Gestionale>,
        checkout: Arc<dyn PagoPaCheckout>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self
    where
        S: EnteRepository
            + CatalogueRepository
            + PositionRepository
            + ReceiptRepository
            + CartRepository
            + Outbox
            + Quarantine
            + IdempotencyStore
            + IuvAllocator
            + ImportRepository
            + ReconciliationRepository
            + 'static,
    {
        Self {
            entes: store.clone(),
            catalogue: store.clone(),
            positions: store.clone(),
            receipts: store.clone(),
            carts: store.clone(),
            outbox: store.clone(),
            quarantine: store.clone(),
            idempotency: store.clone(),
            imports: store.clone(),
            reconciliation: store.clone(),
            iuv: store,
            gestionale,
            checkout,
            clock,
            ids,
        }
    }
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}
