//! Checkout carts and the notices they hold.

use async_trait::async_trait;
use diesel::prelude::*;
use pagopa_domain::ports::{CartRepository, StorageError};
use pagopa_domain::{Cart, CartId, CartStatus, EnteId, FiscalCode, NoticeNumber};

use crate::DieselStore;
use crate::db::{Backend, DbError, from_json, to_i64, to_json, to_u64, to_us, with_read_conn, with_write_conn};
use crate::schema::{cart_holds, cart_items, carts};

fn decode(version: i64, document: &str) -> Result<Cart, DbError> {
    let mut cart: Cart = from_json(document)?;
    cart.version = to_u64(version)?;
    Ok(cart)
}

#[async_trait]
impl CartRepository for DieselStore {
    async fn insert(&self, cart: &Cart) -> Result<Cart, StorageError> {
        let cart = cart.clone();
        with_write_conn!(self, |conn| {
            conn.write(|c| {
                diesel::insert_into(carts::table)
                    .values((
                        carts::id.eq(cart.id.as_str()),
                        carts::status.eq(cart.status.as_str()),
                        carts::citizen.eq(cart.citizen.as_ref().map(FiscalCode::as_str)),
                        carts::version.eq(to_i64(cart.version)?),
                        carts::created_at_us.eq(to_us(cart.created_at)),
                        carts::updated_at_us.eq(to_us(cart.updated_at)),
                        carts::document.eq(to_json(&cart)?),
                    ))
                    .execute(c)?;
                for item in &cart.items {
                    diesel::insert_into(cart_items::table)
                        .values((
                            cart_items::cart_id.eq(cart.id.as_str()),
                            cart_items::ente.eq(item.ente.as_str()),
                            cart_items::notice_number.eq(item.notice_number.as_str()),
                        ))
                        .execute(c)?;
                    if cart.status.holds_notices() {
                        // A notice another open cart holds violates the key: the whole insert
                        // is undone and the caller gets `Duplicate`.
                        diesel::insert_into(cart_holds::table)
                            .values((
                                cart_holds::ente.eq(item.ente.as_str()),
                                cart_holds::notice_number.eq(item.notice_number.as_str()),
                                cart_holds::cart_id.eq(cart.id.as_str()),
                            ))
                            .execute(c)?;
                    }
                }
                Ok(())
            })?;
            Ok(cart)
        })
    }

    async fn get(&self, id: &CartId) -> Result<Option<Cart>, StorageError> {
        let id = id.clone();
        with_read_conn!(self, |conn| {
            let row: Option<(i64, String)> = carts::table
                .find(id.as_str())
                .select((carts::version, carts::document))
                .first(conn)
                .optional()?;
            row.map(|(version, document)| decode(version, &document)).transpose()
        })
    }

    async fn update(&self, cart: &Cart) -> Result<Cart, StorageError> {
        let cart = cart.clone();
        with_write_conn!(self, |conn| {
            conn.write(|c| {
                let mut next = cart.clone();
                next.version += 1;
                let changed = diesel::update(carts::table.find(cart.id.as_str()))
                    .filter(carts::version.eq(to_i64(cart.version)?))
                    .set((
                        carts::status.eq(next.status.as_str()),
                        carts::version.eq(to_i64(next.version)?),
                        carts::updated_at_us.eq(to_us(next.updated_at)),
                        carts::document.eq(to_json(&next)?),
                    ))
                    .execute(c)?;
                if changed == 0 {
                    let exists: i64 = carts::table
                        .filter(carts::id.eq(cart.id.as_str()))
                        .count()
                        .get_result(c)?;
                    let error = if exists == 0 {
                        StorageError::NotFound(format!("cart {}", cart.id))
                    } else {
                        StorageError::Conflict(format!("cart {}", cart.id))
                    };
                    return Err(error.into());
                }
                if !next.status.holds_notices() {
                    diesel::delete(cart_holds::table.filter(cart_holds::cart_id.eq(cart.id.as_str()))).execute(c)?;
                }
                Ok(next)
            })
        })
    }

    async fn holding(&self, ente: &EnteId, notice: &NoticeNumber) -> Result<Vec<Cart>, StorageError> {
        let (ente, notice) = (ente.clone(), notice.clone());
        with_read_conn!(self, |conn| {
            let holders = cart_items::table
                .filter(cart_items::ente.eq(ente.as_str()))
                .filter(cart_items::notice_number.eq(notice.as_str()))
                .select(cart_items::cart_id);
            let holding = [CartStatus::Created.as_str(), CartStatus::InProgress.as_str()];
            let rows: Vec<(i64, String)> = carts::table
                .filter(carts::id.eq_any(holders))
                .filter(carts::status.eq_any(holding))
                .order(carts::id)
                .select((carts::version, carts::document))
                .load(conn)?;
            rows.iter()
                .map(|(version, document)| decode(*version, document))
                .collect()
        })
    }
}
