//! The errors the use-case services return, and the pagoPA fault each one is reported as.

use std::fmt;

use crate::model::{CartError, FieldError, NotPayable, PayabilityError, PositionError, PricingError};
use crate::ports::{CheckoutError, GestionaleError, StorageError};
use crate::value::{EnteId, NoticeNumber};

/// The fault codes an Ente returns to the pagoPA Node (protocol §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FaultCode {
    /// The request is not valid against the XSD.
    SintassiXsd,
    /// Another syntax problem.
    SintassiExtraXsd,
    /// `idPA` (or the notice's Ente) is not served by this station.
    IdDominioErrato,
    /// `idBrokerPA` is not ours.
    IdIntermediarioErrato,
    /// `idStation` is not ours.
    StazioneIntErrata,
    /// Notice unknown (or not published).
    PagamentoSconosciuto,
    /// Position expired.
    PagamentoScaduto,
    /// Position cancelled.
    PagamentoAnnullato,
    /// Position already paid.
    PagamentoDuplicato,
    /// A payment of the same debt is in progress at the Ente.
    PagamentoInCorso,
    /// A different receipt for an already paid position.
    ReceiptDuplicata,
    /// Any other semantic error.
    Semantica,
    /// Internal failure.
    SystemError,
}

impl FaultCode {
    /// The code as pagoPA spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SintassiXsd => "PAA_SINTASSI_XSD",
            Self::SintassiExtraXsd => "PAA_SINTASSI_EXTRAXSD",
            Self::IdDominioErrato => "PAA_ID_DOMINIO_ERRATO",
            Self::IdIntermediarioErrato => "PAA_ID_INTERMEDIARIO_ERRATO",
            Self::StazioneIntErrata => "PAA_STAZIONE_INT_ERRATA",
            Self::PagamentoSconosciuto => "PAA_PAGAMENTO_SCONOSCIUTO",
            Self::PagamentoScaduto => "PAA_PAGAMENTO_SCADUTO",
            Self::PagamentoAnnullato => "PAA_PAGAMENTO_ANNULLATO",
            Self::PagamentoDuplicato => "PAA_PAGAMENTO_DUPLICATO",
            Self::PagamentoInCorso => "PAA_PAGAMENTO_IN_CORSO",
            Self::ReceiptDuplicata => "PAA_RECEIPT_DUPLICATA",
            Self::Semantica => "PAA_SEMANTICA",
            Self::SystemError => "PAA_SYSTEM_ERROR",
        }
    }
}

impl fmt::Display for FaultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a use case failed.
///
/// The first group of variants maps one to one onto a pagoPA fault code ([`Self::fault_code`]);
/// the others are the Front-End's and operators' errors (reported to the Node, where they can
/// arise there at all, as `PAA_SEMANTICA` or `PAA_SYSTEM_ERROR`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DomainError {
    /// The Ente is not served here. `PAA_ID_DOMINIO_ERRATO`.
    #[error("Ente {0} is not served by this installation")]
    UnknownEnte(EnteId),
    /// The broker id is not the Ente's. `PAA_ID_INTERMEDIARIO_ERRATO`.
    #[error("broker {0} is not the intermediary of this Ente")]
    WrongBroker(String),
    /// The station id is not the Ente's. `PAA_STAZIONE_INT_ERRATA`.
    #[error("station {0} is not the station of this Ente")]
    WrongStation(String),
    /// No position has this notice, or it is not published. `PAA_PAGAMENTO_SCONOSCIUTO`.
    #[error("notice {0} is unknown")]
    UnknownNotice(NoticeNumber),
    /// `PAA_PAGAMENTO_SCADUTO`.
    #[error("notice {0} has expired")]
    Expired(NoticeNumber),
    /// `PAA_PAGAMENTO_ANNULLATO`.
    #[error("notice {0} was cancelled")]
    Cancelled(NoticeNumber),
    /// `PAA_PAGAMENTO_DUPLICATO`.
    #[error("notice {0} is already paid")]
    AlreadyPaid(NoticeNumber),
    /// The notice is held by a Checkout cart whose session is still open. `PAA_PAGAMENTO_IN_CORSO`.
    #[error("notice {0} is being paid in another cart")]
    PaymentInProgress(NoticeNumber),
    /// A different receipt for an option already paid. `PAA_RECEIPT_DUPLICATA`.
    #[error("notice {0} was already paid by another receipt")]
    DuplicateReceipt(NoticeNumber),
    /// A request that is well formed but makes no sense here. `PAA_SEMANTICA`.
    #[error("{0}")]
    Semantic(String),
    /// Storage failed. `PAA_SYSTEM_ERROR`.
    #[error("storage failed")]
    Storage(#[from] StorageError),

    /// A position that breaks the rules.
    #[error(transparent)]
    InvalidPosition(#[from] PositionError),
    /// A cart that breaks the rules.
    #[error(transparent)]
    InvalidCart(#[from] CartError),
    /// Form values that do not pass validation; every problem is listed.
    #[error("the form has {} invalid field(s)", .0.len())]
    InvalidForm(Vec<FieldError>),
    /// The request could not be priced.
    #[error(transparent)]
    Pricing(#[from] PricingError),
    /// No such record (service, cart, position, receipt) for the caller.
    #[error("{0} not found")]
    NotFound(String),
    /// The caller's precondition (the version it read) no longer holds.
    #[error("{0}")]
    PreconditionFailed(String),
    /// An Ente's settings are unusable; the error names the key.
    #[error("invalid Ente settings: {0}")]
    InvalidEnteSettings(crate::model::EnteSettingsFieldError),
    /// The service exists but cannot be requested now.
    #[error("service {0} is not active")]
    ServiceInactive(String),
    /// The Ente's IUV space is used up.
    #[error("Ente {0} has no IUV left in its notice layout")]
    IuvExhausted(EnteId),
    /// The record kept changing under us; the caller may retry.
    #[error("{0} was changed concurrently, try again")]
    Conflict(String),
    /// The gestionale failed or refused.
    #[error(transparent)]
    Gestionale(#[from] GestionaleError),
    /// Checkout failed or refused.
    #[error(transparent)]
    Checkout(#[from] CheckoutError),
    /// A reconciliation flow that cannot be taken.
    #[error(transparent)]
    InvalidFlow(#[from] crate::model::FlowError),
    /// The source of the flows failed or refused.
    #[error("the flow source failed: {0}")]
    FlowSource(#[from] crate::ports::FlowSourceError),
}

impl DomainError {
    /// The pagoPA fault this error is reported as.
    pub fn fault_code(&self) -> FaultCode {
        match self {
            Self::UnknownEnte(_) => FaultCode::IdDominioErrato,
            Self::WrongBroker(_) => FaultCode::IdIntermediarioErrato,
            Self::WrongStation(_) => FaultCode::StazioneIntErrata,
            Self::UnknownNotice(_) => FaultCode::PagamentoSconosciuto,
            Self::Expired(_) => FaultCode::PagamentoScaduto,
            Self::Cancelled(_) => FaultCode::PagamentoAnnullato,
            Self::AlreadyPaid(_) => FaultCode::PagamentoDuplicato,
            Self::PaymentInProgress(_) => FaultCode::PagamentoInCorso,
            Self::DuplicateReceipt(_) => FaultCode::ReceiptDuplicata,
            Self::Semantic(_)
            | Self::InvalidPosition(_)
            | Self::InvalidCart(_)
            | Self::InvalidForm(_)
            | Self::Pricing(_)
            | Self::NotFound(_)
            | Self::InvalidEnteSettings(_)
            | Self::PreconditionFailed(_)
            | Self::ServiceInactive(_)
            | Self::IuvExhausted(_)
            | Self::InvalidFlow(_) => FaultCode::Semantica,
            Self::Gestionale(GestionaleError::Rejected { .. }) => FaultCode::Semantica,
            Self::Storage(_) | Self::Conflict(_) | Self::Gestionale(_) | Self::Checkout(_) | Self::FlowSource(_) => {
                FaultCode::SystemError
            }
        }
    }

    /// The error for a notice that cannot be paid for `reason`.
    pub fn not_payable(notice: &NoticeNumber, reason: PayabilityError) -> Self {
        let notice = notice.clone();
        match reason {
            PayabilityError::UnknownNotice | PayabilityError::NotPayable(NotPayable::NotPublished) => {
                Self::UnknownNotice(notice)
            }
            PayabilityError::NotPayable(NotPayable::Expired) => Self::Expired(notice),
            PayabilityError::NotPayable(NotPayable::Cancelled) => Self::Cancelled(notice),
            PayabilityError::NotPayable(NotPayable::AlreadyPaid) => Self::AlreadyPaid(notice),
            PayabilityError::NotPayable(NotPayable::InstalmentsStarted) => Self::Semantic(format!(
                "notice {notice} is the single solution of a plan whose instalments are being paid"
            )),
        }
    }
}

/// An error and its causes on one line (`a: b: c`), for a log field or an operator's message.
///
/// ```
/// #[derive(Debug, thiserror::Error)]
/// #[error("cannot notify")]
/// struct Notify(#[source] std::io::Error);
///
/// let error = Notify(std::io::Error::other("connection refused"));
/// assert_eq!(pagopa_domain::cause_chain(&error), "cannot notify: connection refused");
/// ```
pub fn cause_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
