//! Positions made on demand: a spontaneous notice a PSP asks for (`paDemandPaymentNotice`), and
//! a notice we do not hold asked of the Ente's gestionale.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{NodeOperations, NoticeInfo, StationIds};
use crate::error::DomainError;
use crate::model::{DebtPosition, Ente, FieldKind, PositionDraft, SubjectId};
use crate::ports::{GestionaleError, PositionRepository, StorageError};
use crate::services::spontaneous::{SpontaneousPayments, SpontaneousRequest};
use crate::value::NoticeNumber;

impl NodeOperations {
    /// A notice we do not hold, asked of the Ente's gestionale when it answers on demand
    /// (`positions_on_demand`) and stored. Unknown when the gestionale does not know it or
    /// cannot be asked; a gestionale that fails or runs out of its time budget is a system
    /// error (`PAA_SYSTEM_ERROR`: the PSP tries again, and finds a late answer stored by then),
    /// never a definitive "unknown notice".
    pub(super) async fn found_on_demand(
        &self,
        ente: &Ente,
        notice: &NoticeNumber,
    ) -> Result<DebtPosition, DomainError> {
        let unknown = || DomainError::UnknownNotice(notice.clone());
        if !ente.positions_on_demand {
            return Err(unknown());
        }
        let draft = match self.ports.gestionale.notice(ente, notice).await {
            Ok(Some(draft)) => draft,
            Ok(None) | Err(GestionaleError::Unsupported) => return Err(unknown()),
            Err(error) => return Err(error.into()),
        };
        store_found_notice(
            self.ports.positions.as_ref(),
            ente,
            notice,
            draft,
            self.ports.clock.now(),
        )
        .await?;
        self.ports
            .positions
            .find_by_notice(&ente.id, notice)
            .await?
            .ok_or_else(unknown)
    }

    /// `paDemandPaymentNotice`: a PSP asks, for a payer, for a notice of the catalogue service
    /// published as `demand_service_id`, with the form values it decoded from
    /// `datiSpecificiServizioRequest`. Creates the position and answers like a verify.
    pub async fn demand_notice(
        &self,
        station: &StationIds,
        demand_service_id: &str,
        values: BTreeMap<String, String>,
    ) -> Result<NoticeInfo, DomainError> {
        let ente = self.check_station(station).await?;
        let service = self
            .ports
            .catalogue
            .by_demand_id(&ente.id, demand_service_id)
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("service {demand_service_id}")))?;
        // The payer is the value of the form's first fiscal-code field, if it has one.
        let debtor = service
            .form
            .fields
            .iter()
            .find(|f| matches!(f.kind, FieldKind::FiscalCode))
            .and_then(|f| values.get(f.name.as_str()))
            .and_then(|v| v.parse().ok())
            .map(SubjectId::FiscalCode)
            .unwrap_or(SubjectId::Anonymous);
        let request = SpontaneousRequest {
            ente: ente.id.clone(),
            service: service.code.clone(),
            debtor,
            // The payer's code comes from a form filled in at a PSP, not from an identity we
            // verified: the position is not put in that citizen's list.
            debtor_verified: false,
            debtor_name: None,
            values,
        };
        let created = SpontaneousPayments::new(self.ports.clone()).submit(request).await?;
        let option = &created.position.options[0];
        Ok(NoticeInfo {
            notice_number: option.notice_number.clone(),
            amount: option.amount,
            due_date: option.due_date,
            description: created.position.description.clone(),
            detail_description: option.description.clone(),
            all_ccp: option.all_postal(),
            ente,
        })
    }
}

/// Stores the position a gestionale gave for `notice` at `ente` (found on demand), checked as
/// any position is; one already stored (a concurrent or earlier lookup) is left as it is. Also
/// what stores an answer that came after the time budget ran out.
pub async fn store_found_notice(
    positions: &dyn PositionRepository,
    ente: &Ente,
    notice: &NoticeNumber,
    draft: PositionDraft,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    if !draft.options.iter().any(|o| &o.notice_number == notice) {
        return Err(GestionaleError::Protocol(format!(
            "asked for notice {notice}, the gestionale answered position {} without it",
            draft.iupd
        ))
        .into());
    }
    let position = DebtPosition::create(&ente.id, ente.notice_layout, draft, now)
        .map_err(|e| GestionaleError::Protocol(format!("the position for notice {notice} is invalid: {e}")))?;
    match positions.insert(&position).await {
        Ok(_) | Err(StorageError::Duplicate(_)) => Ok(()),
        Err(other) => Err(other.into()),
    }
}
