//! Configuration: built-in defaults, then a TOML file, then `PAGOPA__…` environment variables
//! (`PAGOPA__DATABASE__URL`, `PAGOPA__SERVER__PORT`, …). Unknown keys are errors that name the
//! key.

use anyhow::{Context, bail};
use pagopa_api::{ApiKeyEntry, ApiKeys};
use pagopa_gestionale_http::GestionaleHttpSettings;
use pagopa_nodo::checkout::CheckoutSettings;
use pagopa_nodo::soap::SoapSettings;
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
    /// The paForNode SOAP endpoint the pagoPA Node calls.
    #[serde(default)]
    pub node: SoapSettings,
    /// pagoPA Checkout (modello 1); without it starting a cart answers 502.
    #[serde(default)]
    pub checkout: Option<CheckoutSettings>,
    /// The Ente's gestionale (reference HTTP adapter, `docs/gestionale-http.md`); without it
    /// positions are not refreshed on demand, gestionale pricing answers 502 and notifications
    /// wait in the outbox.
    #[serde(default)]
    pub gestionale: Option<GestionaleHttpSettings>,
    /// Delivery of gestionale notifications from the outbox.
    pub outbox: OutboxSettings,
    /// Checkout carts.
    pub carts: CartSettings,
    /// Expiry by time of positions that expire after their due dates.
    pub expiry: ExpirySettings,
}

/// The expiry job: moves `Valid` positions that expire after their due dates to `Expired` once
/// the last one has passed (Italian day) and tells the gestionale.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpirySettings {
    /// Whether this instance runs it (several instances may; positions are row-locked).
    pub enabled: bool,
    /// Pause between rounds when nothing was due, in seconds (1..=86400).
    pub interval_secs: u64,
    /// Positions expired per transaction (1..=10000).
    pub batch: u32,
}

/// Checkout carts.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CartSettings {
    /// How long a payment session may last (the Node's payment-token lifetime): a cart with no
    /// receipt after this becomes uncertain and its notices are payable again. Seconds.
    pub session_lifetime_secs: i64,
}

/// The outbox worker.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxSettings {
    /// Whether this instance delivers notifications (several instances may; rows are leased).
    pub enabled: bool,
    /// Pause between rounds when nothing was due, in milliseconds.
    pub interval_ms: u64,
    /// Messages claimed per round.
    pub batch: u32,
    /// How long a claimed message is leased, in seconds.
    pub lease_secs: i64,
    /// Delay after the first failed delivery, in seconds (doubles up to `retry_max_secs`).
    pub retry_base_secs: i64,
    /// Longest delay between two attempts, in seconds.
    pub retry_max_secs: i64,
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
    /// SQLite: run short point reads on the HTTP worker instead of the blocking pool
    /// (ADR 0004). No effect on PostgreSQL.
    pub sqlite_inline_reads: bool,
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
sqlite_inline_reads = true

[demo]
enabled = true

[carts]
session_lifetime_secs = 1800

[outbox]
enabled = true
interval_ms = 1000
batch = 50
lease_secs = 60
retry_base_secs = 10
retry_max_secs = 3600

[expiry]
enabled = true
interval_secs = 300
batch = 100
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
                .try_parsing(true)
                // PAGOPA__NODE__AUTH__ALLOWED_IPS=10.0.0.0/8,192.168.1.7
                .list_separator(",")
                .with_list_parse_key("node.auth.allowed_ips"),
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
        if !self.node.path.starts_with('/') || self.node.path.starts_with("/api/") {
            bail!("node.path must start with '/' and lie outside /api/");
        }
        self.node
            .auth
            .validate()
            .map_err(|e| anyhow::anyhow!("node.auth: {e}"))?;
        if self.node.max_body_bytes < 4096 {
            bail!("node.max_body_bytes must be at least 4096");
        }
        if let Some(checkout) = &self.checkout {
            pagopa_nodo::checkout::CheckoutClient::new(checkout.clone())
                .map_err(|e| anyhow::anyhow!("checkout: {e}"))?;
        }
        if let Some(gestionale) = &self.gestionale {
            pagopa_gestionale_http::GestionaleHttp::new(gestionale.clone())
                .map_err(|e| anyhow::anyhow!("gestionale: {e}"))?;
        }
        if self.carts.session_lifetime_secs <= 0 {
            bail!("carts.session_lifetime_secs must be positive");
        }
        if self.outbox.batch == 0 || self.outbox.interval_ms == 0 || self.outbox.lease_secs <= 0 {
            bail!("outbox.batch, outbox.interval_ms and outbox.lease_secs must be positive");
        }
        if self.outbox.retry_base_secs <= 0 || self.outbox.retry_max_secs < self.outbox.retry_base_secs {
            bail!("outbox.retry_base_secs must be positive and at most outbox.retry_max_secs");
        }
        if !(1..=86_400).contains(&self.expiry.interval_secs) || !(1..=10_000).contains(&self.expiry.batch) {
            bail!("expiry.interval_secs must be within 1..=86400 and expiry.batch within 1..=10000");
        }
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
