//! All storage ports over one mutex.

mod imports;
mod reconciliation;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::model::{
    Cart, CartId, DebtPosition, Ente, EnteLogo, ExpiryNotification, Iupd, OutboxEvent, OutboxMessage, OutboxState,
    PositionStatus, QuarantineEntry, QuarantinedMessage, ReceiptId, ServiceCode, SpontaneousService, StoredReceipt,
};
use crate::ports::{
    CartRepository, CatalogueRepository, EnteRepository, EnteSaved, IuvAllocator, Outbox, OutboxQuery, Page,
    PositionCursor, PositionQuery, PositionRepository, Quarantine, QuarantineQuery, ReceiptCursor, ReceiptQuery,
    ReceiptRepository, ReceiptWrite, RecordOutcome, StorageError,
};
use crate::value::{EnteId, FiscalCode, NoticeLayout, NoticeNumber};

#[derive(Debug, Default)]
struct State {
    entes: BTreeMap<EnteId, Ente>,
    logos: HashMap<EnteId, EnteLogo>,
    services: BTreeMap<(EnteId, ServiceCode), SpontaneousService>,
    positions: BTreeMap<(EnteId, Iupd), DebtPosition>,
    notices: HashMap<(EnteId, NoticeNumber), Iupd>,
    receipts: BTreeMap<(EnteId, ReceiptId), StoredReceipt>,
    carts: HashMap<CartId, Cart>,
    outbox: BTreeMap<u64, Leased>,
    outbox_keys: HashSet<String>,
    feed_counters: HashMap<EnteId, u64>,
    iuv: HashMap<(EnteId, u8, Option<u8>), u64>,
    quarantine: BTreeMap<u64, QuarantinedMessage>,
    idempotency: HashMap<(String, String), Remembered>,
    imports: BTreeMap<crate::model::ImportId, crate::model::ImportRecord>,
    rec: reconciliation::RecState,
}

/// A claimed idempotency key: its fingerprint, when, and the answer once there is one.
#[derive(Debug)]
struct Remembered {
    fingerprint: String,
    at: DateTime<Utc>,
    answer: Option<(u16, String)>,
}

#[derive(Debug)]
struct Leased {
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

/// Every storage port in memory. Each call holds one lock, so it is atomic and isolated like a
/// serialisable transaction.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl State {
    fn insert_position(&mut self, position: &DebtPosition) -> Result<(), StorageError> {
        let key = (position.ente.clone(), position.iupd.clone());
        if self.positions.contains_key(&key) {
            return Err(StorageError::Duplicate(format!("position {}", position.iupd)));
        }
        let mut seen = HashSet::new();
        for option in &position.options {
            let notice_key = (position.ente.clone(), option.notice_number.clone());
            if self.notices.contains_key(&notice_key) || !seen.insert(notice_key) {
                return Err(StorageError::Duplicate(format!("notice {}", option.notice_number)));
            }
        }
        for option in &position.options {
            self.notices.insert(
                (position.ente.clone(), option.notice_number.clone()),
                position.iupd.clone(),
            );
        }
        self.positions.insert(key, position.clone());
        Ok(())
    }

    fn update_position(&mut self, position: &DebtPosition) -> Result<DebtPosition, StorageError> {
        let key = (position.ente.clone(), position.iupd.clone());
        let stored = self
            .positions
            .get(&key)
            .ok_or_else(|| StorageError::NotFound(format!("position {}", position.iupd)))?;
        if stored.version != position.version {
            return Err(StorageError::Conflict(format!("position {}", position.iupd)));
        }
        let old_notices: Vec<NoticeNumber> = stored.options.iter().map(|o| o.notice_number.clone()).collect();
        for option in &position.options {
            let taken_by = self.notices.get(&(position.ente.clone(), option.notice_number.clone()));
            if taken_by.is_some_and(|owner| owner != &position.iupd) {
                return Err(StorageError::Duplicate(format!("notice {}", option.notice_number)));
            }
        }
        for notice in old_notices {
            self.notices.remove(&(position.ente.clone(), notice));
        }
        for option in &position.options {
            self.notices.insert(
                (position.ente.clone(), option.notice_number.clone()),
                position.iupd.clone(),
            );
        }
        let mut updated = position.clone();
        updated.version += 1;
        self.positions.insert(key, updated.clone());
        Ok(updated)
    }

    fn enqueue(&mut self, events: &[OutboxEvent], now: DateTime<Utc>) {
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
impl EnteRepository for MemoryStore {
    async fn get(&self, id: &EnteId) -> Result<Option<Ente>, StorageError> {
        Ok(self.state().entes.get(id).cloned())
    }

    async fn list(&self) -> Result<Vec<Ente>, StorageError> {
        Ok(self.state().entes.values().cloned().collect())
    }

    async fn save(&self, ente: &Ente, _actor: &str) -> Result<EnteSaved, StorageError> {
        let mut state = self.state();
        let saved = match state.entes.get(&ente.id) {
            None => EnteSaved::Created,
            Some(stored) if stored == ente => return Ok(EnteSaved::Unchanged),
            Some(_) => EnteSaved::Updated,
        };
        state.entes.insert(ente.id.clone(), ente.clone());
        Ok(saved)
    }

    async fn logo(&self, id: &EnteId) -> Result<Option<EnteLogo>, StorageError> {
        Ok(self.state().logos.get(id).cloned())
    }

    async fn set_logo(&self, id: &EnteId, logo: Option<&EnteLogo>, _actor: &str) -> Result<bool, StorageError> {
        let mut state = self.state();
        if !state.entes.contains_key(id) {
            return Err(StorageError::NotFound(format!("Ente {id}")));
        }
        let before = state.logos.get(id).cloned();
        if before.as_ref() == logo {
            return Ok(false);
        }
        match logo {
            Some(logo) => state.logos.insert(id.clone(), logo.clone()),
            None => state.logos.remove(id),
        };
        Ok(true)
    }
}

#[async_trait]
impl CatalogueRepository for MemoryStore {
    async fn list(&self, ente: &EnteId) -> Result<Vec<SpontaneousService>, StorageError> {
        Ok(self
            .state()
            .services
            .values()
            .filter(|s| &s.ente == ente)
            .cloned()
            .collect())
    }

    async fn get(&self, ente: &EnteId, code: &ServiceCode) -> Result<Option<SpontaneousService>, StorageError> {
        Ok(self.state().services.get(&(ente.clone(), code.clone())).cloned())
    }

    async fn by_demand_id(
        &self,
        ente: &EnteId,
        demand_service_id: &str,
    ) -> Result<Option<SpontaneousService>, StorageError> {
        Ok(self
            .state()
            .services
            .values()
            .find(|s| {
                &s.ente == ente
                    && s.demand_service_id
                        .as_ref()
                        .is_some_and(|d| d.as_str() == demand_service_id)
            })
            .cloned())
    }

    async fn upsert(&self, service: &SpontaneousService) -> Result<(), StorageError> {
        self.state()
            .services
            .insert((service.ente.clone(), service.code.clone()), service.clone());
        Ok(())
    }
}

#[async_trait]
impl PositionRepository for MemoryStore {
    async fn insert(&self, position: &DebtPosition) -> Result<DebtPosition, StorageError> {
        self.state().insert_position(position)?;
        Ok(position.clone())
    }

    async fn insert_batch(&self, positions: &[DebtPosition]) -> Result<u64, StorageError> {
        let mut state = self.state();
        // All or nothing: check every key first, against the store and within the batch.
        let mut keys = HashSet::new();
        let mut notices = HashSet::new();
        for position in positions {
            if state
                .positions
                .contains_key(&(position.ente.clone(), position.iupd.clone()))
                || !keys.insert((position.ente.clone(), position.iupd.clone()))
            {
                return Err(StorageError::Duplicate(format!("position {}", position.iupd)));
            }
            for option in &position.options {
                let key = (position.ente.clone(), option.notice_number.clone());
                if state.notices.contains_key(&key) || !notices.insert(key) {
                    return Err(StorageError::Duplicate(format!("notice {}", option.notice_number)));
                }
            }
        }
        for position in positions {
            state.insert_position(position)?;
        }
        Ok(positions.len() as u64)
    }

    async fn get(&self, ente: &EnteId, iupd: &Iupd) -> Result<Option<DebtPosition>, StorageError> {
        Ok(self.state().positions.get(&(ente.clone(), iupd.clone())).cloned())
    }

    async fn find_by_notice(&self, ente: &EnteId, notice: &NoticeNumber) -> Result<Option<DebtPosition>, StorageError> {
        let state = self.state();
        let Some(iupd) = state.notices.get(&(ente.clone(), notice.clone())) else {
            return Ok(None);
        };
        Ok(state.positions.get(&(ente.clone(), iupd.clone())).cloned())
    }

    async fn list_by_debtor(&self, debtor: &FiscalCode) -> Result<Vec<DebtPosition>, StorageError> {
        Ok(self
            .state()
            .positions
            .values()
            .filter(|p| p.debtor.id.fiscal_code() == Some(debtor))
            .cloned()
            .collect())
    }

    async fn update(&self, position: &DebtPosition) -> Result<DebtPosition, StorageError> {
        self.state().update_position(position)
    }

    async fn update_with_events(
        &self,
        position: &DebtPosition,
        events: &[OutboxEvent],
    ) -> Result<DebtPosition, StorageError> {
        let mut state = self.state();
        let updated = state.update_position(position)?;
        state.enqueue(events, position.updated_at);
        Ok(updated)
    }

    async fn search(&self, query: &PositionQuery) -> Result<Page<DebtPosition, PositionCursor>, StorageError> {
        let limit = query.page_size();
        let state = self.state();
        let matches = state.positions.values().filter(|p| {
            let after = query
                .after
                .as_ref()
                .is_none_or(|c| (&p.ente, &p.iupd) > (&c.ente, &c.iupd));
            let due_in_range = |o: &crate::model::PaymentOption| {
                query.due_from.is_none_or(|from| o.due_date >= from) && query.due_to.is_none_or(|to| o.due_date <= to)
            };
            after
                && query.ente.as_ref().is_none_or(|e| &p.ente == e)
                && query
                    .debtor
                    .as_ref()
                    .is_none_or(|d| p.debtor.id.fiscal_code() == Some(d))
                && query.status.is_none_or(|s| p.status == s)
                && query.notice_number.as_ref().is_none_or(|n| p.option(n).is_some())
                && query
                    .iuv
                    .as_ref()
                    .is_none_or(|iuv| p.options.iter().any(|o| &o.notice_number.iuv() == iuv))
                && p.options.iter().any(due_in_range)
        });
        let items: Vec<DebtPosition> = matches.take(limit + 1).cloned().collect();
        Ok(Page::from_overfetch(items, limit, PositionCursor::after))
    }

    async fn expire_due(
        &self,
        today: NaiveDate,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DebtPosition>, StorageError> {
        let mut state = self.state();
        let due: Vec<DebtPosition> = state
            .positions
            .values()
            .filter(|p| p.status == PositionStatus::Valid && p.expires_on().is_some_and(|on| on <= today))
            .take(limit as usize)
            .cloned()
            .collect();
        let mut expired = Vec::new();
        for mut position in due {
            if !position.expire_if_due(today, now) {
                continue;
            }
            let Some(notification) = ExpiryNotification::of(&position, now) else {
                continue;
            };
            let stored = state.update_position(&position)?;
            state.enqueue(&[OutboxEvent::PositionExpired(notification)], now);
            expired.push(stored);
        }
        Ok(expired)
    }
}

#[async_trait]
impl ReceiptRepository for MemoryStore {
    async fn record(&self, write: ReceiptWrite) -> Result<RecordOutcome, StorageError> {
        let mut state = self.state();
        let receipt = &write.receipt.receipt;
        let key = (receipt.delivery.recipient.clone(), receipt.receipt_id.clone());
        if let Some(existing) = state.receipts.get(&key) {
            return Ok(RecordOutcome::AlreadyRecorded(Box::new(existing.clone())));
        }
        if let Some(position) = &write.position {
            state.update_position(position)?;
        }
        state.receipts.insert(key, write.receipt.clone());
        state.enqueue(&write.outbox, receipt.delivery.received_at);
        Ok(RecordOutcome::Recorded)
    }

    async fn get(&self, recipient: &EnteId, receipt_id: &ReceiptId) -> Result<Option<StoredReceipt>, StorageError> {
        Ok(self
            .state()
            .receipts
            .get(&(recipient.clone(), receipt_id.clone()))
            .cloned())
    }

    async fn search(&self, query: &ReceiptQuery) -> Result<Page<StoredReceipt, ReceiptCursor>, StorageError> {
        let limit = query.page_size();
        let state = self.state();
        let items: Vec<StoredReceipt> = state
            .receipts
            .iter()
            .filter(|((recipient, id), stored)| {
                query
                    .after
                    .as_ref()
                    .is_none_or(|c| (recipient, id) > (&c.recipient, &c.receipt_id))
                    && query.recipient.as_ref().is_none_or(|r| recipient == r)
                    && query
                        .debtor
                        .as_ref()
                        .is_none_or(|d| stored.receipt.debtor.id.fiscal_code() == Some(d))
                    && query
                        .notice_number
                        .as_ref()
                        .is_none_or(|n| &stored.receipt.notice_number == n)
                    && (!query.needs_review || stored.disposition.needs_review())
            })
            .take(limit + 1)
            .map(|(_, stored)| stored.clone())
            .collect();
        Ok(Page::from_overfetch(items, limit, ReceiptCursor::after))
    }
}

#[async_trait]
impl CartRepository for MemoryStore {
    async fn insert(&self, cart: &Cart) -> Result<Cart, StorageError> {
        let mut state = self.state();
        if state.carts.contains_key(&cart.id) {
            return Err(StorageError::Duplicate(format!("cart {}", cart.id)));
        }
        if cart.status.holds_notices() {
            let held = state.carts.values().filter(|c| c.status.holds_notices()).find_map(|c| {
                c.items.iter().find(|held| {
                    cart.items
                        .iter()
                        .any(|i| i.ente == held.ente && i.notice_number == held.notice_number)
                })
            });
            if let Some(item) = held {
                return Err(StorageError::Duplicate(format!(
                    "the hold on notice {}",
                    item.notice_number
                )));
            }
        }
        state.carts.insert(cart.id.clone(), cart.clone());
        Ok(cart.clone())
    }

    async fn get(&self, id: &CartId) -> Result<Option<Cart>, StorageError> {
        Ok(self.state().carts.get(id).cloned())
    }

    async fn update(&self, cart: &Cart) -> Result<Cart, StorageError> {
        let mut state = self.state();
        let stored = state
            .carts
            .get(&cart.id)
            .ok_or_else(|| StorageError::NotFound(format!("cart {}", cart.id)))?;
        if stored.version != cart.version {
            return Err(StorageError::Conflict(format!("cart {}", cart.id)));
        }
        let mut updated = cart.clone();
        updated.version += 1;
        state.carts.insert(cart.id.clone(), updated.clone());
        Ok(updated)
    }

    async fn holding(&self, ente: &EnteId, notice: &NoticeNumber) -> Result<Vec<Cart>, StorageError> {
        Ok(self
            .state()
            .carts
            .values()
            .filter(|c| {
                c.status.holds_notices() && c.items.iter().any(|i| &i.ente == ente && &i.notice_number == notice)
            })
            .cloned()
            .collect())
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

#[async_trait]
impl IuvAllocator for MemoryStore {
    async fn next_base(&self, ente: &EnteId, layout: NoticeLayout) -> Result<u64, StorageError> {
        let mut state = self.state();
        let counter = state
            .iuv
            .entry((ente.clone(), layout.aux_digit(), layout.code()))
            .or_insert(0);
        *counter += 1;
        Ok(*counter)
    }

    async fn next_bases(&self, ente: &EnteId, layout: NoticeLayout, count: u64) -> Result<Vec<u64>, StorageError> {
        let mut state = self.state();
        let counter = state
            .iuv
            .entry((ente.clone(), layout.aux_digit(), layout.code()))
            .or_insert(0);
        let first = *counter + 1;
        *counter += count;
        Ok((first..=*counter).collect())
    }
}

#[async_trait]
impl crate::ports::IdempotencyStore for MemoryStore {
    async fn claim(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        lifetime: Duration,
        abandoned_after: Duration,
    ) -> Result<crate::ports::IdempotencyClaim, StorageError> {
        use crate::ports::IdempotencyClaim as C;
        let mut state = self.state();
        let id = (scope.to_owned(), key.to_owned());
        match state.idempotency.get(&id) {
            Some(seen) if now - seen.at < lifetime && (seen.answer.is_some() || now - seen.at < abandoned_after) => {
                Ok(match &seen.answer {
                    Some((status, body)) => C::Done {
                        fingerprint: seen.fingerprint.clone(),
                        status: *status,
                        body: body.clone(),
                    },
                    None => C::InProgress {
                        fingerprint: seen.fingerprint.clone(),
                    },
                })
            }
            _ => {
                let fresh = Remembered {
                    fingerprint: fingerprint.to_owned(),
                    at: now,
                    answer: None,
                };
                state.idempotency.insert(id, fresh);
                Ok(C::Claimed)
            }
        }
    }

    async fn complete(&self, scope: &str, key: &str, status: u16, body: &str) -> Result<(), StorageError> {
        if let Some(seen) = self.state().idempotency.get_mut(&(scope.to_owned(), key.to_owned())) {
            seen.answer = Some((status, body.to_owned()));
        }
        Ok(())
    }

    async fn release(&self, scope: &str, key: &str) -> Result<(), StorageError> {
        self.state().idempotency.remove(&(scope.to_owned(), key.to_owned()));
        Ok(())
    }
}

#[async_trait]
impl Quarantine for MemoryStore {
    async fn keep(&self, entry: &QuarantineEntry) -> Result<u64, StorageError> {
        let mut state = self.state();
        let id = state.quarantine.keys().next_back().map_or(1, |last| last + 1);
        state.quarantine.insert(
            id,
            QuarantinedMessage {
                id,
                entry: entry.clone(),
            },
        );
        Ok(id)
    }

    async fn list(&self, query: &QuarantineQuery) -> Result<Page<QuarantinedMessage, u64>, StorageError> {
        let limit = query.page_size();
        let items: Vec<QuarantinedMessage> = self
            .state()
            .quarantine
            .values()
            .rev()
            .filter(|m| query.before.is_none_or(|before| m.id < before))
            .filter(|m| query.ente.is_none() || m.entry.ente == query.ente)
            .take(limit + 1)
            .cloned()
            .collect();
        Ok(Page::from_overfetch(items, limit, |m| m.id))
    }
}
