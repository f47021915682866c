//! In-memory implementations of every port, for tests, examples and embedders' own tests.
//!
//! [`MemoryStore`] implements all storage ports over one mutex, so each call is atomic as a
//! database transaction would be; the fakes stand in for the gestionale, Checkout, the clock
//! and id generation, and record what they were asked.
//!
//! ```
//! use pagopa_domain::memory::MemoryWorld;
//!
//! let world = MemoryWorld::new();
//! let services = world.services();
//! # let _ = services;
//! ```

mod fakes;
mod store;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};

pub use fakes::{FakeCheckout, FakeGestionale, ManualClock, SequentialIds};
pub use store::MemoryStore;

use crate::ports::Ports;
use crate::services::Services;

/// A complete in-memory world: a store, the fakes, and the ports wired over them.
#[derive(Clone, Debug)]
pub struct MemoryWorld {
    /// All storage.
    pub store: Arc<MemoryStore>,
    /// The gestionale.
    pub gestionale: Arc<FakeGestionale>,
    /// Checkout.
    pub checkout: Arc<FakeCheckout>,
    /// The clock, starting at 2026-11-25 10:00 UTC.
    pub clock: Arc<ManualClock>,
}

impl Default for MemoryWorld {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryWorld {
    /// The instant the clock starts at.
    pub fn start_time() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0)
            .single()
            .unwrap_or_default()
    }

    /// An empty world.
    pub fn new() -> Self {
        Self {
            store: Arc::new(MemoryStore::default()),
            gestionale: Arc::new(FakeGestionale::default()),
            checkout: Arc::new(FakeCheckout::default()),
            clock: Arc::new(ManualClock::new(Self::start_time())),
        }
    }

    /// The ports over this world.
    pub fn ports(&self) -> Ports {
        Ports::with_storage(
            self.store.clone(),
            self.gestionale.clone(),
            self.checkout.clone(),
            self.clock.clone(),
            Arc::new(SequentialIds::default()),
        )
    }

    /// Every use case over this world.
    pub fn services(&self) -> Services {
        Services::new(self.ports())
    }
}
