//! Configuration: built-in defaults, then a TOML file, then `PAGOPA__…` environment variables
//! (`PAGOPA__DATABASE__URL`, `PAGOPA__SERVER__PORT`, …). Secrets may come from files
//! (`secrets.rs`). Every bad value is an error that names its key (`entes[1].bank_iban: …`,
//! `outbox.lease_secs: …`).

mod entes;
pub mod gestionali;
mod reconciliation;
mod secrets;

use anyhow::Context;
use pagopa_api::{ApiKeyEntry, ApiKeys};
use pagopa_domain::EnteSettings;
use pagopa_gestionale_http::GestionaleHttpSettings;
use pagopa_nodo::checkout::CheckoutSettings;
use pagopa_nodo::soap::{AddressBlock, SoapSettings};
use serde::Deserialize;

pub use entes::{ConfiguredEnte, apply as apply_entes};
pub use reconciliation::{ReconciliationSettings, RecoveryFileSettings};

/// Every setting.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// HTTP server.
    pub server: ServerSettings,
    /// Storage.
    pub database: DatabaseSettings,
    /// Demo mode (`serve --demo`); never on by default.
    pub demo: DemoSettings,
    /// The Enti this installation serves, applied at every start.
    #[serde(default)]
    pub entes: Vec<EnteSettings>,
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
    /// The installation-wide gestionale of older configurations (reference HTTP adapter,
    /// `docs/gestionale-http.md`): the gestionale of every Ente that names none in
    /// `gestionale`. Without it (and without a name) an Ente works without a gestionale:
    /// positions are not refreshed on demand, gestionale pricing answers 502, notifications
    /// are kept for the pull feed.
    #[serde(default)]
    pub gestionale: Option<GestionaleHttpSettings>,
    /// The named gestionali (`[gestionali.NAME]`), chosen by each Ente's `gestionale = "NAME"`.
    #[serde(default)]
    pub gestionali: std::collections::BTreeMap<String, gestionali::NamedGestionale>,
    /// Delivery of gestionale notifications from the outbox.
    pub outbox: OutboxSettings,
    /// Notices the Node asks about that we do not hold, looked up at the Ente's gestionale.
    pub notices_on_demand: NoticesOnDemandSettings,
    /// Checkout carts.
    pub carts: CartSettings,
    /// What loading noticed without refusing (secret files others can read, …), to log.
    #[serde(skip)]
    pub warnings: Vec<String>,
    /// Expiry by time of positions that expire after their due dates.
    pub expiry: ExpirySettings,
    /// Bulk loads sent through the operator API.
    pub imports: ImportSettings,
    /// Reconciliation: flows fetched from pagoPA, matched to receipts and bank credits.
    pub reconciliation: ReconciliationSettings,
}

/// Bulk loads sent through the operator API (`POST /api/v1/admin/entes/{ente}/imports`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportSettings {
    /// Whether this instance runs the uploaded loads (an instance that does not still takes
    /// uploads; the files folder must then be shared with one that does).
    pub enabled: bool,
    /// Where uploaded files and their reports are kept (created if missing).
    pub dir: String,
    /// The largest file accepted, in bytes (1 KiB..=16 GiB).
    pub max_bytes: u64,
    /// Pause between looks for loads left unfinished by another instance, in seconds.
    pub poll_secs: u64,
    /// How long a running load stays with its instance without a sign of progress, in seconds
    /// (2..=3600): a load whose instance died is resumed by another, or by the same one
    /// restarted, once this has passed.
    pub lease_secs: i64,
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

/// Notices looked up on demand (an Ente with `positions_on_demand`, whose gestionale issues
/// printed notices we have not loaded).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticesOnDemandSettings {
    /// How long the Node's verify or activation waits for the gestionale, in milliseconds
    /// (100..=1900, default 1500: the Node must be answered well within 2 s). Past it the
    /// Node gets `PAA_SYSTEM_ERROR` and a late answer is stored for its next try.
    pub budget_ms: u64,
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
    /// Deliveries in flight at once in a round (1..=256); a position's messages still go one
    /// at a time, in order.
    pub concurrency: u32,
    /// How long a delivered message is kept (listed, in the pull feed), in days; dead letters
    /// and pending messages are kept whatever their age.
    pub retention_days: i64,
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
    /// The reverse proxies (addresses or CIDR blocks) whose `Forwarded` / `X-Forwarded-For`
    /// headers are believed. From any other peer those headers are ignored, and the client
    /// address is the TCP peer's.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
}

/// Storage settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://<file>` or `postgres://…`.
    pub url: String,
    /// Connections in the pool.
    pub pool_size: u32,
    /// Apply migrations at start (always true for SQLite). On PostgreSQL several instances may
    /// start at once: migrations run under an advisory lock.
    pub migrate_on_start: bool,
    /// SQLite: run short point reads on the HTTP worker instead of the blocking pool
    /// (ADR 0004). No effect on PostgreSQL.
    pub sqlite_inline_reads: bool,
}

/// Demo mode: the demo Enti, catalogue and positions, and a fresh Front-End key printed at start.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoSettings {
    /// Whether demo mode is on (`serve --demo` turns it on).
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
enabled = false

[carts]
session_lifetime_secs = 1800

[outbox]
enabled = true
interval_ms = 1000
batch = 50
lease_secs = 300
retry_base_secs = 10
retry_max_secs = 3600
concurrency = 16
retention_days = 30

[notices_on_demand]
budget_ms = 1500

[expiry]
enabled = true
interval_secs = 300
batch = 100

[reconciliation]
enabled = true
interval_secs = 3600
lease_secs = 900
initial_lookback_days = 60
receipt_grace_days = 5
credit_grace_days = 3
sweep_lookback_days = 120

[imports]
enabled = true
dir = "./data/imports"
max_bytes = 2147483648
poll_secs = 30
lease_secs = 30
"#;

/// The longest duration any setting takes: 30 days, in seconds.
const MAX_SECS: i64 = 30 * 24 * 3600;

/// An error about one key.
fn bad(key: &str, message: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{key}: {message}")
}

/// `value` within `min..=max`, else an error naming `key`.
fn within<T: PartialOrd + std::fmt::Display + Copy>(key: &str, value: T, min: T, max: T) -> anyhow::Result<()> {
    if value < min || value > max {
        return Err(bad(key, format!("{value} is outside {min}..={max}")));
    }
    Ok(())
}

impl Settings {
    /// Defaults, then `file` if given, then the environment; checked.
    pub fn load(file: Option<&std::path::Path>) -> anyhow::Result<Self> {
        let settings = Self::read(file)?;
        settings.validate()?;
        Ok(settings)
    }

    /// Defaults, then `file`, then the environment, typed but not yet checked (the command
    /// line may still change them, e.g. `serve --demo`).
    pub fn read(file: Option<&std::path::Path>) -> anyhow::Result<Self> {
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
                .with_list_parse_key("node.auth.allowed_ips")
                .with_list_parse_key("server.trusted_proxies"),
        );
        let mut tree: serde_json::Value = builder
            .build()
            .context("reading the configuration")?
            .try_deserialize()
            .context("reading the configuration")?;
        let warnings = secrets::resolve(&mut tree).map_err(|e| anyhow::anyhow!(e))?;
        let mut settings: Settings = serde_path_to_error::deserialize(tree).map_err(|e| {
            let path = e.path().to_string();
            anyhow::anyhow!("the configuration is invalid: {path}: {}", e.into_inner())
        })?;
        settings.warnings = warnings;
        Ok(settings)
    }

    /// Checks what types cannot; every error names its key.
    pub fn validate(&self) -> anyhow::Result<()> {
        within("server.workers", self.server.workers, 1, 256)?;
        within(
            "server.shutdown_timeout_secs",
            self.server.shutdown_timeout_secs,
            0,
            3600,
        )?;
        for (n, proxy) in self.server.trusted_proxies.iter().enumerate() {
            AddressBlock::parse(proxy).map_err(|e| bad(&format!("server.trusted_proxies[{n}]"), e))?;
        }
        within("database.pool_size", self.database.pool_size, 1, 1000)?;
        let url = &self.database.url;
        if !(url.starts_with("sqlite://") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(bad(
                "database.url",
                "must start with sqlite://, postgres:// or postgresql://",
            ));
        }
        gestionali::check(&self.gestionali, self.gestionale.as_ref())?;
        for (n, ente) in self.entes.iter().enumerate() {
            if let Some(name) = &ente.gestionale
                && !self.gestionali.contains_key(name)
            {
                let known: Vec<&str> = self.gestionali.keys().map(String::as_str).collect();
                return Err(bad(
                    &format!("entes[{n}].gestionale"),
                    format!(
                        "no [gestionali.{name}] is configured (configured: {})",
                        if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            }
        }
        self.configured_entes()?;
        ApiKeys::new(&self.api_keys).map_err(|e| bad("api_keys", e))?;
        if !self.node.path.starts_with('/') || self.node.path.starts_with("/api/") {
            return Err(bad("node.path", "must start with '/' and lie outside /api/"));
        }
        if let Some(listen) = &self.node.listen {
            listen
                .parse::<std::net::SocketAddr>()
                .map_err(|_| bad("node.listen", format!("{listen:?} is not an ADDRESS:PORT")))?;
        }
        self.node.auth.validate().map_err(|e| bad("node.auth", e))?;
        if !self.demo.enabled && !self.node.auth.is_configured() {
            return Err(bad(
                "node.auth",
                "outside demo mode the pagoPA endpoint needs a shared secret (secret or secret_file), \
                 an allow-list (allowed_ips), or both; or allow_anonymous = true to accept anyone",
            ));
        }
        within("node.max_body_bytes", self.node.max_body_bytes, 4096, 64 * 1024 * 1024)?;
        if let Some(checkout) = &self.checkout {
            within("checkout.timeout_ms", checkout.timeout_ms, 1, 120_000)?;
            pagopa_nodo::checkout::CheckoutClient::new(checkout.clone()).map_err(|e| bad("checkout", e))?;
        }
        within(
            "carts.session_lifetime_secs",
            self.carts.session_lifetime_secs,
            1,
            7 * 24 * 3600,
        )?;
        let outbox = &self.outbox;
        within("outbox.batch", outbox.batch, 1, 10_000)?;
        within("outbox.interval_ms", outbox.interval_ms, 1, 3_600_000)?;
        within("outbox.lease_secs", outbox.lease_secs, 1, MAX_SECS)?;
        within("outbox.concurrency", outbox.concurrency, 1, 256)?;
        within("outbox.retention_days", outbox.retention_days, 1, 36_500)?;
        within("outbox.retry_base_secs", outbox.retry_base_secs, 1, MAX_SECS)?;
        within(
            "outbox.retry_max_secs",
            outbox.retry_max_secs,
            outbox.retry_base_secs,
            MAX_SECS,
        )?;
        within(
            "notices_on_demand.budget_ms",
            self.notices_on_demand.budget_ms,
            100,
            1_900,
        )?;
        within("expiry.interval_secs", self.expiry.interval_secs, 1, 86_400)?;
        within("expiry.batch", self.expiry.batch, 1, 10_000)?;
        within(
            "imports.max_bytes",
            self.imports.max_bytes,
            1024,
            16 * 1024 * 1024 * 1024,
        )?;
        within("imports.poll_secs", self.imports.poll_secs, 1, 86_400)?;
        within("imports.lease_secs", self.imports.lease_secs, 2, 3_600)?;
        self.reconciliation.check()?;
        if self.imports.dir.trim().is_empty() {
            return Err(bad("imports.dir", "must name a folder"));
        }
        if let Some(tokens) = &self.citizen_tokens {
            within(
                "citizen_tokens.max_lifetime_secs",
                tokens.max_lifetime_secs,
                1,
                24 * 3600,
            )?;
            tokens.verifier().map_err(|e| bad("citizen_tokens.public_key", e))?;
        }
        Ok(())
    }

    /// The Enti of the file, checked, their logos read.
    pub fn configured_entes(&self) -> anyhow::Result<Vec<ConfiguredEnte>> {
        entes::check(&self.entes)
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
