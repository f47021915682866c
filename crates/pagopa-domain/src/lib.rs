//! The pagoPA payments domain of an Ente: value types, debt positions, receipts, carts, the
//! spontaneous catalogue, the ports adapters implement, and the use-case services. No I/O.
//!
//! - [`value`]: types that cannot hold invalid data ([`NoticeNumber`], [`FiscalCode`],
//!   [`AmountCents`], …), re-exported here.
//! - [`model`]: the aggregates and their rules ([`DebtPosition`], [`Receipt`], [`Cart`],
//!   [`SpontaneousService`], …), re-exported here.
//! - [`ports`]: the traits adapters implement, and [`ports::Ports`], the bundle services use.
//! - [`services`]: the use cases, for the REST API and for the pagoPA Node.
//! - `memory` (feature `memory`): in-memory implementations of every port.
//! - [`demo`]: a sample Ente, catalogue and positions for examples, tests and demo mode.

#![warn(missing_docs)]

pub mod demo;
mod error;
pub mod gestionali;
#[cfg(feature = "memory")]
pub mod memory;
pub mod model;
pub mod ports;
pub mod services;
pub mod value;

pub use error::{DomainError, FaultCode, cause_chain};
pub use model::*;
pub use value::*;
