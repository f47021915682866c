//! Entes, their logos and their catalogues of spontaneous services in memory.

use async_trait::async_trait;

use super::MemoryStore;
use crate::model::{Ente, EnteLogo, ServiceCode, SpontaneousService};
use crate::ports::{CatalogueRepository, EnteRepository, EnteSaved, StorageError};
use crate::value::EnteId;

#[async_trait]
impl EnteRepository for MemoryStore {
    async fn get(&self, id: &EnteId) -> Result<Option<Ente>, StorageError> {
        Ok(self.state().entes.get(id).cloned())
    }

    async fn list(&self) -> Result<Vec<Ente>, StorageError> {
        Ok(self.state().entes.values().cloned().collect())
    }

    async fn save(&self, ente: &Ente, _actor: &str) -> Result<EnteSaved, StorageError> {
        let mut state = self.state();
        let saved = match state.entes.get(&ente.id) {
            None => EnteSaved::Created,
            Some(stored) if stored == ente => return Ok(EnteSaved::Unchanged),
            Some(_) => EnteSaved::Updated,
        };
        state.entes.insert(ente.id.clone(), ente.clone());
        Ok(saved)
    }

    async fn logo(&self, id: &EnteId) -> Result<Option<EnteLogo>, StorageError> {
        Ok(self.state().logos.get(id).cloned())
    }

    async fn set_logo(&self, id: &EnteId, logo: Option<&EnteLogo>, _actor: &str) -> Result<bool, StorageError> {
        let mut state = self.state();
        if !state.entes.contains_key(id) {
            return Err(StorageError::NotFound(format!("Ente {id}")));
        }
        let before = state.logos.get(id).cloned();
        if before.as_ref() == logo {
            return Ok(false);
        }
        match logo {
            Some(logo) => state.logos.insert(id.clone(), logo.clone()),
            None => state.logos.remove(id),
        };
        Ok(true)
    }
}

#[async_trait]
impl CatalogueRepository for MemoryStore {
    async fn list(&self, ente: &EnteId) -> Result<Vec<SpontaneousService>, StorageError> {
        Ok(self
            .state()
            .services
            .values()
            .filter(|s| &s.ente == ente)
            .cloned()
            .collect())
    }

    async fn get(&self, ente: &EnteId, code: &ServiceCode) -> Result<Option<SpontaneousService>, StorageError> {
        Ok(self.state().services.get(&(ente.clone(), code.clone())).cloned())
    }

    async fn by_demand_id(
        &self,
        ente: &EnteId,
        demand_service_id: &str,
    ) -> Result<Option<SpontaneousService>, StorageError> {
        Ok(self
            .state()
            .services
            .values()
            .find(|s| {
                &s.ente == ente
                    && s.demand_service_id
                        .as_ref()
                        .is_some_and(|d| d.as_str() == demand_service_id)
            })
            .cloned())
    }

    async fn upsert(&self, service: &SpontaneousService) -> Result<(), StorageError> {
        self.state()
            .services
            .insert((service.ente.clone(), service.code.clone()), service.clone());
        Ok(())
    }
}
