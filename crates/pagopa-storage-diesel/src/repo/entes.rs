//! Enti and the spontaneous catalogue.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::upsert::excluded;
use pagopa_domain::ports::{CatalogueRepository, EnteRepository, StorageError};
use pagopa_domain::{Ente, EnteId, ServiceCode, SpontaneousService};

use crate::DieselStore;
use crate::db::{DbError, from_json, to_json, with_conn, with_read_conn};
use crate::schema::{catalogue_services, entes};

fn decode_all<T: serde::de::DeserializeOwned>(documents: &[String]) -> Result<Vec<T>, DbError> {
    documents.iter().map(|d| from_json(d)).collect()
}

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

    async fn upsert(&self, ente: &Ente) -> Result<(), StorageError> {
        let ente = ente.clone();
        let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now());
        with_conn!(self, |conn| {
            let document = to_json(&ente)?;
            diesel::insert_into(entes::table)
                .values((
                    entes::id.eq(ente.id.as_str()),
                    entes::document.eq(&document),
                    entes::updated_at_us.eq(crate::db::to_us(now)),
                ))
                .on_conflict(entes::id)
                .do_update()
                .set((
                    entes::document.eq(excluded(entes::document)),
                    entes::updated_at_us.eq(excluded(entes::updated_at_us)),
                ))
                .execute(conn)?;
            Ok(())
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
