//! The port implementations, one module per aggregate.

pub(crate) mod audit;
mod carts;
mod entes;
mod expiry;
mod idempotency;
mod imports;
mod iuv;
mod outbox;
mod positions;
mod quarantine;
mod receipts;
mod reconciliation;

pub(crate) use expiry::ExpiryStore;
pub(crate) use outbox::OutboxStore;
pub(crate) use positions::PositionStore;
