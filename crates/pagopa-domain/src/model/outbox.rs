//! The outbox: messages to the gestionale written in the same transaction as the change they
//! report, and delivered until acknowledged.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::model::{DebtPosition, Iupd, ReceiptDisposition, ReceiptId};
use crate::value::{AmountCents, EnteId, Iuv, NoticeNumber};

/// What the gestionale is told about a payment.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PaymentNotification {
    /// The receipt (payment token).
    pub receipt_id: ReceiptId,
    /// The creditor Ente.
    pub ente: EnteId,
    /// The notice paid.
    pub notice_number: NoticeNumber,
    /// Its IUV.
    pub iuv: Iuv,
    /// The position, when known.
    pub iupd: Option<Iupd>,
    /// The amount paid.
    pub amount: AmountCents,
    /// When paid.
    pub paid_at: DateTime<Utc>,
    /// What the receipt meant.
    pub disposition: ReceiptDisposition,
    /// The PSP's name.
    pub psp_name: String,
}

/// What the gestionale is told when a position expires: its last due date passed (on the
/// Italian calendar) and it expires after its due dates, so it is no longer payable.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExpiryNotification {
    /// The creditor Ente.
    pub ente: EnteId,
    /// The position.
    pub iupd: Iupd,
    /// Its notices, none of them paid.
    pub notices: Vec<NoticeNumber>,
    /// Its last due date.
    pub last_due_date: NaiveDate,
    /// When it was moved to expired.
    pub expired_at: DateTime<Utc>,
}

impl ExpiryNotification {
    /// The notification for `position`, just expired at `now`; `None` if it has no due date
    /// after which it expires.
    pub fn of(position: &DebtPosition, now: DateTime<Utc>) -> Option<Self> {
        Some(Self {
            ente: position.ente.clone(),
            iupd: position.iupd.clone(),
            notices: position.options.iter().map(|o| o.notice_number.clone()).collect(),
            last_due_date: position.expires_on()?.pred_opt()?,
            expired_at: now,
        })
    }
}

/// What the gestionale is told when an operator cancels a position: its notices are no longer
/// payable (pagoPA is answered `PAA_PAGAMENTO_ANNULLATO`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CancellationNotification {
    /// The creditor Ente.
    pub ente: EnteId,
    /// The position.
    pub iupd: Iupd,
    /// Its notices.
    pub notices: Vec<NoticeNumber>,
    /// When it was cancelled.
    pub cancelled_at: DateTime<Utc>,
}

/// A message for the gestionale.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum OutboxEvent {
    /// A receipt arrived.
    PaymentReceived(PaymentNotification),
    /// A position expired by itself.
    PositionExpired(ExpiryNotification),
    /// An operator cancelled a position.
    PositionCancelled(CancellationNotification),
}

impl OutboxEvent {
    /// The Ente whose gestionale receives it.
    pub fn ente(&self) -> &EnteId {
        match self {
            Self::PaymentReceived(n) => &n.ente,
            Self::PositionExpired(n) => &n.ente,
            Self::PositionCancelled(n) => &n.ente,
        }
    }

    /// The position it is about, as `<ente>:<iupd>`: the outbox delivers the messages of one
    /// position in the order they were enqueued (none is due while an older one of the same
    /// position is pending). `None` for a payment of a notice without a known position, which
    /// waits for nothing.
    ///
    /// ```
    /// use pagopa_domain::{CancellationNotification, OutboxEvent};
    ///
    /// let event = OutboxEvent::PositionCancelled(CancellationNotification {
    ///     ente: "80012345678".parse().unwrap(),
    ///     iupd: "TARI-2026-1".parse().unwrap(),
    ///     notices: Vec::new(),
    ///     cancelled_at: chrono::DateTime::UNIX_EPOCH,
    /// });
    /// assert_eq!(event.position_key().as_deref(), Some("80012345678:TARI-2026-1"));
    /// ```
    pub fn position_key(&self) -> Option<String> {
        let (ente, iupd) = match self {
            Self::PaymentReceived(n) => (&n.ente, n.iupd.as_ref()?),
            Self::PositionExpired(n) => (&n.ente, &n.iupd),
            Self::PositionCancelled(n) => (&n.ente, &n.iupd),
        };
        Some(format!("{ente}:{iupd}"))
    }

    /// A key unique per event, so a message enqueued twice is delivered once.
    pub fn dedup_key(&self) -> String {
        match self {
            Self::PaymentReceived(n) => format!("payment:{}:{}", n.ente, n.receipt_id),
            Self::PositionExpired(n) => format!("expiry:{}:{}:{}", n.ente, n.iupd, n.last_due_date),
            Self::PositionCancelled(n) => format!("cancel:{}:{}", n.ente, n.iupd),
        }
    }
}

/// A message in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutboxMessage {
    /// Storage-assigned id.
    pub id: u64,
    /// What to deliver.
    pub event: OutboxEvent,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// Not to be tried before this instant.
    pub available_at: DateTime<Utc>,
    /// When enqueued.
    pub created_at: DateTime<Utc>,
    /// The last delivery error.
    pub last_error: Option<String>,
    /// When the gestionale acknowledged it.
    pub delivered_at: Option<DateTime<Utc>>,
    /// When it was dead-lettered: no longer tried, kept for operators to see and replay.
    #[serde(default)]
    pub dead_at: Option<DateTime<Utc>>,
    /// Since when it is being tried: its last replay, or `None` since it was enqueued. The
    /// age limit of [`DeliveryLimits`] counts from here.
    #[serde(default)]
    pub retrying_since: Option<DateTime<Utc>>,
    /// Its place in the Ente's pull feed: 1, 2, 3, … per Ente, in commit order.
    #[serde(default)]
    pub feed_seq: Option<u64>,
}

/// Where a message of the outbox stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Waiting to be delivered (or being delivered).
    Pending,
    /// Acknowledged by the gestionale (or dropped as delivered: `Unsupported`, no gestionale).
    Delivered,
    /// Given up after the gestionale's delivery limits: kept, replayable.
    Dead,
}

impl std::str::FromStr for OutboxState {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw {
            "pending" => Ok(Self::Pending),
            "delivered" => Ok(Self::Delivered),
            "dead" => Ok(Self::Dead),
            other => Err(format!("{other:?} is not an outbox state (pending, delivered, dead)")),
        }
    }
}

impl OutboxMessage {
    /// Where it stands.
    pub fn state(&self) -> OutboxState {
        if self.dead_at.is_some() {
            OutboxState::Dead
        } else if self.delivered_at.is_some() {
            OutboxState::Delivered
        } else {
            OutboxState::Pending
        }
    }

    /// Whether it matches `query`'s filters (state, Ente, creation dates), not its page.
    pub fn matches(&self, query: &crate::ports::OutboxQuery) -> bool {
        query.state.is_none_or(|s| s == self.state())
            && query.ente.as_ref().is_none_or(|e| e == self.event.ente())
            && query.created_from.is_none_or(|from| self.created_at >= from)
            && query.created_before.is_none_or(|before| self.created_at < before)
    }
}

/// When the outbox gives up on a message and dead-letters it (kept, visible to operators,
/// replayable): after `max_attempts` failed deliveries or once it is older than `max_age`,
/// whichever comes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeliveryLimits {
    /// Failed deliveries after which the message is dead (at least 1).
    pub max_attempts: u32,
    /// Age (since it was enqueued) after which a failed message is dead.
    pub max_age: Duration,
}

impl DeliveryLimits {
    /// Whether a message enqueued at `created_at`, after `attempts` failed deliveries (the one
    /// just made included), is dead at `now`.
    ///
    /// ```
    /// use chrono::{Duration, TimeZone, Utc};
    /// use pagopa_domain::DeliveryLimits;
    ///
    /// let limits = DeliveryLimits { max_attempts: 3, max_age: Duration::hours(1) };
    /// let created = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
    /// assert!(!limits.exhausted(2, created, created + Duration::minutes(5)));
    /// assert!(limits.exhausted(3, created, created + Duration::minutes(5)));
    /// assert!(limits.exhausted(1, created, created + Duration::hours(1)));
    /// ```
    pub fn exhausted(&self, attempts: u32, created_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        attempts >= self.max_attempts || now - created_at >= self.max_age
    }
}

/// When to try again after a failed delivery: exponential back-off from `base`, capped at `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay after the first failure.
    pub base: Duration,
    /// Longest delay.
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::seconds(10),
            max: Duration::hours(1),
        }
    }
}

impl RetryPolicy {
    /// The delay before attempt `attempts + 1`, after `attempts` failures (at least one).
    pub fn delay(&self, attempts: u32) -> Duration {
        let exponent = attempts.saturating_sub(1).min(20);
        let delay = self.base * 2i32.pow(exponent);
        delay.min(self.max)
    }

    /// [`delay`](Self::delay) with jitter: between half and all of it, chosen by `seed` (the
    /// message id) and the attempt, so messages that failed together (a gestionale down) do
    /// not all come back in the same instant. Deterministic, so it is testable and needs no
    /// random source in the domain.
    ///
    /// ```
    /// use chrono::Duration;
    /// use pagopa_domain::RetryPolicy;
    ///
    /// let policy = RetryPolicy { base: Duration::seconds(10), max: Duration::hours(1) };
    /// for id in 1..100 {
    ///     let delay = policy.delay_with_jitter(3, id);
    ///     assert!(delay >= Duration::seconds(20) && delay <= Duration::seconds(40));
    /// }
    /// ```
    pub fn delay_with_jitter(&self, attempts: u32, seed: u64) -> Duration {
        let full = self.delay(attempts);
        let millis = full.num_milliseconds().max(0);
        let half = millis / 2;
        // splitmix64 of (seed, attempts): well spread even for consecutive ids.
        let mut z = seed ^ (u64::from(attempts) << 48) ^ 0x9E37_79B9_7F4A_7C15;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let span = u64::try_from(millis - half).unwrap_or(0) + 1;
        let extra = i64::try_from(z % span).unwrap_or(0);
        Duration::milliseconds(half + extra)
    }
}
