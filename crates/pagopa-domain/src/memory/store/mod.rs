//! All storage ports over one mutex: the shared [`State`] and the store around it. Each port is
//! implemented in its own module: Entes and catalogues ([`entes`]), debt positions
//! ([`positions`]), receipts ([`receipts`]), carts ([`carts`]), the outbox ([`outbox`]), IUV
//! counters ([`iuv`]), idempotency keys ([`idempotency`]), quarantine ([`quarantine`]), bulk
//! imports ([`imports`]) and reconciliation ([`reconciliation`]).

mod carts;
mod entes;
mod idempotency;
mod imports;
mod iuv;
mod outbox;
mod positions;
mod quarantine;
mod receipts;
mod reconciliation;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use crate::model::{
    Cart, CartId, DebtPosition, Ente, EnteLogo, Iupd, QuarantinedMessage, ReceiptId, ServiceCode, SpontaneousService,
    StoredReceipt,
};
use crate::value::{EnteId, NoticeNumber};
use idempotency::Remembered;
use outbox::Leased;

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
