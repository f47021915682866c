//! Debt positions for the citizen (theirs, refreshed from the gestionale), for anyone holding a
//! printed notice, and for operators.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use crate::error::DomainError;
use crate::model::{
    CancellationNotification, DebtPosition, Ente, Iupd, NotPayable, OutboxEvent, PayabilityError, PositionDraft,
    PositionStatus, SubjectId,
};
use crate::ports::{GestionaleError, Ports, StorageError};
use crate::value::{AmountCents, EnteId, FiscalCode, NoticeNumber, Text};

/// A debtor's positions, and the Enti whose gestionale could not be asked this time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DebtorPositions {
    /// Every stored position of the debtor, across Enti.
    pub positions: Vec<DebtPosition>,
    /// Enti whose gestionale failed: their positions may be out of date.
    pub stale: Vec<EnteId>,
}

/// Whether a notice can be paid, as the public "pay this notice" page shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeState {
    /// Can be paid now.
    Payable,
    /// Already paid.
    Paid,
    /// Expired.
    Expired,
    /// Cancelled.
    Cancelled,
    /// Part of a plan whose instalments have started; pay the instalments.
    NotPayable,
}

/// What a printed notice already shows: no personal data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeSummary {
    /// The Ente.
    pub ente: EnteId,
    /// Its name.
    pub company_name: Text<140>,
    /// The notice.
    pub notice_number: NoticeNumber,
    /// The amount.
    pub amount: AmountCents,
    /// Due date.
    pub due_date: NaiveDate,
    /// What it is for.
    pub description: Text<140>,
    /// Whether it can be paid.
    pub state: NoticeState,
}

/// Positions as the citizen, the public and operators see them.
#[derive(Clone, Debug)]
pub struct Positions {
    ports: Ports,
}

impl Positions {
    /// The use case over `ports`.
    pub fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// The debtor's positions across Enti. With `refresh`, each Ente whose gestionale answers on
    /// demand is asked first and what it returns is merged in: new positions are stored, changed
    /// ones updated while still updatable; paid or cancelled ones are never touched. A failing
    /// gestionale does not fail the call: its Ente is listed as stale.
    pub async fn of_debtor(&self, debtor: &FiscalCode, refresh: bool) -> Result<DebtorPositions, DomainError> {
        let mut stale = Vec::new();
        if refresh {
            for ente in self.ports.entes.list().await? {
                if !ente.positions_on_demand || !ente.enabled {
                    continue;
                }
                match self.ports.gestionale.debtor_positions(&ente, debtor).await {
                    Ok(drafts) => {
                        if self.merge(&ente, debtor, drafts).await.is_err() {
                            stale.push(ente.id.clone());
                        }
                    }
                    Err(GestionaleError::Unsupported) => {}
                    Err(_) => stale.push(ente.id.clone()),
                }
            }
        }
        let disabled: BTreeSet<EnteId> = self
            .ports
            .entes
            .list()
            .await?
            .into_iter()
            .filter(|e| !e.enabled)
            .map(|e| e.id)
            .collect();
        // Drafts are not published yet, positions the debtor did not file themselves are only
        // reachable by notice number, and a disabled Ente is not served.
        let positions = self
            .ports
            .positions
            .list_by_debtor(debtor)
            .await?
            .into_iter()
            .filter(|p| p.status != PositionStatus::Draft && p.listed_to_debtor && !disabled.contains(&p.ente))
            .collect();
        Ok(DebtorPositions { positions, stale })
    }

    /// Merges a gestionale's drafts for `debtor`. Drafts for another debtor are ignored: a
    /// gestionale's mistake must not show one citizen another's debts.
    async fn merge(&self, ente: &Ente, debtor: &FiscalCode, drafts: Vec<PositionDraft>) -> Result<(), DomainError> {
        let mut failed = false;
        let now = self.ports.clock.now();
        let mut seen = BTreeSet::new();
        for draft in drafts {
            if draft.debtor.id != SubjectId::FiscalCode(debtor.clone()) || !seen.insert(draft.iupd.clone()) {
                failed = true;
                continue;
            }
            match self.ports.positions.get(&ente.id, &draft.iupd).await? {
                None => match DebtPosition::create(&ente.id, ente.notice_layout, draft, now) {
                    Ok(position) => match self.ports.positions.insert(&position).await {
                        Ok(_) | Err(StorageError::Duplicate(_)) => {}
                        Err(other) => return Err(other.into()),
                    },
                    Err(_) => failed = true,
                },
                Some(mut stored) if stored.status.is_updatable() && differs(&stored, &draft) => {
                    if stored.update(ente.notice_layout, draft, now).is_err() {
                        failed = true;
                        continue;
                    }
                    match self.ports.positions.update(&stored).await {
                        Ok(_) | Err(StorageError::Conflict(_)) => {}
                        Err(other) => return Err(other.into()),
                    }
                }
                Some(_) => {}
            }
        }
        if failed {
            Err(DomainError::Semantic(format!(
                "the gestionale of Ente {} returned invalid positions",
                ente.id
            )))
        } else {
            Ok(())
        }
    }

    /// A notice as anyone holding the printed notice may see it.
    pub async fn notice(&self, ente: &EnteId, notice: &NoticeNumber) -> Result<NoticeSummary, DomainError> {
        let ente = super::served_ente(&self.ports, ente).await?;
        let position = self.ports.positions.find_by_notice(&ente.id, notice).await?;
        let Some(position) = position.filter(|p| p.status != PositionStatus::Draft) else {
            return Err(DomainError::UnknownNotice(notice.clone()));
        };
        let option = position
            .option(notice)
            .ok_or_else(|| DomainError::UnknownNotice(notice.clone()))?;
        let state = match position.payable_option_on(notice, self.ports.clock.now(), self.ports.clock.today()) {
            Ok(_) => NoticeState::Payable,
            Err(PayabilityError::NotPayable(NotPayable::AlreadyPaid)) => NoticeState::Paid,
            Err(PayabilityError::NotPayable(NotPayable::Expired)) => NoticeState::Expired,
            Err(PayabilityError::NotPayable(NotPayable::Cancelled)) => NoticeState::Cancelled,
            Err(PayabilityError::NotPayable(NotPayable::InstalmentsStarted)) => NoticeState::NotPayable,
            Err(_) => return Err(DomainError::UnknownNotice(notice.clone())),
        };
        Ok(NoticeSummary {
            ente: ente.id.clone(),
            company_name: ente.name.clone(),
            notice_number: notice.clone(),
            amount: option.amount,
            due_date: option.due_date,
            description: option.description.clone(),
            state,
        })
    }

    /// An operator creates a position.
    pub async fn create(&self, ente: &EnteId, draft: PositionDraft) -> Result<DebtPosition, DomainError> {
        let ente = super::served_ente(&self.ports, ente).await?;
        let position = DebtPosition::create(&ente.id, ente.notice_layout, draft, self.ports.clock.now())?;
        Ok(self.ports.positions.insert(&position).await?)
    }

    /// An operator replaces a position's content (only while `Draft` or `Valid`).
    pub async fn update(&self, ente: &EnteId, iupd: &Iupd, draft: PositionDraft) -> Result<DebtPosition, DomainError> {
        self.update_if(ente, iupd, draft, None).await
    }

    /// [`Positions::update`] only if the stored position is at `expected_version` (an HTTP
    /// `If-Match`): [`DomainError::PreconditionFailed`] otherwise. The write itself is checked
    /// against the version read, so a change that lands in between is a conflict, never lost.
    pub async fn update_if(
        &self,
        ente: &EnteId,
        iupd: &Iupd,
        draft: PositionDraft,
        expected_version: Option<u64>,
    ) -> Result<DebtPosition, DomainError> {
        let ente = super::served_ente(&self.ports, ente).await?;
        let mut position = self.stored(&ente.id, iupd).await?;
        if let Some(expected) = expected_version
            && expected != position.version
        {
            return Err(DomainError::PreconditionFailed(format!(
                "position {iupd} is at version {}, not {expected}",
                position.version
            )));
        }
        position.update(ente.notice_layout, draft, self.ports.clock.now())?;
        self.save(position).await
    }

    /// An operator moves a position to `status` (publish, cancel, expire, report).
    pub async fn set_status(
        &self,
        ente: &EnteId,
        iupd: &Iupd,
        status: PositionStatus,
    ) -> Result<DebtPosition, DomainError> {
        let mut position = self.stored(ente, iupd).await?;
        let now = self.ports.clock.now();
        position.transition(status, now)?;
        if status != PositionStatus::Cancelled {
            return self.save(position).await;
        }
        // The gestionale learns of the cancellation through the outbox, written with it.
        let cancelled = OutboxEvent::PositionCancelled(CancellationNotification {
            ente: position.ente.clone(),
            iupd: position.iupd.clone(),
            notices: position.options.iter().map(|o| o.notice_number.clone()).collect(),
            cancelled_at: now,
        });
        match self.ports.positions.update_with_events(&position, &[cancelled]).await {
            Err(StorageError::Conflict(what)) => Err(DomainError::Conflict(what)),
            other => Ok(other?),
        }
    }

    async fn stored(&self, ente: &EnteId, iupd: &Iupd) -> Result<DebtPosition, DomainError> {
        self.ports
            .positions
            .get(ente, iupd)
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("position {iupd}")))
    }

    async fn save(&self, position: DebtPosition) -> Result<DebtPosition, DomainError> {
        match self.ports.positions.update(&position).await {
            Err(StorageError::Conflict(what)) => Err(DomainError::Conflict(what)),
            other => Ok(other?),
        }
    }
}

/// Whether a draft says what the stored position already says: the same content, payments
/// aside (a paid option sent again as it was is unchanged), and no publication pending.
pub(crate) fn same_content(stored: &DebtPosition, draft: &PositionDraft) -> bool {
    let options_equal = stored.options.len() == draft.options.len()
        && stored.options.iter().zip(&draft.options).all(|(s, d)| {
            s.notice_number == d.notice_number
                && s.amount == d.amount
                && s.description == d.description
                && s.due_date == d.due_date
                && s.instalment == d.instalment
                && s.transfers == d.transfers
                && s.metadata == d.metadata
        });
    options_equal
        && stored.debtor == draft.debtor
        && stored.description == draft.description
        && stored.expires_after_due_date == draft.expires_after_due_date
        && stored.valid_from == draft.valid_from
        && stored.metadata == draft.metadata
        && !(draft.publish && stored.status == PositionStatus::Draft)
}

/// Whether a gestionale's draft says something other than the stored position.
fn differs(stored: &DebtPosition, draft: &PositionDraft) -> bool {
    stored.debtor != draft.debtor
        || stored.description != draft.description
        || stored.options != draft.options
        || stored.expires_after_due_date != draft.expires_after_due_date
        || stored.valid_from != draft.valid_from
        || stored.metadata != draft.metadata
        || (draft.publish && stored.status == PositionStatus::Draft)
}
