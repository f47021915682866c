//! Carts in memory, and the holds they put on notices.

use async_trait::async_trait;

use super::MemoryStore;
use crate::model::{Cart, CartId};
use crate::ports::{CartRepository, StorageError};
use crate::value::{EnteId, NoticeNumber};

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
