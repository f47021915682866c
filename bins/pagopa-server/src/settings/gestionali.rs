//! `[gestionali.NAME]`: the named gestionali Enti choose with `gestionale = "NAME"`, each with
//! its adapter (`kind`), credentials, time budget, webhook secret and delivery limits; and the
//! single `[gestionale]` of older configurations, the default of Enti that name none.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Duration;
use pagopa_domain::cause_chain as error_chain;
use pagopa_domain::gestionali::{
    DEFAULT_BREAKER_COOL_DOWN_SECS, DEFAULT_BREAKER_THRESHOLD, GestionaleRoute, GestionaleRoutes, GuardedGestionale,
};
use pagopa_domain::ports::{Clock, EnteRepository};
use pagopa_domain::{DeliveryLimits, GestionaleName};
use pagopa_gestionale_http::{DEFAULT_AUTH_HEADER, DEFAULT_TIMEOUT_MS, GestionaleHttp, GestionaleHttpSettings};
use pagopa_http_client::Secret;
use serde::Deserialize;

use super::{MAX_SECS, bad, within};

/// The adapter of a named gestionale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GestionaleKind {
    /// The reference HTTP adapter (`docs/gestionale-http.md`).
    Http,
}

/// The default [`NamedGestionale::max_attempts`].
pub const DEFAULT_MAX_ATTEMPTS: u32 = 50;
/// The default [`NamedGestionale::max_age_secs`]: three days.
pub const DEFAULT_MAX_AGE_SECS: i64 = 3 * 24 * 3600;

/// One `[gestionali.NAME]` table. `Debug` never shows the token or the secret.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedGestionale {
    /// The adapter: `http`.
    pub kind: GestionaleKind,
    /// The root of the contract's endpoints.
    pub base_url: String,
    /// The credential sent on every call (or `token_file`).
    #[serde(default)]
    pub token: Option<Secret>,
    /// The header carrying it (default `Authorization`, as `Bearer <token>`).
    #[serde(default)]
    pub header: Option<String>,
    /// The time budget of one call, in milliseconds (1..=120000, default 5000).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// The Standard Webhooks secret notifications are signed with (`whsec_…`, or
    /// `webhook_secret_file`).
    pub webhook_secret: Secret,
    /// Failed deliveries after which a notification is dead-lettered (1..=10000, default 50).
    #[serde(default)]
    pub max_attempts: Option<u32>,
    /// Age after which a failed notification is dead-lettered, in seconds (60..=2592000,
    /// default 259200: three days).
    #[serde(default)]
    pub max_age_secs: Option<i64>,
}

impl NamedGestionale {
    /// The HTTP adapter's settings. A named gestionale follows the current contract, which
    /// includes expiry notices.
    pub fn http_settings(&self) -> GestionaleHttpSettings {
        GestionaleHttpSettings {
            base_url: self.base_url.clone(),
            token: self.token.clone(),
            header: self.header.clone().unwrap_or_else(|| DEFAULT_AUTH_HEADER.to_owned()),
            timeout_ms: self.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
            expirations: true,
            webhook_secret: Some(self.webhook_secret.clone()),
        }
    }

    /// When its notifications are dead-lettered.
    pub fn limits(&self) -> DeliveryLimits {
        DeliveryLimits {
            max_attempts: self.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS),
            max_age: Duration::seconds(self.max_age_secs.unwrap_or(DEFAULT_MAX_AGE_SECS)),
        }
    }
}

/// Checks every `[gestionali.NAME]` and the legacy `[gestionale]`; errors name the key.
pub(super) fn check(
    named: &BTreeMap<String, NamedGestionale>,
    legacy: Option<&GestionaleHttpSettings>,
) -> anyhow::Result<()> {
    for (name, gestionale) in named {
        let key = |field: &str| format!("gestionali.{name}.{field}");
        name.parse::<GestionaleName>()
            .map_err(|e| bad(&format!("gestionali.{name}"), e))?;
        if let Some(timeout) = gestionale.timeout_ms {
            within(&key("timeout_ms"), timeout, 1, 120_000)?;
        }
        if let Some(attempts) = gestionale.max_attempts {
            within(&key("max_attempts"), attempts, 1, 10_000)?;
        }
        if let Some(age) = gestionale.max_age_secs {
            within(&key("max_age_secs"), age, 60, MAX_SECS)?;
        }
        GestionaleHttp::new(gestionale.http_settings()).map_err(|e| {
            let field = match &e {
                pagopa_gestionale_http::ConfigError::BaseUrl { .. } => "base_url",
                pagopa_gestionale_http::ConfigError::Header(_) => "header",
                pagopa_gestionale_http::ConfigError::Token(_) => "token",
                pagopa_gestionale_http::ConfigError::WebhookSecret(_) => "webhook_secret",
                _ => "kind",
            };
            bad(&key(field), error_chain(&e))
        })?;
    }
    if let Some(gestionale) = legacy {
        if named.contains_key(pagopa_domain::gestionali::DEFAULT_ROUTE) {
            return Err(bad(
                "gestionali.default",
                "the name default is the single [gestionale] table's in reports: choose another name",
            ));
        }
        within("gestionale.timeout_ms", gestionale.timeout_ms, 1, 120_000)?;
        GestionaleHttp::new(gestionale.clone()).map_err(|e| bad("gestionale", error_chain(&e)))?;
    }
    Ok(())
}

/// The routes of the configured gestionali, each behind its circuit breaker.
pub fn routes(
    named: &BTreeMap<String, NamedGestionale>,
    legacy: Option<&GestionaleHttpSettings>,
    entes: Arc<dyn EnteRepository>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<GestionaleRoutes> {
    let guard = |adapter: GestionaleHttp| {
        Arc::new(GuardedGestionale::new(
            Arc::new(adapter),
            clock.clone(),
            DEFAULT_BREAKER_THRESHOLD,
            Duration::seconds(DEFAULT_BREAKER_COOL_DOWN_SECS),
        ))
    };
    let mut routes = BTreeMap::new();
    for (name, gestionale) in named {
        let parsed: GestionaleName = name.parse().map_err(|e| bad(&format!("gestionali.{name}"), e))?;
        let adapter = match gestionale.kind {
            GestionaleKind::Http => GestionaleHttp::new(gestionale.http_settings())
                .map_err(|e| bad(&format!("gestionali.{name}"), error_chain(&e)))?,
        };
        routes.insert(
            parsed,
            GestionaleRoute {
                gestionale: guard(adapter),
                limits: Some(gestionale.limits()),
            },
        );
    }
    let default = match legacy {
        Some(settings) => Some(GestionaleRoute {
            gestionale: guard(GestionaleHttp::new(settings.clone()).map_err(|e| bad("gestionale", error_chain(&e)))?),
            limits: None,
        }),
        None => None,
    };
    Ok(GestionaleRoutes::new(entes, routes, default))
}
