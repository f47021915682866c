//! The wiring of the Back-End Pagamenti: configuration, storage, the domain's services and the
//! REST API in one actix-web server. `main.rs` is the command line over it.

pub mod import;
mod notice_budget;
mod outbox;
mod proxy;
mod reconciliation;
pub mod settings;
mod unconfigured;

use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use pagopa_api::{ApiKeyEntry, ApiKeys, ApiState, Role, configure, problem_details, request_id};
use pagopa_domain::gestionali::{BreakerState, GestionaleRoutes};
use pagopa_domain::ports::{Clock, Gestionale, PagoPaCheckout, Ports, SystemClock};
use pagopa_domain::services::{CartPayments, EnteAdmin, NodeOperations, PositionExpiry, Services};
use pagopa_nodo::checkout::CheckoutClient;
use pagopa_nodo::soap::SoapEndpoint;
use pagopa_storage_diesel::DieselStore;

pub use proxy::TrustedProxies;
pub use settings::Settings;
use unconfigured::{RandomIds, Unconfigured};

/// Opens the store the settings name (pool and, where configured, migrations).
pub async fn open_store(settings: &Settings) -> anyhow::Result<DieselStore> {
    let store = DieselStore::connect(&settings.database.url, settings.database.pool_size)
        .with_context(|| format!("opening the database ({})", redact(&settings.database.url)))?
        .read_inline(settings.database.sqlite_inline_reads);
    let sqlite = store.backend() == pagopa_storage_diesel::BackendKind::Sqlite;
    if sqlite || settings.database.migrate_on_start {
        let applied = store.migrate().await.context("applying migrations")?;
        if applied > 0 {
            tracing::info!(applied, "migrations applied");
        }
    }
    Ok(store)
}

/// The URL with any password hidden, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The domain's ports over `store`, with the adapters the settings configure. An adapter that
/// is not configured fails its calls as unavailable, so nothing is acknowledged that was not done.
pub fn ports(store: &DieselStore, settings: &Settings) -> anyhow::Result<Ports> {
    let (ports, _) = ports_and_routes(store, settings)?;
    Ok(ports)
}

fn checkout_of(settings: &Settings) -> anyhow::Result<Arc<dyn PagoPaCheckout>> {
    Ok(match &settings.checkout {
        Some(checkout) => {
            Arc::new(CheckoutClient::new(checkout.clone()).map_err(|e| anyhow::anyhow!("checkout: {e}"))?)
        }
        None => Arc::new(Unconfigured),
    })
}

/// The ports, and the gestionali's routes (whose breakers `/health/ready` and `/metrics`
/// report).
fn ports_and_routes(store: &DieselStore, settings: &Settings) -> anyhow::Result<(Ports, Arc<GestionaleRoutes>)> {
    let checkout = checkout_of(settings)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let routes = Arc::new(settings::gestionali::routes(
        &settings.gestionali,
        settings.gestionale.as_ref(),
        Arc::new(store.clone()),
        clock.clone(),
    )?);
    let gestionale: Arc<dyn Gestionale> = Arc::new(notice_budget::BudgetedNotices::new(
        routes.clone(),
        Arc::new(store.clone()),
        clock.clone(),
        std::time::Duration::from_millis(settings.notices_on_demand.budget_ms),
    ));
    let ports = Ports::with_storage(
        Arc::new(store.clone()),
        gestionale,
        checkout,
        clock,
        Arc::new(RandomIds),
    );
    Ok((ports, routes))
}

/// Expires due positions until the server stops: a round every `interval_secs` when nothing
/// was due, at once again when a round was full.
fn spawn_expiry_job(ports: Ports, settings: &settings::ExpirySettings) {
    let job = PositionExpiry::new(ports);
    let interval = std::time::Duration::from_secs(settings.interval_secs);
    let batch = settings.batch;
    actix_web::rt::spawn(async move {
        loop {
            let full = match job.run_once(batch).await {
                Ok(expired) => {
                    if !expired.is_empty() {
                        tracing::info!(expired = expired.len(), "expiry round");
                    }
                    expired.len() >= batch as usize
                }
                Err(error) => {
                    tracing::warn!(%error, "expiry round failed");
                    false
                }
            };
            if !full {
                actix_web::rt::time::sleep(interval).await;
            }
        }
    });
}

/// Each gestionale's circuit breaker, for the ready body: an open one is reported, not a
/// reason to be not ready (the service still takes payments and receipts).
fn gestionali_report(routes: &GestionaleRoutes) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = routes
        .statuses()
        .into_iter()
        .map(|(name, status)| (name, serde_json::to_value(status).unwrap_or_default()))
        .collect();
    serde_json::Value::Object(map)
}

/// The breakers as Prometheus gauges.
fn render_breakers(routes: &GestionaleRoutes, out: &mut String) {
    use std::fmt::Write;
    let statuses = routes.statuses();
    if statuses.is_empty() {
        return;
    }
    out.push_str("# HELP pagopa_gestionale_circuit_open Whether calls to the gestionale are suspended (1) after repeated failures.\n");
    out.push_str("# TYPE pagopa_gestionale_circuit_open gauge\n");
    for (name, status) in &statuses {
        let open = u8::from(status.state != BreakerState::Closed);
        let _ = writeln!(out, "pagopa_gestionale_circuit_open{{gestionale=\"{name}\"}} {open}");
    }
    out.push_str("# HELP pagopa_gestionale_consecutive_failures Failed calls to the gestionale in a row.\n");
    out.push_str("# TYPE pagopa_gestionale_consecutive_failures gauge\n");
    for (name, status) in &statuses {
        let _ = writeln!(
            out,
            "pagopa_gestionale_consecutive_failures{{gestionale=\"{name}\"}} {}",
            status.consecutive_failures
        );
    }
}

/// A fresh random key (32 hex digits).
pub fn random_key() -> anyhow::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(hex::encode(bytes))
}

/// What `serve` prepared: the servers and the demo key, if demo mode made one.
pub struct Running {
    /// The servers (the REST API's, and the Node endpoint's when it has a listener of its
    /// own); await [`Running::run`] to serve until shutdown.
    pub servers: Vec<Server>,
    /// The addresses the REST API listens on.
    pub addresses: Vec<std::net::SocketAddr>,
    /// The addresses the Node endpoint listens on (the same as `addresses` without
    /// `node.listen`).
    pub node_addresses: Vec<std::net::SocketAddr>,
    /// The demo Front-End key.
    pub demo_key: Option<String>,
    /// A demo citizen token for the demo debtor, valid one hour.
    pub demo_citizen_token: Option<String>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("addresses", &self.addresses)
            .field("node_addresses", &self.node_addresses)
            .finish_non_exhaustive()
    }
}

impl Running {
    /// Handles to stop the servers.
    pub fn handles(&self) -> Vec<actix_web::dev::ServerHandle> {
        self.servers.iter().map(Server::handle).collect()
    }

    /// Serves until every server stops; the first failure ends the wait.
    pub async fn run(self) -> std::io::Result<()> {
        let mut tasks = Vec::new();
        for server in self.servers {
            tasks.push(actix_web::rt::spawn(server));
        }
        for task in tasks {
            task.await.map_err(std::io::Error::other)??;
        }
        Ok(())
    }
}

/// Why `serve` refuses to start: a setting an operator must add. `main` exits with status 2.
#[derive(Debug)]
pub struct Refusal(pub String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

/// Builds the server: storage, the configured Enti, demo data if enabled, keys, the app.
pub async fn start(settings: &Settings) -> anyhow::Result<Running> {
    let configured = settings.configured_entes()?;
    let store = open_store(settings).await?;
    let (ports, routes) = ports_and_routes(&store, settings)?;
    if !configured.is_empty() {
        settings::apply_entes(&ports, &configured).await?;
        tracing::info!(
            entes = configured.len(),
            "Enti of the configuration file applied; for these Enti the file wins over changes made through the operator API"
        );
    }
    let mut keys = settings.api_keys.clone();
    let mut demo_key = None;
    if settings.demo.enabled {
        let added = pagopa_domain::demo::seed(&ports, SystemClock.now())
            .await
            .context("seeding the demo data")?;
        tracing::info!(added, "demo data ready");
        let key = random_key()?;
        keys.push(ApiKeyEntry {
            name: "demo-front-end".into(),
            sha256: ApiKeys::hash(&key),
            role: Role::FrontEnd,
            entes: vec![],
        });
        demo_key = Some(key);
    }
    let served = ports.entes.list().await.context("reading the Enti")?;
    if !served.iter().any(|e| e.enabled) {
        return Err(Refusal(
            "no Ente is configured: add an [[entes]] table to the configuration file (see docs/deploy.md), \
             or run `pagopa-server serve --demo` to try the service with the demo Enti"
                .into(),
        )
        .into());
    }
    let mut readiness = pagopa_api::Readiness::default();
    if settings.node.auth.is_anonymous() {
        let warning = "the pagoPA endpoint accepts anonymous callers (node.auth has no secret and no allow-list): \
                       anyone who knows an Ente's station ids can send receipts";
        if !settings.demo.enabled {
            tracing::warn!("{warning}");
        }
        readiness = readiness.warn(warning);
    }
    for warning in &settings.warnings {
        tracing::warn!("{warning}");
    }
    let writer = store.clone();
    readiness = readiness.check("storage", move || {
        if writer.writer_running() {
            Ok(())
        } else {
            Err("the SQLite writer is restarting".into())
        }
    });
    let breakers = routes.clone();
    readiness = readiness.report("gestionali", move || gestionali_report(&breakers));
    let readiness = web::Data::new(readiness);
    let keys = web::Data::new(ApiKeys::new(&keys).map_err(|e| anyhow::anyhow!("api_keys: {e}"))?);
    let mut demo_citizen_token = None;
    let tokens = match &settings.citizen_tokens {
        Some(tokens) => Some(tokens.verifier().map_err(|e| anyhow::anyhow!("citizen_tokens: {e}"))?),
        None if settings.demo.enabled => {
            let (verifier, token) = demo_citizen()?;
            demo_citizen_token = Some(token);
            Some(verifier)
        }
        None => None,
    };
    let tokens = tokens.map(web::Data::new);
    let mut services = Services::new(ports.clone());
    services.entes = EnteAdmin::new(ports.clone()).with_gestionali(routes.names().cloned());
    services.carts = CartPayments::new(
        ports.clone(),
        chrono::Duration::seconds(settings.carts.session_lifetime_secs),
    );
    services.reconciliation = pagopa_domain::services::Reconciliation::new(
        ports.reconciliation.clone(),
        ports.entes.clone(),
        ports.positions.clone(),
        ports.clock.clone(),
        reconciliation::domain_settings(&settings.reconciliation),
    );
    let rec_worker = reconciliation::worker_name();
    let rec_tools = reconciliation::tools(&settings.reconciliation, &rec_worker, &services)?;
    if settings.reconciliation.enabled {
        reconciliation::spawn_worker(
            ports.clone(),
            services.reconciliation.clone(),
            (rec_tools.source.clone(), rec_tools.recovery.clone()),
            &settings.reconciliation,
            rec_worker,
        );
    }
    let rec_tools = web::Data::new(rec_tools);
    let state = web::Data::new(ApiState { services, ports });
    let soap = SoapEndpoint::new(
        NodeOperations::new(state.ports.clone()),
        state.ports.clock.clone(),
        settings.node.clone(),
    )
    .map_err(|e| anyhow::anyhow!("node: {e}"))?;
    let counters = soap.counters();
    let breakers = routes.clone();
    let metrics = web::Data::new(pagopa_api::Metrics::with_sources(vec![
        Box::new(move |out: &mut String| counters.render(out)),
        Box::new(move |out: &mut String| render_breakers(&breakers, out)),
    ]));
    let proxies = web::Data::new(
        TrustedProxies::new(&settings.server.trusted_proxies)
            .map_err(|e| anyhow::anyhow!("server.trusted_proxies: {e}"))?,
    );
    if settings.outbox.enabled {
        outbox::warn_on_slow_gestionali(settings);
        outbox::spawn_worker(state.ports.clone(), &settings.outbox);
        outbox::spawn_pruner(state.ports.clone(), &settings.outbox);
    }
    if settings.expiry.enabled {
        spawn_expiry_job(state.ports.clone(), &settings.expiry);
    }
    let uploads = web::Data::new(import::spawn_worker(&state.ports, &settings.imports)?);
    let own_node_listener = settings.node.listen.clone();
    let api_soap = own_node_listener.is_none().then(|| soap.clone());
    let api = {
        let (state, keys, metrics, proxies, readiness, uploads, rec_tools) = (
            state.clone(),
            keys.clone(),
            metrics.clone(),
            proxies.clone(),
            readiness.clone(),
            uploads.clone(),
            rec_tools.clone(),
        );
        HttpServer::new(move || {
            let mut app = App::new()
                .app_data(state.clone())
                .app_data(keys.clone())
                .app_data(metrics.clone())
                .app_data(proxies.clone())
                .app_data(readiness.clone())
                .app_data(uploads.clone())
                .app_data(rec_tools.clone());
            if let Some(tokens) = &tokens {
                app = app.app_data(tokens.clone());
            }
            let soap = api_soap.clone();
            app.wrap(problem_details())
                .wrap(from_fn(request_id))
                .wrap(from_fn(proxy::client_address))
                .configure(move |cfg| {
                    if let Some(soap) = &soap {
                        soap.configure(cfg);
                    }
                })
                .configure(configure)
        })
        .workers(settings.server.workers)
        .shutdown_timeout(settings.server.shutdown_timeout_secs)
        .bind((settings.server.address.as_str(), settings.server.port))
        .with_context(|| format!("listening on {}:{}", settings.server.address, settings.server.port))?
    };
    let addresses = api.addrs();
    let mut servers = vec![api.run()];
    let node_addresses = match own_node_listener {
        None => addresses.clone(),
        Some(listen) => {
            let node = HttpServer::new(move || {
                App::new()
                    .app_data(metrics.clone())
                    .app_data(proxies.clone())
                    .wrap(from_fn(request_id))
                    .wrap(from_fn(proxy::client_address))
                    .configure(|cfg| soap.configure(cfg))
            })
            .workers(settings.server.workers)
            .shutdown_timeout(settings.server.shutdown_timeout_secs)
            .bind(listen.as_str())
            .with_context(|| format!("listening on {listen} (node.listen)"))?;
            let node_addresses = node.addrs();
            servers.push(node.run());
            node_addresses
        }
    };
    Ok(Running {
        servers,
        addresses,
        node_addresses,
        demo_key,
        demo_citizen_token,
    })
}

/// A fresh Ed25519 key pair for demo mode: the verifier, and a one-hour token for the demo
/// debtor signed as the Front-End would sign it.
fn demo_citizen() -> anyhow::Result<(pagopa_api::CitizenTokens, String)> {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use ed25519_dalek::Signer;

    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
    let public = URL_SAFE_NO_PAD.encode(signing.verifying_key().to_bytes());
    let verifier = pagopa_api::CitizenTokens::new(&public, None, None, 3600).map_err(|e| anyhow::anyhow!(e))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"EdDSA","typ":"JWT"}"#);
    let claims = serde_json::json!({ "sub": pagopa_domain::demo::DEBTOR, "iat": now, "exp": now + 3600 });
    let signed = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
    let token = format!(
        "{signed}.{}",
        URL_SAFE_NO_PAD.encode(signing.sign(signed.as_bytes()).to_bytes())
    );
    Ok((verifier, token))
}
