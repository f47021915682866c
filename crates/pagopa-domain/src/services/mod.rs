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
