//! Debt positions and the notice numbers they own in memory, and the expiry sweep.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::{MemoryStore, State};
use crate::model::{DebtPosition, ExpiryNotification, Iupd, OutboxEvent, PositionStatus};
use crate::ports::{Page, PositionCursor, PositionQuery, PositionRepository, StorageError};
use crate::value::{EnteId, FiscalCode, NoticeNumber};

impl State {
    pub(super) fn insert_position(&mut self, position: &DebtPosition) -> Result<(), StorageError> {
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

    pub(super) fn update_position(&mut self, position: &DebtPosition) -> Result<DebtPosition, StorageError> {
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
