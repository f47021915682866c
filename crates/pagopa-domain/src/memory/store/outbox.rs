//! The outbox in memory: messages, their leases, and each Ente's feed sequence.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::{MemoryStore, State};
use crate::model::{OutboxEvent, OutboxMessage, OutboxState};
use crate::ports::{Outbox, OutboxQuery, Page, StorageError};
use crate::value::EnteId;

#[derive(Debug)]
pub(super) struct Leased {
    message: OutboxMessage,
    lease_until: Option<DateTime<Utc>>,
    owner: Option<String>,
}

impl Leased {
    /// An operator's replay: available now, with a fresh delivery budget.
    fn replay(&mut self, now: DateTime<Utc>) {
        self.message.delivered_at = None;
        self.message.dead_at = None;
        self.message.attempts = 0;
        self.message.retrying_since = Some(now);
        self.message.available_at = now;
        self.lease_until = None;
        self.owner = None;
    }

    /// The message, if `worker` holds its lease (`Conflict` otherwise).
    fn held_by(&mut self, worker: &str) -> Result<&mut Self, StorageError> {
        if self.owner.as_deref() == Some(worker) {
            Ok(self)
        } else {
            Err(StorageError::Conflict(format!(
                "the lease of outbox message {}",
                self.message.id
            )))
        }
    }
}

impl State {
    pub(super) fn enqueue(&mut self, events: &[OutboxEvent], now: DateTime<Utc>) {
        for event in events {
            if !self.outbox_keys.insert(event.dedup_key()) {
                continue;
            }
            let id = self.outbox.keys().next_back().map_or(1, |last| last + 1);
            let seq = self.feed_counters.entry(event.ente().clone()).or_default();
            *seq += 1;
            let feed_seq = Some(*seq);
            let message = OutboxMessage {
                id,
                event: event.clone(),
                attempts: 0,
                available_at: now,
                created_at: now,
                last_error: None,
                delivered_at: None,
                dead_at: None,
                retrying_since: None,
                feed_seq,
            };
            self.outbox.insert(
                id,
                Leased {
                    message,
                    lease_until: None,
                    owner: None,
                },
            );
        }
    }
}

#[async_trait]
impl Outbox for MemoryStore {
    async fn enqueue(&self, events: &[OutboxEvent], now: DateTime<Utc>) -> Result<(), StorageError> {
        self.state().enqueue(events, now);
        Ok(())
    }

    async fn prune_delivered(&self, before: DateTime<Utc>, limit: u32) -> Result<u64, StorageError> {
        let mut state = self.state();
        let old: Vec<u64> = state
            .outbox
            .values()
            .filter(|l| {
                l.message.state() == OutboxState::Delivered && l.message.delivered_at.is_some_and(|at| at < before)
            })
            .map(|l| l.message.id)
            .take(limit as usize)
            .collect();
        for id in &old {
            state.outbox.remove(id);
        }
        Ok(old.len() as u64)
    }

    async fn claim(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StorageError> {
        let mut state = self.state();
        let mut claimed = Vec::new();
        // Positions with an older pending message (ids ascend in commit order here): their
        // later messages wait, so one position's messages are delivered in order.
        let mut busy = std::collections::HashSet::new();
        for leased in state.outbox.values_mut() {
            if claimed.len() >= limit as usize {
                break;
            }
            if leased.message.state() != OutboxState::Pending {
                continue;
            }
            if let Some(position) = leased.message.event.position_key()
                && !busy.insert(position)
            {
                continue;
            }
            let free = leased.lease_until.is_none_or(|until| until <= now);
            if leased.message.available_at <= now && free {
                leased.lease_until = Some(now + lease);
                leased.owner = Some(worker.to_owned());
                claimed.push(leased.message.clone());
            }
        }
        Ok(claimed)
    }

    async fn acknowledge(&self, id: u64, worker: &str, now: DateTime<Utc>) -> Result<(), StorageError> {
        let mut state = self.state();
        let leased = state
            .outbox
            .get_mut(&id)
            .ok_or_else(|| StorageError::NotFound(format!("outbox message {id}")))?
            .held_by(worker)?;
        leased.message.delivered_at = Some(now);
        leased.message.attempts += 1;
        leased.lease_until = None;
        leased.owner = None;
        Ok(())
    }

    async fn reschedule(
        &self,
        id: u64,
        worker: &str,
        error: &str,
        available_at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let mut state = self.state();
        let leased = state
            .outbox
            .get_mut(&id)
            .ok_or_else(|| StorageError::NotFound(format!("outbox message {id}")))?
            .held_by(worker)?;
        leased.message.attempts += 1;
        leased.message.last_error = Some(error.to_owned());
        leased.message.available_at = available_at;
        leased.lease_until = None;
        leased.owner = None;
        Ok(())
    }

    async fn dead_letter(&self, id: u64, worker: &str, error: &str, now: DateTime<Utc>) -> Result<(), StorageError> {
        let mut state = self.state();
        let leased = state
            .outbox
            .get_mut(&id)
            .ok_or_else(|| StorageError::NotFound(format!("outbox message {id}")))?
            .held_by(worker)?;
        leased.message.attempts += 1;
        leased.message.last_error = Some(error.to_owned());
        leased.message.dead_at = Some(now);
        leased.lease_until = None;
        leased.owner = None;
        Ok(())
    }

    async fn replay(&self, id: u64, now: DateTime<Utc>) -> Result<(), StorageError> {
        let mut state = self.state();
        let leased = state
            .outbox
            .get_mut(&id)
            .ok_or_else(|| StorageError::NotFound(format!("outbox message {id}")))?;
        leased.replay(now);
        Ok(())
    }

    async fn replay_matching(&self, query: &OutboxQuery, now: DateTime<Utc>) -> Result<u64, StorageError> {
        let mut state = self.state();
        let mut replayed = 0;
        for leased in state.outbox.values_mut() {
            if replayed >= query.page_size() as u64 {
                break;
            }
            if leased.message.matches(query) {
                leased.replay(now);
                replayed += 1;
            }
        }
        Ok(replayed)
    }

    async fn list(&self, query: &OutboxQuery) -> Result<Page<OutboxMessage, u64>, StorageError> {
        let state = self.state();
        let after = query.after.unwrap_or(0);
        let items: Vec<OutboxMessage> = state
            .outbox
            .range(after.saturating_add(1)..)
            .map(|(_, l)| &l.message)
            .filter(|m| m.matches(query))
            .take(query.page_size() + 1)
            .cloned()
            .collect();
        Ok(Page::from_overfetch(items, query.page_size(), |m| m.id))
    }

    async fn feed(&self, ente: &EnteId, after: u64, limit: u32) -> Result<Vec<OutboxMessage>, StorageError> {
        let state = self.state();
        let mut items: Vec<OutboxMessage> = state
            .outbox
            .values()
            .map(|l| &l.message)
            .filter(|m| m.event.ente() == ente && m.feed_seq.is_some_and(|s| s > after))
            .cloned()
            .collect();
        items.sort_by_key(|m| m.feed_seq);
        items.truncate(limit.clamp(1, crate::ports::MAX_PAGE) as usize);
        Ok(items)
    }

    async fn dead_letters(&self) -> Result<u64, StorageError> {
        Ok(self
            .state()
            .outbox
            .values()
            .filter(|l| l.message.dead_at.is_some())
            .count() as u64)
    }

    async fn get(&self, id: u64) -> Result<Option<OutboxMessage>, StorageError> {
        Ok(self.state().outbox.get(&id).map(|l| l.message.clone()))
    }

    async fn backlog(&self) -> Result<u64, StorageError> {
        Ok(self
            .state()
            .outbox
            .values()
            .filter(|l| l.message.state() == OutboxState::Pending)
            .count() as u64)
    }
}
