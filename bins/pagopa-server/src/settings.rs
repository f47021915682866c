//! Configuration: built-in defaults, then a TOML file, then `PAGOPA__…` environment variables
//! (`PAGOPA__DATABASE__URL`, `PAGOPA__SERVER__PORT`, …). Unknown keys are errors that name the
//! key.

use anyhow::{Context, bail};
use pagopa_api::{ApiKeyEntry, ApiKeys};
use serde::Deserialize;

/// Every setting.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// HTTP server.
    pub server: ServerSettings,
    /// Storage.
    pub database: DatabaseSettings,
    /// Demo mode.
    pub demo: DemoSettings,
    /// Provisioned API keys (hashes only; `pagopa-server hash-key` computes one).
    #[serde(default)]
    pub api_keys: Vec<ApiKeyEntry>,
    /// How citizen tokens are verified; without it the citizen's operations answer 501
    /// (demo mode makes a key pair of its own).
    #[serde(default)]
    pub citizen_tokens: Option<CitizenTokenSettings>,
    /// Log filter (`info`, `pagopa_api=debug,info`, …).
    pub log: String,
}

/// The Front-End's token signing key and claims.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CitizenTokenSettings {
    /// The Ed25519 public key (32 bytes, base64).
    pub public_key: String,
    /// Required `iss`, if any.
    #[serde(default)]
    pub issuer: Option<String>,
    /// Required `aud`, if any.
    #[serde(default)]
    pub audience: Option<String>,
    /// Longest accepted remaining lifetime of a token, in seconds.
    #[serde(default = "default_token_lifetime")]
    pub max_lifetime_secs: i64,
}

fn default_token_lifetime() -> i64 {
    3600
}

/// HTTP server settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to listen on.
    pub address: String,
    /// Port (0 picks a free one).
    pub port: u16,
    /// HTTP worker threads.
    pub workers: usize,
    /// Seconds to finish requests in flight on shutdown.
    pub shutdown_timeout_secs: u64,
}

/// Storage settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://<file>` or `postgres://…`.
    pub url: String,
    /// Connections in the pool.
    pub pool_size: u32,
    /// Apply migrations at start (always true for SQLite; for PostgreSQL prefer `migrate`).
    pub migrate_on_start: bool,
}

/// Demo mode: the demo Enti, catalogue and positions, and a fresh Front-End key printed at start.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoSettings {
    /// Whether demo mode is on.
    pub enabled: bool,
}

const DEFAULTS: &str = r#"
log = "info"
api_keys = []

[server]
address = "127.0.0.1"
port = 8080
workers = 2
shutdown_timeout_secs = 30

[database]
url = "sqlite://./data/pagopa.db"
pool_size = 8
migrate_on_start = true

[demo]
enabled = true
"#;

impl Settings {
    /// Defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&std::path::Path>) -> anyhow::Result<Self> {
        let mut builder =
            config::Config::builder().add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Some(file) = file {
            builder = builder.add_source(config::File::from(file).format(config::FileFormat::Toml).required(true));
        }
        let builder = builder.add_source(
            config::Environment::with_prefix("PAGOPA")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true),
        );
        let settings: Settings = builder
            .build()
            .context("reading the configuration")?
            .try_deserialize()
            .context("the configuration is invalid")?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks what types cannot.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.server.workers == 0 {
            bail!("server.workers must be at least 1");
        }
        if self.database.pool_size == 0 {
            bail!("database.pool_size must be at least 1");
        }
        let url = &self.database.url;
        if !(url.starts_with("sqlite://") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            bail!("database.url must start with sqlite://, postgres:// or postgresql://");
        }
        ApiKeys::new(&self.api_keys).map_err(|e| anyhow::anyhow!("api_keys: {e}"))?;
        if let Some(tokens) = &self.citizen_tokens {
            tokens
                .verifier()
                .map_err(|e| anyhow::anyhow!("citizen_tokens.public_key: {e}"))?;
        }
        Ok(())
    }
}

impl CitizenTokenSettings {
    /// The verifier these settings describe.
    pub fn verifier(&self) -> Result<pagopa_api::CitizenTokens, String> {
        pagopa_api::CitizenTokens::new(
            &self.public_key,
            self.issuer.clone(),
            self.audience.clone(),
            self.max_lifetime_secs,
        )
    }
}
