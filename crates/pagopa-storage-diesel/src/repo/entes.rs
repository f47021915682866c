//! Enti and the spontaneous catalogue.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use pagopa_domain::ports::{CatalogueRepository, EnteRepository, EnteSaved, StorageError};
use pagopa_domain::{Ente, EnteId, EnteLogo, LogoFormat, ServiceCode, SpontaneousService};

use super::audit::{Audit, SettingsChange};
use crate::DieselStore;
use crate::db::{
    Backend, DbError, from_json, impl_for_both, to_json, to_us, with_conn, with_read_conn, with_write_conn,
};
use crate::schema::{catalogue_services, entes};

fn decode_all<T: serde::de::DeserializeOwned>(documents: &[String]) -> Result<Vec<T>, DbError> {
    documents.iter().map(|d| from_json(d)).collect()
}

/// The writes of Enti, for both backends, inside a write transaction.
trait EnteWrites {
    fn save_ente(&mut self, ente: &Ente, actor: &str, at: DateTime<Utc>) -> Result<EnteSaved, DbError>;
    fn set_ente_logo(
        &mut self,
        id: &str,
        logo: Option<&EnteLogo>,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, DbError>;
}

fn format_name(format: LogoFormat) -> &'static str {
    match format {
        LogoFormat::Png => "png",
        LogoFormat::Jpeg => "jpeg",
        LogoFormat::Svg => "svg",
    }
}

impl_for_both!(EnteWrites {
    fn save_ente(&mut self, ente: &Ente, actor: &str, at: DateTime<Utc>) -> Result<EnteSaved, DbError> {
        let document = to_json(ente)?;
        // Instances starting together apply the same file: the insert that loses the race
        // finds the row (committed by the winner) and compares with it.
        let inserted = diesel::insert_into(entes::table)
            .values((
                entes::id.eq(ente.id.as_str()),
                entes::document.eq(&document),
                entes::updated_at_us.eq(to_us(at)),
            ))
            .on_conflict_do_nothing()
            .execute(self)?;
        let stored: Option<String> = if inserted == 1 {
            None
        } else {
            Some(entes::table.find(ente.id.as_str()).select(entes::document).first(self)?)
        };
        let saved = match &stored {
            None => EnteSaved::Created,
            Some(before) => {
                // Compared as settings, not as text: an older document without the newer
                // keys holds their defaults.
                if from_json::<Ente>(before).ok().as_ref() == Some(ente) {
                    return Ok(EnteSaved::Unchanged);
                }
                diesel::update(entes::table.find(ente.id.as_str()))
                    .set((entes::document.eq(&document), entes::updated_at_us.eq(to_us(at))))
                    .execute(self)?;
                EnteSaved::Updated
            }
        };
        let change = SettingsChange {
            entity: "ente",
            key: ente.id.as_str(),
            action: if saved == EnteSaved::Created { "created" } else { "updated" },
            actor,
            before: stored.as_deref(),
            after: Some(&document),
        };
        self.audit_settings(at, change)?;
        Ok(saved)
    }

    fn set_ente_logo(&mut self, id: &str, logo: Option<&EnteLogo>, actor: &str, at: DateTime<Utc>)
    -> Result<bool, DbError> {
        let stored: Option<(Option<String>, Option<Vec<u8>>)> = entes::table
            .find(id)
            .select((entes::logo_format, entes::logo))
            .first(self)
            .optional()?;
        let Some((format, bytes)) = stored else {
            return Err(StorageError::NotFound(format!("Ente {id}")).into());
        };
        let wanted = logo.map(|l| (format_name(l.format()), l.bytes()));
        if format.as_deref().zip(bytes.as_deref()) == wanted {
            return Ok(false);
        }
        diesel::update(entes::table.find(id))
            .set((
                entes::logo_format.eq(wanted.map(|(f, _)| f)),
                entes::logo.eq(wanted.map(|(_, b)| b)),
                entes::updated_at_us.eq(to_us(at)),
            ))
            .execute(self)?;
        let describe = |format: Option<&str>, size: Option<usize>| {
            format.zip(size).map(|(f, n)| format!("{{\"logo\":\"{f}\",\"bytes\":{n}}}"))
        };
        let before = describe(format.as_deref(), bytes.as_ref().map(Vec::len));
        let after = describe(wanted.map(|(f, _)| f), wanted.map(|(_, b)| b.len()));
        let change = SettingsChange {
            entity: "ente",
            key: id,
            action: "logo",
            actor,
            before: before.as_deref(),
            after: after.as_deref(),
        };
        self.audit_settings(at, change)?;
        Ok(true)
    }
});

#[async_trait]
impl EnteRepository for DieselStore {
    async fn get(&self, id: &EnteId) -> Result<Option<Ente>, StorageError> {
        let id = id.clone();
        with_read_conn!(self, |conn| {
            let document: Option<String> = entes::table
                .find(id.as_str())
                .select(entes::document)
                .first(conn)
                .optional()?;
            document.map(|d| from_json(&d)).transpose()
        })
    }

    async fn list(&self) -> Result<Vec<Ente>, StorageError> {
        with_read_conn!(self, |conn| {
            let documents: Vec<String> = entes::table.order(entes::id).select(entes::document).load(conn)?;
            decode_all(&documents)
        })
    }

    async fn save(&self, ente: &Ente, actor: &str) -> Result<EnteSaved, StorageError> {
        let (ente, actor) = (ente.clone(), actor.to_owned());
        let now = DateTime::<Utc>::from(std::time::SystemTime::now());
        with_write_conn!(self, |conn| { conn.write(|c| c.save_ente(&ente, &actor, now)) })
    }

    async fn logo(&self, id: &EnteId) -> Result<Option<EnteLogo>, StorageError> {
        let id = id.clone();
        with_read_conn!(self, |conn| {
            let stored: Option<Option<Vec<u8>>> = entes::table
                .find(id.as_str())
                .select(entes::logo)
                .first(conn)
                .optional()?;
            // The bytes were checked when they were stored; they are checked again as they
            // are read, so a row edited by hand cannot reach a PDF as something else.
            stored
                .flatten()
                .map(|bytes| EnteLogo::from_bytes(bytes).map_err(DbError::Corrupt))
                .transpose()
        })
    }

    async fn set_logo(&self, id: &EnteId, logo: Option<&EnteLogo>, actor: &str) -> Result<bool, StorageError> {
        let (id, logo, actor) = (id.clone(), logo.cloned(), actor.to_owned());
        let now = DateTime::<Utc>::from(std::time::SystemTime::now());
        with_write_conn!(self, |conn| {
            conn.write(|c| c.set_ente_logo(id.as_str(), logo.as_ref(), &actor, now))
        })
    }
}

#[async_trait]
impl CatalogueRepository for DieselStore {
    async fn list(&self, ente: &EnteId) -> Result<Vec<SpontaneousService>, StorageError> {
        let ente = ente.clone();
        with_read_conn!(self, |conn| {
            let documents: Vec<String> = catalogue_services::table
                .filter(catalogue_services::ente.eq(ente.as_str()))
                .order(catalogue_services::code)
                .select(catalogue_services::document)
                .load(conn)?;
            decode_all(&documents)
        })
    }

    async fn get(&self, ente: &EnteId, code: &ServiceCode) -> Result<Option<SpontaneousService>, StorageError> {
        let (ente, code) = (ente.clone(), code.clone());
        with_read_conn!(self, |conn| {
            let document: Option<String> = catalogue_services::table
                .find((ente.as_str(), code.as_str()))
                .select(catalogue_services::document)
                .first(conn)
                .optional()?;
            document.map(|d| from_json(&d)).transpose()
        })
    }

    async fn by_demand_id(
        &self,
        ente: &EnteId,
        demand_service_id: &str,
    ) -> Result<Option<SpontaneousService>, StorageError> {
        let (ente, demand) = (ente.clone(), demand_service_id.to_owned());
        with_read_conn!(self, |conn| {
            let document: Option<String> = catalogue_services::table
                .filter(catalogue_services::ente.eq(ente.as_str()))
                .filter(catalogue_services::demand_service_id.eq(&demand))
                .select(catalogue_services::document)
                .first(conn)
                .optional()?;
            document.map(|d| from_json(&d)).transpose()
        })
    }

    async fn upsert(&self, service: &SpontaneousService) -> Result<(), StorageError> {
        let service = service.clone();
        with_conn!(self, |conn| {
            let document = to_json(&service)?;
            diesel::insert_into(catalogue_services::table)
                .values((
                    catalogue_services::ente.eq(service.ente.as_str()),
                    catalogue_services::code.eq(service.code.as_str()),
                    catalogue_services::demand_service_id.eq(service.demand_service_id.as_ref().map(|d| d.as_str())),
                    catalogue_services::active.eq(service.active),
                    catalogue_services::document.eq(&document),
                ))
                .on_conflict((catalogue_services::ente, catalogue_services::code))
                .do_update()
                .set((
                    catalogue_services::demand_service_id.eq(excluded(catalogue_services::demand_service_id)),
                    catalogue_services::active.eq(excluded(catalogue_services::active)),
                    catalogue_services::document.eq(excluded(catalogue_services::document)),
                ))
                .execute(conn)?;
            Ok(())
        })
    }
}
