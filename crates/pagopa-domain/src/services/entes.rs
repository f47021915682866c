//! The Enti an installation serves, as operators manage them: list, read, add or change
//! (checked, audited with who did it), logos.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::error::DomainError;
use crate::model::{Ente, EnteLogo, EnteSettings, GestionaleName};
use crate::ports::{EnteSaved, Ports};
use crate::value::EnteId;

/// Operators' management of Enti.
#[derive(Clone, Debug)]
pub struct EnteAdmin {
    ports: Ports,
    gestionali: Arc<BTreeSet<GestionaleName>>,
}

impl EnteAdmin {
    /// The use case over `ports`, with no named gestionale configured.
    pub fn new(ports: Ports) -> Self {
        Self {
            ports,
            gestionali: Arc::default(),
        }
    }

    /// The same, with the names of the configured gestionali an Ente may name.
    pub fn with_gestionali(mut self, names: impl IntoIterator<Item = GestionaleName>) -> Self {
        self.gestionali = Arc::new(names.into_iter().collect());
        self
    }

    /// Every stored Ente, disabled ones included, by id.
    pub async fn list(&self) -> Result<Vec<Ente>, DomainError> {
        Ok(self.ports.entes.list().await?)
    }

    /// One stored Ente, disabled or not; [`DomainError::NotFound`] if there is none.
    pub async fn get(&self, id: &EnteId) -> Result<Ente, DomainError> {
        self.ports
            .entes
            .get(id)
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("Ente {id}")))
    }

    /// Adds or changes an Ente from its settings, every key checked
    /// ([`DomainError::InvalidEnteSettings`] names the bad one), audited as done by `actor`.
    /// Disabling an Ente keeps all its data: it is only no longer served.
    pub async fn put(&self, settings: &EnteSettings, actor: &str) -> Result<(Ente, EnteSaved), DomainError> {
        if settings.logo.is_some() {
            return Err(DomainError::InvalidEnteSettings(crate::model::EnteSettingsFieldError {
                key: "logo",
                message: "a logo is set on its own (PUT …/logo with the image), or by path in the configuration file"
                    .into(),
            }));
        }
        let ente = settings.to_ente().map_err(DomainError::InvalidEnteSettings)?;
        if let Some(name) = &ente.gestionale
            && !self.gestionali.contains(name)
        {
            let known: Vec<&str> = self.gestionali.iter().map(GestionaleName::as_str).collect();
            return Err(DomainError::InvalidEnteSettings(crate::model::EnteSettingsFieldError {
                key: "gestionale",
                message: format!(
                    "no gestionale {:?} is configured (configured: {})",
                    name.as_str(),
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            }));
        }
        let saved = self.ports.entes.save(&ente, actor).await?;
        Ok((ente, saved))
    }

    /// The Ente's logo; [`DomainError::NotFound`] when the Ente or its logo is missing.
    pub async fn logo(&self, id: &EnteId) -> Result<EnteLogo, DomainError> {
        self.get(id).await?;
        self.ports
            .entes
            .logo(id)
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("the logo of Ente {id}")))
    }

    /// Sets (or with `None` removes) the Ente's logo, audited as done by `actor`.
    pub async fn set_logo(&self, id: &EnteId, logo: Option<&EnteLogo>, actor: &str) -> Result<bool, DomainError> {
        self.get(id).await?;
        Ok(self.ports.entes.set_logo(id, logo, actor).await?)
    }
}
