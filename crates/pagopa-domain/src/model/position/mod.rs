//! Debt positions (posizioni debitorie), their payment options (single solution and instalments)
//! and transfers, with the position's state machine.

mod option;
mod rules;

use chrono::{DateTime, NaiveDate, Utc};
pub use option::{Instalment, OptionPayment, PaymentOption, StampRequest, Transfer, TransferAccount};
use rules::validate_options;

use crate::model::{Iupd, Metadata, ServiceCode, Subject};
use crate::value::{AmountCents, EnteId, NoticeLayout, NoticeNumber, Text};

/// Where a position came from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Origin {
    /// A pagamento atteso: the Ente (its gestionale or an operator) knew the debt.
    Expected,
    /// A pagamento spontaneo, created from a catalogue service at the citizen's or a PSP's request.
    Spontaneous {
        /// The catalogue service.
        service: ServiceCode,
    },
}

/// The life cycle of a debt position.
///
/// ```text
/// Draft ─► Valid ─► PartiallyPaid ─► Paid ─► Reported
///   │        ├──────────────────────►┘ ▲
///   │        ├─► Expired ──────────────┘ (a late receipt still settles it)
///   └────────┴─► Cancelled
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PositionStatus {
    /// Being prepared; not payable, not visible to the Node.
    Draft,
    /// Published and payable.
    Valid,
    /// Some instalments are paid, others are still payable.
    PartiallyPaid,
    /// Fully paid.
    Paid,
    /// Paid and found in the PSPs' reconciliation flows.
    Reported,
    /// Past its due date and no longer payable.
    Expired,
    /// Cancelled by the Ente.
    Cancelled,
}

impl PositionStatus {
    /// Whether the state machine allows going from `self` to `to`.
    pub fn can_become(self, to: PositionStatus) -> bool {
        use PositionStatus::*;
        matches!(
            (self, to),
            (Draft, Valid | Cancelled)
                | (Valid, PartiallyPaid | Paid | Expired | Cancelled)
                | (PartiallyPaid, Paid)
                | (Expired, Paid | PartiallyPaid)
                | (Paid, Reported)
        )
    }

    /// Whether the Ente may still change the position's content.
    pub fn is_updatable(self) -> bool {
        matches!(self, Self::Draft | Self::Valid)
    }

    /// The status name as stored and shown (`partially_paid`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Valid => "valid",
            Self::PartiallyPaid => "partially_paid",
            Self::Paid => "paid",
            Self::Reported => "reported",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
        }
    }

    /// Every status, for parsing and exhaustive tests.
    pub const ALL: [PositionStatus; 7] = [
        Self::Draft,
        Self::Valid,
        Self::PartiallyPaid,
        Self::Paid,
        Self::Reported,
        Self::Expired,
        Self::Cancelled,
    ];
}

impl std::str::FromStr for PositionStatus {
    type Err = PositionError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| PositionError::UnknownStatus(raw.to_owned()))
    }
}

/// Why an option cannot be paid now; each maps to one pagoPA fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotPayable {
    /// The position is a draft or not valid yet: to pagoPA it does not exist.
    #[error("the position is not published")]
    NotPublished,
    /// Expired.
    #[error("the position has expired")]
    Expired,
    /// Cancelled.
    #[error("the position was cancelled")]
    Cancelled,
    /// This option (or the whole position) is already paid.
    #[error("the notice is already paid")]
    AlreadyPaid,
    /// The single solution of a plan whose instalments have started.
    #[error("instalments of this position are already paid: pay the remaining instalments")]
    InstalmentsStarted,
}

/// A debt position (posizione debitoria): a debtor, what they owe an Ente, and how they may pay.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DebtPosition {
    /// The creditor Ente.
    pub ente: EnteId,
    /// The Ente's id of the position.
    pub iupd: Iupd,
    /// Expected or spontaneous.
    pub origin: Origin,
    /// Who owes.
    pub debtor: Subject,
    /// What it is for.
    pub description: Text<140>,
    /// Where it is in its life cycle.
    pub status: PositionStatus,
    /// The single solution and/or the instalments.
    pub options: Vec<PaymentOption>,
    /// GPD `switchToExpired`: the position expires (stops being payable) after the due date of
    /// its options; otherwise late payment is accepted.
    pub expires_after_due_date: bool,
    /// Not payable before this instant, if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<DateTime<Utc>>,
    /// Payment-level metadata echoed in the receipt.
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version, increased by storage on every update.
    pub version: u64,
    /// Whether the position is shown in its debtor's own list (`/me/positions`). False for a
    /// spontaneous request whose debtor was named by the caller, not authenticated: it stays
    /// reachable by its notice number, but nobody can put a debt in someone else's list.
    #[serde(default = "listed_by_default", skip_serializing_if = "is_listed")]
    pub listed_to_debtor: bool,
}

fn listed_by_default() -> bool {
    true
}

fn is_listed(listed: &bool) -> bool {
    *listed
}

/// What a new or updated position says; [`DebtPosition::create`] checks it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PositionDraft {
    /// The Ente's id of the position.
    pub iupd: Iupd,
    /// Expected or spontaneous.
    pub origin: Origin,
    /// Who owes.
    pub debtor: Subject,
    /// What it is for.
    pub description: Text<140>,
    /// The options (their `payment` must be `None`).
    pub options: Vec<PaymentOption>,
    /// See [`DebtPosition::expires_after_due_date`].
    pub expires_after_due_date: bool,
    /// See [`DebtPosition::valid_from`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<DateTime<Utc>>,
    /// Payment-level metadata.
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
    /// Publish at once (`Valid`) or keep as `Draft`.
    pub publish: bool,
}

/// Why a position is malformed or a change to it is not allowed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PositionError {
    /// No payment option.
    #[error("a position needs at least one payment option")]
    NoOptions,
    /// More options than a position may have.
    #[error("a position has at most {max} payment options")]
    TooManyOptions {
        /// The maximum.
        max: usize,
    },
    /// An option with no transfer or more than five.
    #[error("notice {notice}: an option has 1 to 5 transfers, not {count}")]
    TransferCount {
        /// The option's notice.
        notice: NoticeNumber,
        /// How many it has.
        count: usize,
    },
    /// Transfer ids not 1, 2, … in order.
    #[error("notice {notice}: transfer ids must be 1, 2, … in order")]
    TransferIds {
        /// The option's notice.
        notice: NoticeNumber,
    },
    /// The transfers do not add up to the option amount.
    #[error("notice {notice}: the transfers add up to {transfers}, the option amount is {amount}")]
    TransferSum {
        /// The option's notice.
        notice: NoticeNumber,
        /// The option amount.
        amount: AmountCents,
        /// The sum of the transfers (saturating at the maximum).
        transfers: u64,
    },
    /// The first transfer is not to the position's own Ente.
    #[error("notice {notice}: transfer 1 must credit the creditor Ente itself")]
    PrimaryTransfer {
        /// The option's notice.
        notice: NoticeNumber,
    },
    /// A postal alternative that is not a Poste Italiane account.
    #[error("notice {notice}: the postal alternative of transfer {transfer} is not a postal IBAN")]
    PostalAlternative {
        /// The option's notice.
        notice: NoticeNumber,
        /// The transfer id.
        transfer: u8,
    },
    /// A digital stamp request pagoPA would refuse.
    #[error("notice {notice}: the digital stamp of transfer {transfer} {problem}")]
    StampRequest {
        /// The option's notice.
        notice: NoticeNumber,
        /// The transfer id.
        transfer: u8,
        /// What is wrong.
        problem: &'static str,
    },
    /// Two options share a notice number.
    #[error("notice {0} appears twice")]
    DuplicateNotice(NoticeNumber),
    /// A notice number that does not follow the Ente's layout (aux digit, segregation code).
    #[error("notice {notice} does not follow the Ente's layout (aux digit {aux_digit})")]
    ForeignNotice {
        /// The notice.
        notice: NoticeNumber,
        /// The aux digit the Ente uses.
        aux_digit: u8,
    },
    /// Instalments not numbered 1..n of n, or more than one single solution.
    #[error("the instalment plan is inconsistent: {0}")]
    Instalments(&'static str),
    /// A draft that already carries payments.
    #[error("a new position cannot carry payments")]
    PaidInDraft,
    /// The state machine forbids this change.
    #[error("a position cannot go from {from:?} to {to:?}")]
    IllegalTransition {
        /// Current status.
        from: PositionStatus,
        /// Requested status.
        to: PositionStatus,
    },
    /// The position may no longer be changed (paid, cancelled, …).
    #[error("a position in status {0:?} can no longer be changed")]
    NotUpdatable(PositionStatus),
    /// The notice is not one of the position's options.
    #[error("notice {0} is not an option of this position")]
    NoSuchOption(NoticeNumber),
    /// The option is already paid.
    #[error("notice {0} is already paid")]
    OptionAlreadyPaid(NoticeNumber),
    /// A status name nobody knows.
    #[error("'{0}' is not a position status")]
    UnknownStatus(String),
}

/// What recording a payment did to the position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaymentEffect {
    /// Status before.
    pub from: PositionStatus,
    /// Status after.
    pub to: PositionStatus,
}

impl DebtPosition {
    /// The most options a position may have (a single solution plus instalments).
    pub const MAX_OPTIONS: usize = 100;

    /// Checks a draft against the rules and the owning Ente's notice layout, and makes it a
    /// position (`Valid` if `publish`, else `Draft`) at version 0.
    pub fn create(
        ente: &EnteId,
        layout: NoticeLayout,
        draft: PositionDraft,
        now: DateTime<Utc>,
    ) -> Result<Self, PositionError> {
        validate_options(ente, layout, &draft.options)?;
        Ok(Self {
            ente: ente.clone(),
            iupd: draft.iupd,
            origin: draft.origin,
            debtor: draft.debtor,
            description: draft.description,
            status: if draft.publish {
                PositionStatus::Valid
            } else {
                PositionStatus::Draft
            },
            options: draft.options,
            expires_after_due_date: draft.expires_after_due_date,
            valid_from: draft.valid_from,
            metadata: draft.metadata,
            created_at: now,
            updated_at: now,
            version: 0,
            listed_to_debtor: true,
        })
    }

    /// Replaces the content with `draft` (same rules as [`create`](Self::create)); only a
    /// `Draft` or `Valid` position may change. The iupd and origin stay.
    pub fn update(
        &mut self,
        layout: NoticeLayout,
        draft: PositionDraft,
        now: DateTime<Utc>,
    ) -> Result<(), PositionError> {
        if !self.status.is_updatable() {
            return Err(PositionError::NotUpdatable(self.status));
        }
        validate_options(&self.ente, layout, &draft.options)?;
        self.debtor = draft.debtor;
        self.description = draft.description;
        self.options = draft.options;
        self.expires_after_due_date = draft.expires_after_due_date;
        self.valid_from = draft.valid_from;
        self.metadata = draft.metadata;
        if draft.publish && self.status == PositionStatus::Draft {
            self.status = PositionStatus::Valid;
        }
        self.updated_at = now;
        Ok(())
    }

    /// Moves to `to` if the state machine allows it.
    pub fn transition(&mut self, to: PositionStatus, now: DateTime<Utc>) -> Result<(), PositionError> {
        if !self.status.can_become(to) {
            return Err(PositionError::IllegalTransition { from: self.status, to });
        }
        self.status = to;
        self.updated_at = now;
        Ok(())
    }

    /// The option with this notice number.
    pub fn option(&self, notice: &NoticeNumber) -> Option<&PaymentOption> {
        self.options.iter().find(|o| &o.notice_number == notice)
    }

    /// Whether `option` counts as expired on `today`: the position was expired, or it expires after
    /// its due date and that date has passed.
    pub fn is_expired_at(&self, option: &PaymentOption, today: NaiveDate) -> bool {
        self.status == PositionStatus::Expired || (self.expires_after_due_date && option.due_date < today)
    }

    /// The first Italian day on which the whole position counts as expired: the day after its
    /// last due date, for a position that expires after its due dates; `None` otherwise.
    pub fn expires_on(&self) -> Option<NaiveDate> {
        if !self.expires_after_due_date {
            return None;
        }
        self.options.iter().map(|o| o.due_date).max()?.succ_opt()
    }

    /// Moves a `Valid` position whose last due date has passed on `today` (an Italian date) to
    /// `Expired`, and says whether it did. Any other position is left as it is: one with a
    /// payment is `PartiallyPaid` or `Paid`, never expired by time.
    pub fn expire_if_due(&mut self, today: NaiveDate, now: DateTime<Utc>) -> bool {
        let due = self.status == PositionStatus::Valid
            && !self.options.iter().any(PaymentOption::is_paid)
            && self.expires_on().is_some_and(|on| on <= today);
        due && self.transition(PositionStatus::Expired, now).is_ok()
    }

    /// The option with this notice if it can be paid now, or why not, with `today` the Italian
    /// day of `now`. Never changes the position: verify and activation are reads.
    pub fn payable_option(&self, notice: &NoticeNumber, now: DateTime<Utc>) -> Result<&PaymentOption, PayabilityError> {
        self.payable_option_on(notice, now, crate::model::calendar::italian_date(now))
    }

    /// [`payable_option`](Self::payable_option) with the Italian day given (services take it
    /// from [`Clock::today`](crate::ports::Clock::today)).
    pub fn payable_option_on(
        &self,
        notice: &NoticeNumber,
        now: DateTime<Utc>,
        today: NaiveDate,
    ) -> Result<&PaymentOption, PayabilityError> {
        let option = self.option(notice).ok_or(PayabilityError::UnknownNotice)?;
        let reason = match self.status {
            PositionStatus::Draft => Some(NotPayable::NotPublished),
            PositionStatus::Cancelled => Some(NotPayable::Cancelled),
            PositionStatus::Paid | PositionStatus::Reported => Some(NotPayable::AlreadyPaid),
            _ if option.is_paid() => Some(NotPayable::AlreadyPaid),
            _ if self.valid_from.is_some_and(|from| from > now) => Some(NotPayable::NotPublished),
            _ if self.is_expired_at(option, today) => Some(NotPayable::Expired),
            _ if option.instalment.is_none() && self.options.iter().any(PaymentOption::is_paid) => {
                Some(NotPayable::InstalmentsStarted)
            }
            _ => None,
        };
        match reason {
            Some(reason) => Err(PayabilityError::NotPayable(reason)),
            None => Ok(option),
        }
    }

    /// Records that a receipt paid the option `notice`, moving the position to `PartiallyPaid` or
    /// `Paid`. A late receipt settles an `Expired` position too: the money was collected. So
    /// does a receipt for an unpaid option of a position already `Paid` or `Reported` (the
    /// other kind of option of its plan was paid): the payment is recorded and the status
    /// stays. A `Cancelled` position, a paid option or an unknown notice is an error (the caller
    /// keeps the receipt for an operator).
    pub fn record_payment(
        &mut self,
        notice: &NoticeNumber,
        payment: OptionPayment,
        now: DateTime<Utc>,
    ) -> Result<PaymentEffect, PositionError> {
        let from = self.status;
        let index = self
            .options
            .iter()
            .position(|o| &o.notice_number == notice)
            .ok_or_else(|| PositionError::NoSuchOption(notice.clone()))?;
        if self.options[index].is_paid() {
            return Err(PositionError::OptionAlreadyPaid(notice.clone()));
        }
        let single_solution = self.options[index].instalment.is_none();
        let instalments_all_paid = self
            .options
            .iter()
            .enumerate()
            .filter(|(_, o)| o.instalment.is_some())
            .all(|(i, o)| i == index || o.is_paid());
        let to = if single_solution || instalments_all_paid {
            PositionStatus::Paid
        } else {
            PositionStatus::PartiallyPaid
        };
        let to = if matches!(from, PositionStatus::Paid | PositionStatus::Reported) {
            from
        } else {
            to
        };
        if from != to {
            self.transition(to, now)?;
        } else if !matches!(
            from,
            PositionStatus::PartiallyPaid | PositionStatus::Paid | PositionStatus::Reported
        ) {
            return Err(PositionError::IllegalTransition { from, to });
        }
        self.options[index].payment = Some(payment);
        self.updated_at = now;
        Ok(PaymentEffect { from, to })
    }

    /// The receipts that paid options of the other kind than `notice` (instalments for the
    /// single solution, the single solution for an instalment): not empty when a payment of
    /// `notice` overlaps the plan.
    pub fn overlapping_payments(&self, notice: &NoticeNumber) -> Vec<crate::model::ReceiptId> {
        let Some(option) = self.option(notice) else {
            return Vec::new();
        };
        let single = option.instalment.is_none();
        self.options
            .iter()
            .filter(|o| o.instalment.is_none() != single)
            .filter_map(|o| o.payment.as_ref().map(|p| p.receipt_id.clone()))
            .collect()
    }
}

/// Why a notice cannot be paid: not an option of the position, or not payable now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayabilityError {
    /// No option of the position has this notice.
    #[error("the notice is not an option of this position")]
    UnknownNotice,
    /// The option exists but cannot be paid now.
    #[error(transparent)]
    NotPayable(#[from] NotPayable),
}
