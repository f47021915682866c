//! Expiry by time: positions that expire after their due dates stop being payable by
//! themselves once the last due date has passed on the Italian calendar, and the gestionale is
//! told through the outbox.

use crate::error::DomainError;
use crate::model::DebtPosition;
use crate::ports::Ports;

/// Moves due positions to `Expired`, a batch at a time. Several instances may run it against
/// one database: the storage gives each position to one of them.
#[derive(Clone, Debug)]
pub struct PositionExpiry {
    ports: Ports,
}

impl PositionExpiry {
    /// The job over `ports`.
    pub fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Expires up to `limit` due positions (today in Italy, from the clock) and returns them.
    /// An empty answer means nothing more is due now.
    pub async fn run_once(&self, limit: u32) -> Result<Vec<DebtPosition>, DomainError> {
        let today = self.ports.clock.today();
        let now = self.ports.clock.now();
        Ok(self.ports.positions.expire_due(today, now, limit).await?)
    }
}
