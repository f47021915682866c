//! What the suite needs besides the adapter: the gestionale behind it, to put data in and
//! inject faults.

use std::sync::Arc;
use std::time::Duration;

use pagopa_domain::ports::{Gestionale, GestionaleQuote};
use pagopa_domain::{EnteId, FiscalCode, PositionDraft};

/// A fault the gestionale behind the adapter is told to show, on every call until cleared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// It answers normally.
    None,
    /// It cannot be reached (connection refused, or the in-memory equivalent).
    Down,
    /// It answers normally, after this delay.
    Slow(Duration),
    /// It answers an HTML page with status 200 (a proxy or a login page in front of it).
    Html,
    /// It answers 500.
    ServerError,
    /// It answers JSON of the wrong schema with status 200.
    WrongSchema,
}

/// The gestionale behind an adapter under test.
pub trait Backend: Send + Sync {
    /// Positions it holds for a debtor at an Ente.
    fn hold_positions(&self, ente: &EnteId, debtor: &FiscalCode, drafts: Vec<PositionDraft>);
    /// A position it returns when asked for one of its notices.
    fn hold_notice(&self, ente: &EnteId, draft: PositionDraft);
    /// The price of a service; a request for another service is refused on its merits.
    fn set_quote(&self, service: &str, quote: GestionaleQuote);
    /// The fault to show from now on ([`Fault::None`] clears it).
    fn set_fault(&self, fault: Fault);
    /// Whether it can show this fault (an in-memory gestionale cannot be slow to an adapter
    /// that has no clock of its own, for instance); checks of other faults are skipped.
    fn supports(&self, fault: Fault) -> bool;
    /// How many distinct payment notifications it stored (by Ente and receipt id).
    fn distinct_payments(&self) -> usize;
    /// How many payment notifications it received, repeats included.
    fn received_payments(&self) -> usize;
}

/// What the contract suite runs against: an adapter, its backend, and the time budget of one
/// call the adapter promises to keep (a slow gestionale must make it fail as unavailable within
/// the budget, plus a margin).
#[derive(Clone)]
pub struct Subject {
    /// The adapter under test.
    pub gestionale: Arc<dyn Gestionale>,
    /// The gestionale behind it.
    pub backend: Arc<dyn Backend>,
    /// The adapter's time budget for one call.
    pub budget: Duration,
}

impl std::fmt::Debug for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subject")
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

impl Subject {
    /// A subject with a budget of 1 s.
    pub fn new(gestionale: Arc<dyn Gestionale>, backend: Arc<dyn Backend>) -> Self {
        Self {
            gestionale,
            backend,
            budget: Duration::from_secs(1),
        }
    }

    /// The same with another time budget.
    pub fn with_budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }
}
