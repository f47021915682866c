//! The payment models: Enti, debt positions, receipts, carts, the spontaneous catalogue and the
//! outbox. Pure data and rules; storage and transport live in adapters.

pub mod calendar;
pub mod cart;
pub mod catalogue;
pub mod ente;
mod ente_settings;
mod ids;
pub mod import;
pub mod outbox;
pub mod position;
pub mod quarantine;
pub mod receipt;
pub mod reconciliation;
mod subject;

pub use cart::{Cart, CartError, CartItem, CartStatus, ReturnUrls};
pub use catalogue::{
    AccountTemplate, AmountRule, CatalogueError, Choice, Decimal, Field, FieldError, FieldKind, FieldName,
    FieldProblem, FieldValue, Form, FormValues, Formula, Pattern, PriceEntry, PricingError, Share, SpontaneousService,
    TransferTemplate, render_template,
};
pub use ente::{Ente, EnteLogo, EnteSettingsError, GestionaleName, LogoFormat, MAX_LOGO_BYTES, NoticeLanguage};
pub use ente_settings::{EnteSettings, EnteSettingsFieldError};
pub use ids::{CartId, FlowId, IdentifierError, Iupd, PartyId, ReceiptId, ServiceCode};
pub use import::{
    ImportContent, ImportDraft, ImportFormat, ImportId, ImportItem, ImportRecord, ImportStatus, NewImport,
    REPORT_COLUMNS, ReportLine, RowIssue, RowOutcome, RowRef,
};
pub use outbox::{
    CancellationNotification, DeliveryLimits, ExpiryNotification, OutboxEvent, OutboxMessage, OutboxState,
    PaymentNotification, RetryPolicy,
};
pub use position::{
    DebtPosition, Instalment, NotPayable, OptionPayment, Origin, PayabilityError, PaymentEffect, PaymentOption,
    PositionDraft, PositionError, PositionStatus, StampRequest, Transfer, TransferAccount,
};
pub use quarantine::{MAX_QUARANTINED_BYTES, QuarantineEntry, QuarantinedMessage};
pub use receipt::{Delivery, PrimitiveVersion, Psp, Receipt, ReceiptDisposition, ReceiptTransfer, StoredReceipt};
pub use reconciliation::{
    Anomaly, AnomalyCode, AnomalyDraft, AnomalyLinks, AnomalyScope, AnomalyStatus, AnomalySync, BankCredit,
    BankStatement, CollectedCursor, CollectedPayment, CreditMatch, CreditReference, DayStatus, FetchState, FetchedFlow,
    FlowError, FlowKey, FlowLine, FlowOrigin, FlowRevision, FlowStatus, FlowStored, FlowSummary, LineMatch,
    LineOutcome, PublishedFlow, RawDocument, Resolution, StatementFormat, StatementStored, StatementSummary,
    StoredCredit, StoredFlow, Tally, UnreportedReceipt,
};
pub use subject::{
    CountryCode, Email, InvalidText, Metadata, MetadataEntry, Province, Subject, SubjectId, TooManyEntries,
};
