//! Notice numbers for the options a file leaves without one: a placeholder while the batch is
//! decided, then a fresh number from IUV bases allocated once per batch (and taken ahead for
//! full batches).

use std::collections::VecDeque;

use super::{Decision, IMPORT_BATCH, Imports};
use crate::error::DomainError;
use crate::model::{Ente, RowIssue};
use crate::ports::ImportWrite;
use crate::value::{EnteId, NoticeLayout, NoticeNumber, NoticeNumberError};

/// How many full batches' worth of IUV bases a load takes at once: the next batches are then
/// decided without waiting for the write in progress (the allocation is a write too). Bases
/// taken and not used when the load ends are skipped, as after any failed allocation.
const PREFETCH_BATCHES: usize = 8;

/// IUV bases taken ahead for one Ente and layout.
#[derive(Debug, Default)]
pub(super) struct Prefetched {
    owner: Option<(EnteId, NoticeLayout)>,
    bases: VecDeque<u64>,
}

impl Prefetched {
    /// Up to `count` bases of `owner`, in order.
    fn take(&mut self, owner: &(EnteId, NoticeLayout), count: usize) -> Vec<u64> {
        if self.owner.as_ref() != Some(owner) {
            return Vec::new();
        }
        let count = count.min(self.bases.len());
        self.bases.drain(..count).collect()
    }

    fn keep(&mut self, owner: (EnteId, NoticeLayout), bases: impl IntoIterator<Item = u64>) {
        if self.owner.as_ref() != Some(&owner) {
            self.owner = Some(owner);
            self.bases.clear();
        }
        self.bases.extend(bases);
    }
}

impl Imports {
    /// Gives every option still without a number a fresh one, with one allocation per batch.
    pub(super) async fn allocate(&self, ente: &Ente, decisions: &mut [Decision]) -> Result<(), DomainError> {
        let needed: usize = decisions
            .iter()
            .map(|d| match d {
                Decision::Write(_, _, pending) => pending.len(),
                _ => 0,
            })
            .sum();
        if needed == 0 {
            return Ok(());
        }
        let bases = self.bases(ente, needed).await?;
        let mut bases = bases.into_iter();
        for decision in decisions.iter_mut() {
            let Decision::Write(write, _, pending) = decision else {
                continue;
            };
            let position = match write {
                ImportWrite::Create(p) | ImportWrite::Update(p) | ImportWrite::Cancel(p, _) => p,
            };
            for index in pending.drain(..) {
                let base = bases
                    .next()
                    .ok_or_else(|| DomainError::Semantic("fewer IUV bases than asked".into()))?;
                let notice = NoticeNumber::build(ente.notice_layout, base).map_err(|e| match e {
                    NoticeNumberError::BaseTooLarge { .. } => DomainError::IuvExhausted(ente.id.clone()),
                    other => DomainError::Semantic(other.to_string()),
                })?;
                position.options[index].notice_number = notice;
            }
        }
        Ok(())
    }

    /// `needed` unused IUV bases of `ente`, in increasing order: taken ahead for a full batch
    /// (see [`PREFETCH_BATCHES`]), exactly for a smaller one.
    async fn bases(&self, ente: &Ente, needed: usize) -> Result<Vec<u64>, DomainError> {
        let owner = (ente.id.clone(), ente.notice_layout);
        let mut bases = self.prefetched_bases(&owner, needed);
        let missing = needed - bases.len();
        if missing == 0 {
            return Ok(bases);
        }
        let ahead = if needed >= IMPORT_BATCH {
            PREFETCH_BATCHES * IMPORT_BATCH
        } else {
            0
        };
        let mut taken = self
            .ports
            .iuv
            .next_bases(&ente.id, ente.notice_layout, (missing + ahead) as u64)
            .await?;
        let surplus = taken.split_off(missing.min(taken.len()));
        bases.extend(taken);
        if !surplus.is_empty() {
            self.prefetched
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .keep(owner, surplus);
        }
        Ok(bases)
    }

    fn prefetched_bases(&self, owner: &(EnteId, NoticeLayout), count: usize) -> Vec<u64> {
        self.prefetched
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take(owner, count)
    }
}

/// Placeholder bases sit at the top of the layout's range, far from any allocated base.
pub(super) fn placeholder(layout: NoticeLayout, n: usize) -> Result<NoticeNumber, DomainError> {
    NoticeNumber::build(layout, layout.max_base() - n as u64).map_err(|e| DomainError::Semantic(e.to_string()))
}

/// A rule's message names the option by its notice number: one still to be allocated is named
/// as such, not by its placeholder.
pub(super) fn hide_placeholders(mut issue: RowIssue, draft: &crate::model::PositionDraft) -> RowIssue {
    for option in &draft.options {
        if is_placeholder(&option.notice_number) {
            let shown = option.notice_number.as_str();
            issue.italian = issue.italian.replace(shown, "(numero da assegnare)");
            issue.english = issue.english.replace(shown, "(number to be allocated)");
        }
    }
    issue
}

pub(super) fn is_placeholder(notice: &NoticeNumber) -> bool {
    notice.layout().max_base() - notice.base() < crate::model::DebtPosition::MAX_OPTIONS as u64
}
