//! Storage ports: repositories for every aggregate and the outbox.
//!
//! Shared error contract: [`StorageError::NotFound`] only where a method says so (lookups
//! return `Ok(None)`), [`StorageError::Duplicate`] when a unique key is taken,
//! [`StorageError::Conflict`] when an optimistic version check fails (the caller reloads and
//! decides again), [`StorageError::Unavailable`] for everything the database itself reports.
//! A method that fails changes nothing.

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::BoxError;
use crate::model::{
    Cart, CartId, DebtPosition, Ente, EnteLogo, ImportId, ImportRecord, Iupd, OutboxEvent, OutboxMessage, OutboxState,
    PositionStatus, QuarantineEntry, QuarantinedMessage, ReceiptId, ServiceCode, SpontaneousService, StoredReceipt,
};
use crate::value::{EnteId, FiscalCode, Iuv, NoticeNumber};

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The record to change does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// A unique key is already taken.
    #[error("{0} already exists")]
    Duplicate(String),
    /// The record changed since it was read (version check failed).
    #[error("{0} was changed concurrently")]
    Conflict(String),
    /// The database failed or could not be reached.
    #[error("storage is unavailable")]
    Unavailable(#[source] BoxError),
}

/// One page of a keyset-paginated listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T, C> {
    /// The items, in key order.
    pub items: Vec<T>,
    /// The cursor for the next page, `None` on the last one.
    pub next: Option<C>,
}

impl<T, C> Page<T, C> {
    /// A page from up to `limit + 1` items fetched in key order: the extra item only tells that
    /// there is more, and the cursor points at the last item kept.
    pub fn from_overfetch(mut items: Vec<T>, limit: usize, cursor: impl Fn(&T) -> C) -> Self {
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(cursor)
        } else {
            None
        };
        Self { items, next }
    }
}

/// The largest page a search returns, whatever its `limit` asks.
pub const MAX_PAGE: u32 = 1000;

/// Position of a keyset page: the last (Ente, iupd) seen.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PositionCursor {
    /// Ente of the last item.
    pub ente: EnteId,
    /// Iupd of the last item.
    pub iupd: Iupd,
}

impl PositionCursor {
    /// The cursor that resumes after `position`.
    pub fn after(position: &DebtPosition) -> Self {
        Self {
            ente: position.ente.clone(),
            iupd: position.iupd.clone(),
        }
    }
}

/// An operator's search of positions; every filter is optional and they combine with AND.
/// Results are ordered by (Ente, iupd).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PositionQuery {
    /// Only this Ente's.
    pub ente: Option<EnteId>,
    /// Only this debtor's.
    pub debtor: Option<FiscalCode>,
    /// Only the position with this notice.
    pub notice_number: Option<NoticeNumber>,
    /// Only the position with this IUV.
    pub iuv: Option<Iuv>,
    /// Only in this status.
    pub status: Option<PositionStatus>,
    /// Only with an option due on or after this date.
    pub due_from: Option<NaiveDate>,
    /// Only with an option due on or before this date.
    pub due_to: Option<NaiveDate>,
    /// Start after this key.
    pub after: Option<PositionCursor>,
    /// Page size (capped at [`MAX_PAGE`]).
    pub limit: u32,
}

impl PositionQuery {
    /// The page size to fetch: `limit` within 1..=[`MAX_PAGE`].
    pub fn page_size(&self) -> usize {
        self.limit.clamp(1, MAX_PAGE) as usize
    }
}

/// Position of a keyset page of receipts: the last (recipient, receipt id) seen.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReceiptCursor {
    /// Recipient Ente of the last item.
    pub recipient: EnteId,
    /// Receipt id of the last item.
    pub receipt_id: ReceiptId,
}

impl ReceiptCursor {
    /// The cursor that resumes after `stored`.
    pub fn after(stored: &StoredReceipt) -> Self {
        Self {
            recipient: stored.receipt.delivery.recipient.clone(),
            receipt_id: stored.receipt.receipt_id.clone(),
        }
    }
}

/// A search of receipts, ordered by (recipient, receipt id).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReceiptQuery {
    /// Only those delivered to this Ente.
    pub recipient: Option<EnteId>,
    /// Only this debtor's.
    pub debtor: Option<FiscalCode>,
    /// Only for this notice.
    pub notice_number: Option<NoticeNumber>,
    /// Only those an operator must review.
    pub needs_review: bool,
    /// Start after this key.
    pub after: Option<ReceiptCursor>,
    /// Page size (capped at [`MAX_PAGE`]).
    pub limit: u32,
}

impl ReceiptQuery {
    /// The page size to fetch: `limit` within 1..=[`MAX_PAGE`].
    pub fn page_size(&self) -> usize {
        self.limit.clamp(1, MAX_PAGE) as usize
    }
}

/// What saving an Ente's settings did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnteSaved {
    /// It was not stored before.
    Created,
    /// Some setting changed.
    Updated,
    /// The stored settings were the same; nothing was written or audited.
    Unchanged,
}

/// Enti and their settings. Disabled Enti are stored and returned like the others; the
/// services decide what "served" means.
#[async_trait]
pub trait EnteRepository: Send + Sync {
    /// The Ente, if stored here.
    async fn get(&self, id: &EnteId) -> Result<Option<Ente>, StorageError>;
    /// Every Ente stored here, by id.
    async fn list(&self) -> Result<Vec<Ente>, StorageError>;
    /// Adds or replaces an Ente's settings in one transaction, with an audit entry naming
    /// `actor` and holding the settings before and after; nothing is written when they are the
    /// same.
    async fn save(&self, ente: &Ente, actor: &str) -> Result<EnteSaved, StorageError>;
    /// Adds or replaces an Ente, audited as done by the system.
    async fn upsert(&self, ente: &Ente) -> Result<(), StorageError> {
        self.save(ente, "system").await.map(|_| ())
    }
    /// The Ente's logo, if it has one.
    async fn logo(&self, id: &EnteId) -> Result<Option<EnteLogo>, StorageError>;
    /// Sets or removes the Ente's logo (the Ente must be stored: [`StorageError::NotFound`]
    /// otherwise). Returns whether anything changed.
    async fn set_logo(&self, id: &EnteId, logo: Option<&EnteLogo>, actor: &str) -> Result<bool, StorageError>;
}

/// The spontaneous catalogue.
#[async_trait]
pub trait CatalogueRepository: Send + Sync {
    /// An Ente's services, by code.
    async fn list(&self, ente: &EnteId) -> Result<Vec<SpontaneousService>, StorageError>;
    /// One service.
    async fn get(&self, ente: &EnteId, code: &ServiceCode) -> Result<Option<SpontaneousService>, StorageError>;
    /// The service PSPs request as `idServizio` with `paDemandPaymentNotice`.
    async fn by_demand_id(
        &self,
        ente: &EnteId,
        demand_service_id: &str,
    ) -> Result<Option<SpontaneousService>, StorageError>;
    /// Adds or replaces a service.
    async fn upsert(&self, service: &SpontaneousService) -> Result<(), StorageError>;
}

/// Debt positions.
#[async_trait]
pub trait PositionRepository: Send + Sync {
    /// Stores a new position and returns it as stored. `Duplicate` if the Ente already has this
    /// iupd or one of its notice numbers.
    async fn insert(&self, position: &DebtPosition) -> Result<DebtPosition, StorageError>;
    /// Stores many new positions in as few transactions as the adapter likes; all or nothing.
    /// Returns how many were stored.
    async fn insert_batch(&self, positions: &[DebtPosition]) -> Result<u64, StorageError>;
    /// A position by its iupd.
    async fn get(&self, ente: &EnteId, iupd: &Iupd) -> Result<Option<DebtPosition>, StorageError>;
    /// The stored positions among `iupds` of one Ente, in any order (those not stored are
    /// absent). Bulk loads read a whole batch with one call; the default asks one by one.
    async fn get_many(&self, ente: &EnteId, iupds: &[Iupd]) -> Result<Vec<DebtPosition>, StorageError> {
        let mut found = Vec::with_capacity(iupds.len());
        for iupd in iupds {
            if let Some(position) = self.get(ente, iupd).await? {
                found.push(position);
            }
        }
        Ok(found)
    }
    /// The position one of whose options has this notice number.
    async fn find_by_notice(&self, ente: &EnteId, notice: &NoticeNumber) -> Result<Option<DebtPosition>, StorageError>;
    /// The positions holding any of `notices` of one Ente, each once, in any order (notices of
    /// no position are skipped). Reconciliation reads a flow's positions with one call per
    /// chunk; the default asks one by one.
    async fn find_by_notices(
        &self,
        ente: &EnteId,
        notices: &[NoticeNumber],
    ) -> Result<Vec<DebtPosition>, StorageError> {
        let mut found: Vec<DebtPosition> = Vec::new();
        for notice in notices {
            if let Some(position) = self.find_by_notice(ente, notice).await?
                && !found.iter().any(|p| p.iupd == position.iupd)
            {
                found.push(position);
            }
        }
        Ok(found)
    }
    /// Every position of a debtor, across Enti, ordered by (Ente, iupd).
    async fn list_by_debtor(&self, debtor: &FiscalCode) -> Result<Vec<DebtPosition>, StorageError>;
    /// Replaces a position if its stored version still equals `position.version`, and returns it
    /// with the version increased. `Conflict` if the version moved, `NotFound` if it is gone.
    async fn update(&self, position: &DebtPosition) -> Result<DebtPosition, StorageError>;
    /// [`update`](Self::update) of each position, in as few transactions as the adapter
    /// likes: one result per position, in order (`Conflict` or `NotFound` for that position
    /// alone, the others written). `Err` only when the store failed. The default updates one
    /// by one.
    async fn update_many(
        &self,
        positions: &[DebtPosition],
    ) -> Result<Vec<Result<DebtPosition, StorageError>>, StorageError> {
        let mut results = Vec::with_capacity(positions.len());
        for position in positions {
            match self.update(position).await {
                Ok(stored) => results.push(Ok(stored)),
                Err(error @ (StorageError::Conflict(_) | StorageError::NotFound(_))) => results.push(Err(error)),
                Err(error) => return Err(error),
            }
        }
        Ok(results)
    }
    /// [`update`](Self::update), with `events` enqueued in the outbox in the same transaction
    /// (nothing written on `Conflict`).
    async fn update_with_events(
        &self,
        position: &DebtPosition,
        events: &[OutboxEvent],
    ) -> Result<DebtPosition, StorageError>;
    /// An operator's search.
    async fn search(&self, query: &PositionQuery) -> Result<Page<DebtPosition, PositionCursor>, StorageError>;
    /// Expires up to `limit` positions whose expiry is due on `today` (an Italian date): each
    /// one [`DebtPosition::expire_if_due`] moves to `Expired` is stored with its
    /// [`OutboxEvent::PositionExpired`] message, in one transaction per call. Positions another
    /// caller is expiring at the same time are skipped (row locks, `SKIP LOCKED`), so several
    /// instances sharing the storage never expire or notify one position twice. Returns the
    /// positions as stored.
    async fn expire_due(
        &self,
        today: NaiveDate,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DebtPosition>, StorageError>;
}

/// One position written by a bulk load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportWrite {
    /// A new position.
    Create(DebtPosition),
    /// A changed position, written only if its stored version is still `position.version`.
    Update(DebtPosition),
    /// A cancelled position, written like an update with its message for the gestionale.
    Cancel(DebtPosition, OutboxEvent),
}

impl ImportWrite {
    /// The position written.
    pub fn position(&self) -> &DebtPosition {
        match self {
            Self::Create(position) | Self::Update(position) | Self::Cancel(position, _) => position,
        }
    }
}

/// Bulk loads: their records, and the batches that apply them.
///
/// Error contract as for the other repositories. A record is changed only by the worker that
/// holds its lease ([`ImportRepository::claim_import`]).
#[async_trait]
pub trait ImportRepository: Send + Sync {
    /// Stores a new load's record.
    async fn create_import(&self, record: &ImportRecord) -> Result<(), StorageError>;
    /// A load by its id.
    async fn import(&self, id: &ImportId) -> Result<Option<ImportRecord>, StorageError>;
    /// The first load of an Ente with this file digest and dry-run flag.
    async fn import_by_digest(
        &self,
        ente: &EnteId,
        sha256: &str,
        dry_run: bool,
    ) -> Result<Option<ImportRecord>, StorageError>;
    /// Loads not finished (queued or running), oldest first.
    async fn unfinished_imports(&self) -> Result<Vec<ImportRecord>, StorageError>;
    /// Takes the lease of an unfinished load for `worker` until `until`, if nobody else holds
    /// it at `now`; returns the record as claimed, or `None` when another worker holds it or
    /// the load has ended.
    async fn claim_import(
        &self,
        id: &ImportId,
        worker: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<ImportRecord>, StorageError>;
    /// Records a load's progress or end (status, counters, lease).
    async fn save_import(&self, record: &ImportRecord) -> Result<(), StorageError>;
    /// Writes one batch of a load in one transaction. Each position is written on its own: one
    /// that cannot be (`Duplicate` iupd or notice number, `Conflict` on a moved version) is
    /// answered with that error and leaves the others alone, and none is ever half written.
    /// Returns, in the order of `writes`, whether each was written or why it was not.
    async fn commit_import_batch(&self, writes: &[ImportWrite]) -> Result<Vec<Result<(), StorageError>>, StorageError>;
}

/// What one receipt changes, written in one transaction.
#[derive(Clone, Debug)]
pub struct ReceiptWrite {
    /// The receipt and its disposition.
    pub receipt: StoredReceipt,
    /// The position as changed by the receipt, stored only if its version is still
    /// `position.version` (the version it was read at).
    pub position: Option<DebtPosition>,
    /// Messages for the gestionale.
    pub outbox: Vec<OutboxEvent>,
}

/// What [`ReceiptRepository::record`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordOutcome {
    /// Everything was written.
    Recorded,
    /// A receipt with the same recipient and id was already stored; nothing was written.
    AlreadyRecorded(Box<StoredReceipt>),
}

/// Receipts.
#[async_trait]
pub trait ReceiptRepository: Send + Sync {
    /// Writes a receipt, the position change and the outbox messages atomically. Idempotent on
    /// (recipient, receipt id): a second call with the same key writes nothing and answers
    /// `AlreadyRecorded`. `Conflict` if the position's version moved (nothing written).
    async fn record(&self, write: ReceiptWrite) -> Result<RecordOutcome, StorageError>;
    /// One receipt.
    async fn get(&self, recipient: &EnteId, receipt_id: &ReceiptId) -> Result<Option<StoredReceipt>, StorageError>;
    /// Searches receipts.
    async fn search(&self, query: &ReceiptQuery) -> Result<Page<StoredReceipt, ReceiptCursor>, StorageError>;
}

/// Checkout carts.
#[async_trait]
pub trait CartRepository: Send + Sync {
    /// Stores a new cart. `Duplicate` (nothing written) if the id is taken or, for a cart whose
    /// status holds its notices, if another such cart holds one of them: the storage enforces
    /// one holder per notice, whatever the interleaving of concurrent inserts.
    async fn insert(&self, cart: &Cart) -> Result<Cart, StorageError>;
    /// A cart.
    async fn get(&self, id: &CartId) -> Result<Option<Cart>, StorageError>;
    /// Replaces a cart under the same version rule as positions; a status that no longer holds
    /// notices releases them.
    async fn update(&self, cart: &Cart) -> Result<Cart, StorageError>;
    /// The carts whose status still holds their notices and that contain this notice.
    async fn holding(&self, ente: &EnteId, notice: &NoticeNumber) -> Result<Vec<Cart>, StorageError>;
}

/// A page request of the quarantine, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuarantineQuery {
    /// Only entries naming this Ente.
    pub ente: Option<EnteId>,
    /// Only entries older than this id.
    pub before: Option<u64>,
    /// Page size (capped at [`MAX_PAGE`]).
    pub limit: u32,
}

impl QuarantineQuery {
    /// The page size to fetch: `limit` within 1..=[`MAX_PAGE`].
    pub fn page_size(&self) -> usize {
        self.limit.clamp(1, MAX_PAGE) as usize
    }
}

/// What the Node sent that could not be read (see [`QuarantineEntry`]).
#[async_trait]
pub trait Quarantine: Send + Sync {
    /// Keeps an entry durably before the caller answers; returns its id.
    async fn keep(&self, entry: &QuarantineEntry) -> Result<u64, StorageError>;
    /// Entries, newest first; the cursor is the id to pass as `before`.
    async fn list(&self, query: &QuarantineQuery) -> Result<Page<QuarantinedMessage, u64>, StorageError>;
}

/// The outbox of messages for the gestionale.
///
/// Delivery is at least once: a claimed message is leased to one worker until `lease` passes;
/// if the worker neither acknowledges nor reschedules it by then, another may claim it. Two
/// workers never hold the same message at the same time.
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Enqueues events, skipping any whose dedup key is already in the outbox.
    async fn enqueue(&self, events: &[OutboxEvent], now: DateTime<Utc>) -> Result<(), StorageError>;
    /// Leases up to `limit` undelivered messages that are available at `now` and not leased.
    /// A message whose [position](OutboxEvent::position_key) has an older message still pending
    /// (not delivered, not dead; due later or leased) is not claimed, so one position's
    /// messages are delivered one at a time, in the order they were enqueued.
    async fn claim(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StorageError>;
    /// Marks a message delivered, if it is still leased to `worker`. `NotFound` if unknown,
    /// `Conflict` (nothing changed) if another worker claimed it since or it is not leased: a
    /// worker whose lease ran out must not touch the lease of the one that re-claimed it.
    async fn acknowledge(&self, id: u64, worker: &str, now: DateTime<Utc>) -> Result<(), StorageError>;
    /// Records a failed attempt and when to try again, and ends the lease, under the same rule
    /// as [`acknowledge`](Self::acknowledge).
    async fn reschedule(
        &self,
        id: u64,
        worker: &str,
        error: &str,
        available_at: DateTime<Utc>,
    ) -> Result<(), StorageError>;
    /// Records a last failed attempt and dead-letters the message (no longer claimed, kept),
    /// under the same rule as [`acknowledge`](Self::acknowledge).
    async fn dead_letter(&self, id: u64, worker: &str, error: &str, now: DateTime<Utc>) -> Result<(), StorageError>;
    /// An operator's replay: makes a message (delivered, dead or pending) available again at
    /// `now`, with a fresh delivery budget (attempts from zero, age from `now`). `NotFound` if
    /// unknown.
    async fn replay(&self, id: u64, now: DateTime<Utc>) -> Result<(), StorageError>;
    /// Replays, as [`replay`](Self::replay), up to `query.limit` (within 1..=[`MAX_PAGE`])
    /// messages matching `query`'s filters, oldest first; returns how many. Call it again
    /// until it answers 0 to replay more.
    async fn replay_matching(&self, query: &OutboxQuery, now: DateTime<Utc>) -> Result<u64, StorageError>;
    /// One message.
    async fn get(&self, id: u64) -> Result<Option<OutboxMessage>, StorageError>;
    /// A page of messages matching `query`, by id; the cursor is the last id.
    async fn list(&self, query: &OutboxQuery) -> Result<Page<OutboxMessage, u64>, StorageError>;
    /// How many messages are pending (neither delivered nor dead).
    async fn backlog(&self) -> Result<u64, StorageError>;
    /// How many messages are dead letters.
    async fn dead_letters(&self) -> Result<u64, StorageError>;
    /// The Ente's pull feed: up to `limit` (within 1..=[`MAX_PAGE`]) of its messages, whatever
    /// their delivery state, with a `feed_seq` above `after`, in `feed_seq` order. Each Ente's
    /// sequence numbers are given in commit order, so a reader that resumes after the last one
    /// it saw never skips or repeats one, across restarts and instances.
    async fn feed(&self, ente: &EnteId, after: u64, limit: u32) -> Result<Vec<OutboxMessage>, StorageError>;
    /// Deletes up to `limit` messages delivered before `before`, oldest first; returns how many.
    /// Pending messages and dead letters are never deleted (a dead letter waits for an
    /// operator). The pull feed loses them too; its numbering goes on where it was.
    async fn prune_delivered(&self, before: DateTime<Utc>, limit: u32) -> Result<u64, StorageError>;
}

/// A page request of the outbox, by id (oldest first).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutboxQuery {
    /// Only messages in this state.
    pub state: Option<OutboxState>,
    /// Only messages for this Ente.
    pub ente: Option<EnteId>,
    /// Only messages enqueued at or after this instant.
    pub created_from: Option<DateTime<Utc>>,
    /// Only messages enqueued before this instant.
    pub created_before: Option<DateTime<Utc>>,
    /// Only messages with a larger id (the cursor of the previous page).
    pub after: Option<u64>,
    /// Page size (capped at [`MAX_PAGE`]).
    pub limit: u32,
}

impl OutboxQuery {
    /// The page size to fetch: `limit` within 1..=[`MAX_PAGE`].
    pub fn page_size(&self) -> usize {
        self.limit.clamp(1, MAX_PAGE) as usize
    }
}
