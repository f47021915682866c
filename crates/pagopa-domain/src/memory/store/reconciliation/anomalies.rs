//! The anomalies work list: each matching pass's findings replace the pass's previous ones
//! (ADR 0009), an operator's resolution is kept.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};

use super::{RecState, limit};
use crate::model::{Anomaly, AnomalyCode, AnomalyDraft, AnomalyScope, AnomalyStatus, AnomalySync, Resolution};
use crate::ports::{AnomalyQuery, Page, StorageError};
use crate::value::EnteId;

impl RecState {
    pub(super) fn sync_anomalies(
        &mut self,
        ente: &EnteId,
        scope: &AnomalyScope,
        found: &[AnomalyDraft],
        now: DateTime<Utc>,
    ) -> Result<AnomalySync, StorageError> {
        let scope = scope.key();
        let mut sync = AnomalySync::default();
        let mut seen: HashSet<(AnomalyCode, &str)> = HashSet::new();
        for draft in found {
            seen.insert((draft.code, draft.key.as_str()));
            let existing = self
                .anomalies
                .values_mut()
                .find(|a| &a.ente == ente && a.draft.code == draft.code && a.draft.key == draft.key);
            match existing {
                Some(anomaly) => {
                    anomaly.draft = draft.clone();
                    anomaly.scope.clone_from(&scope);
                    anomaly.last_seen = now;
                    if anomaly.status == AnomalyStatus::Cleared {
                        anomaly.status = AnomalyStatus::Open;
                        anomaly.resolution = None;
                        sync.opened += 1;
                    } else {
                        sync.kept += 1;
                    }
                }
                None => {
                    let id = self.id();
                    self.anomalies.insert(
                        id,
                        Anomaly {
                            id,
                            ente: ente.clone(),
                            scope: scope.clone(),
                            draft: draft.clone(),
                            status: AnomalyStatus::Open,
                            first_seen: now,
                            last_seen: now,
                            resolution: None,
                        },
                    );
                    sync.opened += 1;
                }
            }
        }
        for anomaly in self.anomalies.values_mut() {
            if &anomaly.ente == ente
                && anomaly.scope == scope
                && anomaly.status == AnomalyStatus::Open
                && !seen.contains(&(anomaly.draft.code, anomaly.draft.key.as_str()))
            {
                anomaly.status = AnomalyStatus::Cleared;
                anomaly.last_seen = now;
                sync.cleared += 1;
            }
        }
        Ok(sync)
    }

    pub(super) fn anomalies(&self, query: &AnomalyQuery) -> Result<Page<Anomaly, u64>, StorageError> {
        let limit = limit(query.limit);
        let found: Vec<Anomaly> = self
            .anomalies
            .range(query.after.map_or(0, |after| after + 1)..)
            .map(|(_, anomaly)| anomaly)
            .filter(|a| query.ente.as_ref().is_none_or(|ente| &a.ente == ente))
            .filter(|a| query.code.is_none_or(|code| a.draft.code == code))
            .filter(|a| query.status.is_none_or(|status| a.status == status))
            .filter(|a| query.from.is_none_or(|from| a.draft.day >= from))
            .filter(|a| query.to.is_none_or(|to| a.draft.day <= to))
            .filter(|a| query.psp.as_ref().is_none_or(|psp| a.draft.psp.as_ref() == Some(psp)))
            .take(limit + 1)
            .cloned()
            .collect();
        Ok(Page::from_overfetch(found, limit, |anomaly| anomaly.id))
    }

    pub(super) fn anomaly(&self, ente: &EnteId, id: u64) -> Result<Option<Anomaly>, StorageError> {
        Ok(self.anomalies.get(&id).filter(|anomaly| &anomaly.ente == ente).cloned())
    }

    pub(super) fn resolve_anomaly(
        &mut self,
        ente: &EnteId,
        id: u64,
        actor: &str,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Anomaly>, StorageError> {
        let Some(anomaly) = self.anomalies.get_mut(&id).filter(|a| &a.ente == ente) else {
            return Ok(None);
        };
        anomaly.status = AnomalyStatus::Resolved;
        anomaly.resolution = Some(Resolution {
            by: actor.to_owned(),
            at: now,
            note: note.to_owned(),
        });
        Ok(Some(anomaly.clone()))
    }

    pub(super) fn anomaly_counts(
        &self,
        ente: &EnteId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, AnomalyCode, u64)>, StorageError> {
        let mut counts: BTreeMap<(NaiveDate, AnomalyCode), u64> = BTreeMap::new();
        for anomaly in self.anomalies.values() {
            if &anomaly.ente == ente
                && anomaly.status == AnomalyStatus::Open
                && anomaly.draft.day >= from
                && anomaly.draft.day <= to
            {
                *counts.entry((anomaly.draft.day, anomaly.draft.code)).or_default() += 1;
            }
        }
        Ok(counts
            .into_iter()
            .map(|((day, code), count)| (day, code, count))
            .collect())
    }
}
