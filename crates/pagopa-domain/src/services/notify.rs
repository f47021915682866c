//! Delivering the outbox to the gestionale, until each message is acknowledged.

use chrono::Duration;
use futures_util::{StreamExt, stream};

use crate::error::DomainError;
use crate::model::{OutboxEvent, OutboxMessage, RetryPolicy};
use crate::ports::{GestionaleError, Ports, StorageError};

/// What one dispatch round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DispatchReport {
    /// Messages the gestionale acknowledged.
    pub delivered: usize,
    /// Messages that failed and were rescheduled.
    pub rescheduled: usize,
    /// Messages that failed past their gestionale's delivery limits and were dead-lettered.
    pub dead: usize,
    /// Messages left undelivered or unrecorded because the round's lease ran out (another
    /// worker re-claims them).
    pub left_to_others: usize,
}

/// Delivers outbox messages to the gestionale: at least once, with exponential back-off and
/// jitter, until acknowledged or, past the delivery limits of the Ente's gestionale
/// ([`Gestionale::delivery_limits`](crate::ports::Gestionale::delivery_limits)), dead-lettered.
/// A round has up to [`concurrency`](Self::with_concurrency) deliveries in flight; a round's
/// batch holds at most one message per position (the outbox's order), so that keeps each
/// position's messages in order.
#[derive(Clone, Debug)]
pub struct GestionaleNotifier {
    ports: Ports,
    retry: RetryPolicy,
    lease: Duration,
    concurrency: usize,
}

/// How one message of a round ended.
enum Outcome {
    Delivered,
    Rescheduled,
    Dead,
    LeftToOthers,
}

impl GestionaleNotifier {
    /// A notifier over `ports`, one delivery at a time; a claimed message is leased for `lease`.
    pub fn new(ports: Ports, retry: RetryPolicy, lease: Duration) -> Self {
        Self {
            ports,
            retry,
            lease,
            concurrency: 1,
        }
    }

    /// The same with up to `concurrency` deliveries in flight per round (at least 1): a
    /// gestionale answering in a millisecond then takes hundreds of notifications a second,
    /// and their acknowledgements share commits.
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Claims up to `limit` due messages as `worker` and delivers them. Storage failures end the
    /// round with an error; gestionale failures reschedule the message. The round stops
    /// starting deliveries once half the lease of its batch has gone (the rest is claimed again
    /// when the lease ends, by whichever worker comes first), and a message whose lease was
    /// taken over meanwhile is left to its new holder.
    pub async fn dispatch_once(&self, worker: &str, limit: u32) -> Result<DispatchReport, DomainError> {
        let claimed_at = self.ports.clock.now();
        let lease_ends = claimed_at + self.lease;
        let messages = self.ports.outbox.claim(worker, claimed_at, self.lease, limit).await?;
        let outcomes: Vec<Result<Outcome, StorageError>> = stream::iter(messages)
            .map(|message| self.deliver(worker, lease_ends, message))
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        let mut report = DispatchReport::default();
        for outcome in outcomes {
            match outcome {
                Ok(Outcome::Delivered) => report.delivered += 1,
                Ok(Outcome::Rescheduled) => report.rescheduled += 1,
                Ok(Outcome::Dead) => report.dead += 1,
                Ok(Outcome::LeftToOthers) => report.left_to_others += 1,
                Err(error) => return Err(error.into()),
            }
        }
        Ok(report)
    }

    /// Delivers one claimed message and records the outcome.
    async fn deliver(
        &self,
        worker: &str,
        lease_ends: chrono::DateTime<chrono::Utc>,
        message: OutboxMessage,
    ) -> Result<Outcome, StorageError> {
        // Started only while half the lease is left: a delivery within the gestionale's time
        // budget (kept below half the lease) ends before another worker may claim the message.
        if self.ports.clock.now() + self.lease / 2 >= lease_ends {
            return Ok(Outcome::LeftToOthers);
        }
        let result = match &message.event {
            OutboxEvent::PaymentReceived(notification) => self.ports.gestionale.notify_payment(notification).await,
            OutboxEvent::PositionExpired(notification) => self.ports.gestionale.notify_expiry(notification).await,
            OutboxEvent::PositionCancelled(notification) => {
                self.ports.gestionale.notify_cancellation(notification).await
            }
        };
        let now = self.ports.clock.now();
        let written = match result {
            // A gestionale that takes no notifications has nothing more to receive.
            Ok(()) | Err(GestionaleError::Unsupported) => self
                .ports
                .outbox
                .acknowledge(message.id, worker, now)
                .await
                .map(|()| Outcome::Delivered),
            Err(error) => {
                let attempts = message.attempts + 1;
                let since = message.retrying_since.unwrap_or(message.created_at);
                let limits = self.ports.gestionale.delivery_limits(message.event.ente()).await;
                let why = crate::cause_chain(&error);
                if limits.is_some_and(|limits| limits.exhausted(attempts, since, now)) {
                    self.ports
                        .outbox
                        .dead_letter(message.id, worker, &why, now)
                        .await
                        .map(|()| Outcome::Dead)
                } else {
                    let retry_at = now + self.retry.delay_with_jitter(attempts, message.id);
                    self.ports
                        .outbox
                        .reschedule(message.id, worker, &why, retry_at)
                        .await
                        .map(|()| Outcome::Rescheduled)
                }
            }
        };
        match written {
            // The lease ran out and another worker holds the message now: it delivers it.
            Err(StorageError::Conflict(_)) => Ok(Outcome::LeftToOthers),
            other => other,
        }
    }
}
