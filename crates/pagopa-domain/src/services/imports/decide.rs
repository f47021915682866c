//! What each position read from a file does to the stored one: create, update, leave as it is,
//! cancel, or refuse.

use std::collections::BTreeSet;

use super::allocation::{hide_placeholders, placeholder};
use super::issues::{position_issue, status_it};
use super::{Decision, Imports};
use crate::error::DomainError;
use crate::model::{
    CancellationNotification, DebtPosition, Ente, ImportDraft, OutboxEvent, PositionStatus, RowIssue, RowOutcome,
};
use crate::ports::ImportWrite;
use crate::value::EnteId;

impl Imports {
    pub(super) fn decide(
        &self,
        ente: &Ente,
        beneficiaries: &BTreeSet<EnteId>,
        import: &ImportDraft,
        existing: Option<DebtPosition>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Decision, DomainError> {
        if let Some(issue) = foreign_beneficiary(ente, beneficiaries, import) {
            return Ok(Decision::Reject(issue));
        }
        let mut draft = import.draft.clone();
        let unnumbered = |issue: RowIssue, draft: &crate::model::PositionDraft| hide_placeholders(issue, draft);
        // Options without a number keep the stored option's (same kind and index); the rest get
        // a placeholder in the Ente's layout until the position is known to be valid.
        let mut to_allocate = Vec::new();
        for (n, &index) in import.allocate.iter().enumerate() {
            let Some(option) = draft.options.get_mut(index) else {
                continue;
            };
            let kept = existing
                .as_ref()
                .and_then(|p| {
                    p.options
                        .iter()
                        .find(|o| o.instalment.map(|i| i.number) == option.instalment.map(|i| i.number))
                })
                .map(|o| o.notice_number.clone());
            match kept {
                Some(notice) => option.notice_number = notice,
                None => {
                    option.notice_number = placeholder(ente.notice_layout, n)?;
                    to_allocate.push(index);
                }
            }
        }
        Ok(match existing {
            None => match DebtPosition::create(&ente.id, ente.notice_layout, draft.clone(), now) {
                Ok(position) => Decision::Write(ImportWrite::Create(position), RowOutcome::Created, to_allocate),
                Err(error) => Decision::Reject(unnumbered(position_issue(&error), &draft)),
            },
            Some(stored) if crate::services::positions::same_content(&stored, &draft) => {
                if stored.status == PositionStatus::Cancelled {
                    Decision::Reject(not_updatable(PositionStatus::Cancelled))
                } else {
                    Decision::Unchanged(stored)
                }
            }
            Some(stored) if !stored.status.is_updatable() => Decision::Reject(not_updatable(stored.status)),
            Some(mut stored) => match stored.update(ente.notice_layout, draft.clone(), now) {
                Ok(()) => Decision::Write(ImportWrite::Update(stored), RowOutcome::Updated, to_allocate),
                Err(error) => Decision::Reject(unnumbered(position_issue(&error), &draft)),
            },
        })
    }
}

pub(super) fn cancel(existing: Option<DebtPosition>, now: chrono::DateTime<chrono::Utc>) -> Decision {
    match existing {
        None => Decision::Reject(RowIssue::new(
            "unknown_position",
            "posizione da annullare non presente",
            "there is no such position to cancel",
        )),
        Some(stored) if stored.status == PositionStatus::Cancelled => Decision::Unchanged(stored),
        Some(mut stored) => match stored.transition(PositionStatus::Cancelled, now) {
            Ok(()) => {
                // The gestionale learns of it through the outbox, as of any cancellation.
                let event = OutboxEvent::PositionCancelled(CancellationNotification {
                    ente: stored.ente.clone(),
                    iupd: stored.iupd.clone(),
                    notices: stored.options.iter().map(|o| o.notice_number.clone()).collect(),
                    cancelled_at: now,
                });
                Decision::Write(ImportWrite::Cancel(stored, event), RowOutcome::Cancelled, Vec::new())
            }
            Err(_) => Decision::Reject(RowIssue::new(
                "not_cancellable",
                format!("la posizione è {} e non può essere annullata", status_it(stored.status)),
                format!("the position is {} and cannot be cancelled", stored.status.as_str()),
            )),
        },
    }
}

fn foreign_beneficiary(ente: &Ente, beneficiaries: &BTreeSet<EnteId>, import: &ImportDraft) -> Option<RowIssue> {
    import.draft.options.iter().flat_map(|o| &o.transfers).find_map(|t| {
        (t.ente != ente.id && !beneficiaries.contains(&t.ente)).then(|| {
            RowIssue::new(
                "unknown_beneficiary",
                format!(
                    "t{}_ente: l'ente {} non è servito da questa installazione",
                    t.id, t.ente
                ),
                format!("t{}_ente: Ente {} is not served here", t.id, t.ente),
            )
        })
    })
}

pub(super) fn duplicate_position() -> RowIssue {
    RowIssue::new(
        "duplicate_key",
        "position_id: posizione già presente nel file",
        "position_id: the position appears twice in the file",
    )
}

fn not_updatable(status: PositionStatus) -> RowIssue {
    RowIssue::new(
        "not_updatable",
        format!("la posizione è {} e non può più essere modificata", status_it(status)),
        format!("the position is {} and can no longer be changed", status.as_str()),
    )
}
