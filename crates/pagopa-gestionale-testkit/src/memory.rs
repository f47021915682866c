//! [`MemoryGestionale`]: a gestionale held in memory that follows the contract, idempotent on
//! notifications, with the faults an in-memory model can show.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use pagopa_domain::ports::{Gestionale, GestionaleError, GestionaleQuote, PricingRequest};
use pagopa_domain::{
    CancellationNotification, Ente, EnteId, ExpiryNotification, FiscalCode, NoticeNumber, PaymentNotification,
    PositionDraft,
};

use crate::backend::{Backend, Fault};

#[derive(Debug, Default)]
struct State {
    positions: HashMap<(EnteId, FiscalCode), Vec<PositionDraft>>,
    notices: HashMap<(EnteId, NoticeNumber), PositionDraft>,
    quotes: HashMap<String, GestionaleQuote>,
    fault: Option<Fault>,
    payments: HashMap<String, PaymentNotification>,
    received: usize,
    expiries: HashMap<String, ExpiryNotification>,
    cancellations: HashMap<String, CancellationNotification>,
}

/// A gestionale in memory: both the adapter (it implements [`Gestionale`]) and its own
/// [`Backend`]. Useful as a stand-in in an embedder's tests, and as the model the contract
/// suite is checked against.
///
/// ```
/// use std::sync::Arc;
/// use pagopa_gestionale_testkit::{Backend, MemoryGestionale, Subject};
///
/// let gestionale = Arc::new(MemoryGestionale::default());
/// let subject = Subject::new(gestionale.clone(), gestionale.clone());
/// assert_eq!(subject.backend.distinct_payments(), 0);
/// ```
#[derive(Debug, Default)]
pub struct MemoryGestionale {
    state: Mutex<State>,
}

impl MemoryGestionale {
    fn state(&self) -> MutexGuard<'_, State> {
        // Plain data: still consistent after a panic elsewhere.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The distinct payments received, by `<ente>:<receipt id>`.
    pub fn payments(&self) -> Vec<PaymentNotification> {
        self.state().payments.values().cloned().collect()
    }

    /// The distinct expiry notices received.
    pub fn expiries(&self) -> Vec<ExpiryNotification> {
        self.state().expiries.values().cloned().collect()
    }

    /// The distinct cancellation notices received.
    pub fn cancellations(&self) -> Vec<CancellationNotification> {
        self.state().cancellations.values().cloned().collect()
    }

    /// The error the current fault makes a call answer, if any; `answers_body` tells whether
    /// the call reads a body (a notification's body is ignored, so HTML or another schema
    /// acknowledges it).
    fn fault(&self, answers_body: bool) -> Result<(), GestionaleError> {
        match self.state().fault {
            None | Some(Fault::None) | Some(Fault::Slow(_)) => Ok(()),
            Some(Fault::Down) => Err(GestionaleError::Unavailable("the gestionale is down".into())),
            Some(Fault::ServerError) => Err(GestionaleError::Unavailable("the gestionale answered 500".into())),
            Some(Fault::Html) if answers_body => Err(GestionaleError::Protocol("the body is an HTML page".into())),
            Some(Fault::WrongSchema) if answers_body => {
                Err(GestionaleError::Protocol("the body is JSON of the wrong schema".into()))
            }
            Some(_) => Ok(()),
        }
    }
}

#[async_trait]
impl Gestionale for MemoryGestionale {
    async fn debtor_positions(&self, ente: &Ente, debtor: &FiscalCode) -> Result<Vec<PositionDraft>, GestionaleError> {
        self.fault(true)?;
        Ok(self
            .state()
            .positions
            .get(&(ente.id.clone(), debtor.clone()))
            .cloned()
            .unwrap_or_default())
    }

    async fn price(&self, request: &PricingRequest) -> Result<GestionaleQuote, GestionaleError> {
        self.fault(true)?;
        self.state()
            .quotes
            .get(request.service.as_str())
            .cloned()
            .ok_or_else(|| GestionaleError::Rejected {
                reason: format!("il servizio {} non è prezzato da questo gestionale", request.service),
                fields: Vec::new(),
            })
    }

    async fn notify_payment(&self, notification: &PaymentNotification) -> Result<(), GestionaleError> {
        self.fault(false)?;
        let mut state = self.state();
        state.received += 1;
        let key = format!("{}:{}", notification.ente, notification.receipt_id);
        state.payments.entry(key).or_insert_with(|| notification.clone());
        Ok(())
    }

    async fn notify_expiry(&self, notification: &ExpiryNotification) -> Result<(), GestionaleError> {
        self.fault(false)?;
        let key = format!(
            "{}:{}:{}",
            notification.ente, notification.iupd, notification.last_due_date
        );
        self.state().expiries.entry(key).or_insert_with(|| notification.clone());
        Ok(())
    }

    async fn notify_cancellation(&self, notification: &CancellationNotification) -> Result<(), GestionaleError> {
        self.fault(false)?;
        let key = format!("{}:{}", notification.ente, notification.iupd);
        self.state()
            .cancellations
            .entry(key)
            .or_insert_with(|| notification.clone());
        Ok(())
    }

    async fn notice(&self, ente: &Ente, notice: &NoticeNumber) -> Result<Option<PositionDraft>, GestionaleError> {
        self.fault(true)?;
        Ok(self.state().notices.get(&(ente.id.clone(), notice.clone())).cloned())
    }
}

impl Backend for MemoryGestionale {
    fn hold_positions(&self, ente: &EnteId, debtor: &FiscalCode, drafts: Vec<PositionDraft>) {
        self.state().positions.insert((ente.clone(), debtor.clone()), drafts);
    }

    fn hold_notice(&self, ente: &EnteId, draft: PositionDraft) {
        let mut state = self.state();
        for option in &draft.options {
            state
                .notices
                .insert((ente.clone(), option.notice_number.clone()), draft.clone());
        }
    }

    fn set_quote(&self, service: &str, quote: GestionaleQuote) {
        self.state().quotes.insert(service.to_owned(), quote);
    }

    fn set_fault(&self, fault: Fault) {
        self.state().fault = Some(fault);
    }

    fn supports(&self, fault: Fault) -> bool {
        // An in-memory call cannot be slow to itself: there is no transport to time out.
        !matches!(fault, Fault::Slow(_))
    }

    fn distinct_payments(&self) -> usize {
        self.state().payments.len()
    }

    fn received_payments(&self) -> usize {
        self.state().received
    }
}
