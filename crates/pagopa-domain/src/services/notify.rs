//! Delivering the outbox to the gestionale, until each message is acknowledged.

use chrono::Duration;

use crate::error::DomainError;
use crate::model::{OutboxEvent, RetryPolicy};
use crate::ports::{GestionaleError, Ports};

/// What one dispatch round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DispatchReport {
    /// Messages the gestionale acknowledged.
    pub delivered: usize,
    /// Messages that failed and were rescheduled.
    pub rescheduled: usize,
}

/// Delivers outbox messages to the gestionale: at least once, with exponential back-off.
#[derive(Clone, Debug)]
pub struct GestionaleNotifier {
    ports: Ports,
    retry: RetryPolicy,
    lease: Duration,
}

impl GestionaleNotifier {
    /// A notifier over `ports`; a claimed message is leased for `lease`.
    pub fn new(ports: Ports, retry: RetryPolicy, lease: Duration) -> Self {
        Self { ports, retry, lease }
    }

    /// Claims up to `limit` due messages as `worker` and delivers them. Storage failures end the
    /// round with an error; gestionale failures reschedule the message.
    pub async fn dispatch_once(&self, worker: &str, limit: u32) -> Result<DispatchReport, DomainError> {
        let now = self.ports.clock.now();
        let messages = self.ports.outbox.claim(worker, now, self.lease, limit).await?;
        let mut report = DispatchReport::default();
        for message in messages {
            let result = match &message.event {
                OutboxEvent::PaymentReceived(notification) => self.ports.gestionale.notify_payment(notification).await,
            };
            let now = self.ports.clock.now();
            match result {
                // A gestionale that takes no notifications has nothing more to receive.
                Ok(()) | Err(GestionaleError::Unsupported) => {
                    self.ports.outbox.acknowledge(message.id, now).await?;
                    report.delivered += 1;
                }
                Err(error) => {
                    let retry_at = now + self.retry.delay(message.attempts + 1);
                    self.ports
                        .outbox
                        .reschedule(message.id, &error.to_string(), retry_at)
                        .await?;
                    report.rescheduled += 1;
                }
            }
        }
        Ok(report)
    }
}
