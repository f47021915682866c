//! The `[[entes]]` of the configuration file: checked (each error names `entes[N].key`), their
//! logos read, and applied to the store at every start.

use std::collections::BTreeMap;

use anyhow::Context;
use pagopa_domain::ports::{EnteSaved, Ports};
use pagopa_domain::{Ente, EnteLogo, EnteSettings};

/// An Ente of the configuration file, checked.
#[derive(Clone, Debug)]
pub struct ConfiguredEnte {
    /// Its settings.
    pub ente: Ente,
    /// Its logo, read from the file `logo` names.
    pub logo: Option<EnteLogo>,
}

/// The actor the audit trail names for changes made by the configuration file.
pub(super) const ACTOR: &str = "configuration";

pub(super) fn check(entes: &[EnteSettings]) -> anyhow::Result<Vec<ConfiguredEnte>> {
    let mut seen = BTreeMap::new();
    let mut checked = Vec::with_capacity(entes.len());
    for (n, settings) in entes.iter().enumerate() {
        let ente = settings
            .to_ente()
            .map_err(|e| anyhow::anyhow!("entes[{n}].{}: {}", e.key, e.message))?;
        if let Some(first) = seen.insert(ente.id.clone(), n) {
            anyhow::bail!(
                "entes[{n}].id: Ente {} is configured twice (also entes[{first}])",
                ente.id
            );
        }
        let logo = match &settings.logo {
            Some(path) => {
                let bytes =
                    std::fs::read(path).map_err(|e| anyhow::anyhow!("entes[{n}].logo: cannot read {path}: {e}"))?;
                let logo = EnteLogo::from_bytes(bytes).map_err(|e| anyhow::anyhow!("entes[{n}].logo: {path}: {e}"))?;
                pagopa_documents::check_logo(&logo).map_err(|e| anyhow::anyhow!("entes[{n}].logo: {path}: {e}"))?;
                Some(logo)
            }
            None => None,
        };
        checked.push(ConfiguredEnte { ente, logo });
    }
    Ok(checked)
}

/// Stores the Enti of the file: inserted or updated (audited as `configuration` only when
/// something changed). The file wins over changes made through the operator API, and says so.
pub async fn apply(ports: &Ports, entes: &[ConfiguredEnte]) -> anyhow::Result<()> {
    for configured in entes {
        let ente = &configured.ente;
        if !ente.id.has_valid_check_digit() {
            tracing::warn!(ente = %ente.id, "the Ente's fiscal code has a wrong check digit: is it mistyped?");
        }
        let saved = ports
            .entes
            .save(ente, ACTOR)
            .await
            .with_context(|| format!("storing Ente {}", ente.id))?;
        match saved {
            EnteSaved::Created => tracing::info!(ente = %ente.id, "Ente added from the configuration file"),
            EnteSaved::Updated => tracing::warn!(
                ente = %ente.id,
                "the stored settings of this Ente differed from the configuration file (changed through the \
                 operator API?): the configuration file wins at every start"
            ),
            EnteSaved::Unchanged => {}
        }
        if let Some(logo) = &configured.logo
            && ports
                .entes
                .set_logo(&ente.id, Some(logo), ACTOR)
                .await
                .with_context(|| format!("storing the logo of Ente {}", ente.id))?
        {
            tracing::info!(ente = %ente.id, format = ?logo.format(), "Ente logo stored from the configuration file");
        }
    }
    Ok(())
}
