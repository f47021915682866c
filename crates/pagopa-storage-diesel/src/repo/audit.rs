//! The append-only audit trail of state changes.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::{DbError, impl_for_both, to_us};
use crate::schema::audit_log;

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
struct AuditRow<'a> {
    at_us: i64,
    entity: &'a str,
    entity_key: &'a str,
    action: &'a str,
    from_status: Option<&'a str>,
    to_status: Option<&'a str>,
    actor: Option<&'a str>,
    before_doc: Option<&'a str>,
    after_doc: Option<&'a str>,
}

/// One entry of the audit trail.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Change<'a> {
    pub(crate) entity: &'a str,
    pub(crate) key: &'a str,
    pub(crate) action: &'a str,
    pub(crate) from: Option<&'a str>,
    pub(crate) to: Option<&'a str>,
}

/// A change of settings: who made it and the documents before and after.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SettingsChange<'a> {
    pub(crate) entity: &'a str,
    pub(crate) key: &'a str,
    pub(crate) action: &'a str,
    pub(crate) actor: &'a str,
    pub(crate) before: Option<&'a str>,
    pub(crate) after: Option<&'a str>,
}

/// Writes audit entries; call it inside the transaction of the change.
pub(crate) trait Audit {
    fn audit(&mut self, at: DateTime<Utc>, changes: &[Change<'_>]) -> Result<(), DbError>;
    fn audit_settings(&mut self, at: DateTime<Utc>, change: SettingsChange<'_>) -> Result<(), DbError>;
}

impl_for_both!(Audit {
    fn audit(&mut self, at: DateTime<Utc>, changes: &[Change<'_>]) -> Result<(), DbError> {
        if changes.is_empty() {
            return Ok(());
        }
        let rows: Vec<AuditRow<'_>> = changes
            .iter()
            .map(|c| AuditRow {
                at_us: to_us(at),
                entity: c.entity,
                entity_key: c.key,
                action: c.action,
                from_status: c.from,
                to_status: c.to,
                actor: None,
                before_doc: None,
                after_doc: None,
            })
            .collect();
        for chunk in rows.chunks(1000) {
            diesel::insert_into(audit_log::table).values(chunk).execute(self)?;
        }
        Ok(())
    }

    fn audit_settings(&mut self, at: DateTime<Utc>, change: SettingsChange<'_>) -> Result<(), DbError> {
        let row = AuditRow {
            at_us: to_us(at),
            entity: change.entity,
            entity_key: change.key,
            action: change.action,
            from_status: None,
            to_status: None,
            actor: Some(change.actor),
            before_doc: change.before,
            after_doc: change.after,
        };
        diesel::insert_into(audit_log::table).values(&row).execute(self)?;
        Ok(())
    }
});

/// One entry of the audit trail, as read back.
#[derive(Clone, Debug, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    /// Position in the trail.
    pub id: i64,
    /// When, in microseconds since the epoch (UTC).
    pub at_us: i64,
    /// `position`, `receipt` or `ente`.
    pub entity: String,
    /// `ente/iupd` or `recipient/receipt id`.
    pub entity_key: String,
    /// `created`, `status`, `received`, `updated`, `logo`.
    pub action: String,
    /// Status before, if any.
    pub from_status: Option<String>,
    /// Status after, or the receipt's disposition.
    pub to_status: Option<String>,
    /// Who made a settings change (an API key's name, `configuration`, `system`).
    pub actor: Option<String>,
    /// The settings before a change, as JSON.
    pub before_doc: Option<String>,
    /// The settings after a change, as JSON.
    pub after_doc: Option<String>,
}

impl crate::DieselStore {
    /// The audit trail of one entity (`position` with `ente/iupd`, `receipt` with
    /// `recipient/receipt id`, `ente` with its id), oldest first.
    pub async fn audit_trail(
        &self,
        entity: &str,
        key: &str,
    ) -> Result<Vec<AuditEntry>, pagopa_domain::ports::StorageError> {
        let (entity, key) = (entity.to_owned(), key.to_owned());
        crate::db::with_conn!(self, |conn| {
            Ok(audit_log::table
                .filter(audit_log::entity.eq(&entity))
                .filter(audit_log::entity_key.eq(&key))
                .order(audit_log::id)
                .select(AuditEntry::as_select())
                .load(conn)?)
        })
    }
}
