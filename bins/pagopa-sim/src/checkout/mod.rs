//! The simulated pagoPA Checkout (modello 1) and the simulator's own HTTP API.
//!
//! Checkout, as the Back-End Pagamenti sees it:
//! - `POST /checkout/ec/v1/carts`, `POST /checkout/ec/v2/carts`: the carts API
//!   (`Ocp-Apim-Subscription-Key` header or `subscription-key` query); `302` to
//!   `/checkout/pay/{id}`, `400`/`422` ProblemJson otherwise.
//! - `GET /checkout/pay/{id}`: the page with the notices, **Paga** and **Annulla**.
//! - `POST /checkout/pay/{id}` (`?late_ms=`): per notice `paVerifyPaymentNotice` and
//!   `paGetPaymentV2` (`paymentNote` = `idCart`), then a `paSendRTV2` each; `303` to
//!   `returnOkUrl`, or `returnErrorUrl` if any step failed.
//! - `POST /checkout/pay/{id}/cancel`: activations only, `303` to `returnCancelUrl`.
//!
//! The simulator's API, for tests and scripts (JSON):
//! - `POST /sim/carts/{id}/pay` (`{"late_ms": 500}` or `?late_ms=`), `POST /sim/carts/{id}/abandon`:
//!   as the page's buttons, answering the cart with its per-notice reports;
//! - `GET /sim/carts`, `GET /sim/carts/{id}`: carts, their state and reports;
//! - `POST /sim/pay`: a modello-3 payment with fault injection (see [`PayRequest`]);
//! - `POST /sim/demand`: `paDemandPaymentNotice`, optionally paid (see [`DemandApiRequest`]);
//! - `GET /sim/receipts`, `GET /sim/receipts/{id}`, `POST /sim/receipts/{id}/resend`;
//! - `GET /health`.

pub mod cart;
pub mod page;
mod routes;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use actix_web::web;
use pagopa_domain::services::TransferType;
use pagopa_domain::value::{EnteId, NoticeNumber};

use crate::psp::{Activation, PayOptions, Simulator};
use crate::receipt::now;
use crate::report::PaymentReport;
use cart::{ApiVersion, CartState, SimCart};

/// The header carrying the API Management subscription key.
pub const SUBSCRIPTION_KEY_HEADER: &str = "Ocp-Apim-Subscription-Key";

/// How the simulated Checkout behaves.
#[derive(Clone, Default)]
pub struct CheckoutSettings {
    /// The subscription key carts must carry; `None`: any non-empty key.
    pub subscription_key: Option<String>,
    /// The base of the URLs given in `Location` (e.g. `http://checkout.local:8090`); `None`: the
    /// request's scheme and `Host`.
    pub public_url: Option<String>,
}

impl std::fmt::Debug for CheckoutSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckoutSettings")
            .field("subscription_key", &self.subscription_key.as_ref().map(|_| "***"))
            .field("public_url", &self.public_url)
            .finish()
    }
}

/// Why a cart operation cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CartError {
    /// No such cart.
    #[error("no cart {0}")]
    NotFound(String),
    /// The cart was already paid or cancelled (or is being).
    #[error("the cart {id} is {state:?}, not pending")]
    NotPending {
        /// The cart.
        id: String,
        /// Its state.
        state: CartState,
    },
    /// The payment task failed (a bug of the simulator).
    #[error("the cart task failed: {0}")]
    Internal(String),
}

#[derive(Debug)]
struct Inner {
    sim: Simulator,
    settings: CheckoutSettings,
    carts: Mutex<BTreeMap<String, SimCart>>,
}

/// The simulated Checkout: carts in memory over a [`Simulator`]. Cheap to clone.
#[derive(Clone, Debug)]
pub struct CheckoutSim {
    inner: Arc<Inner>,
}

/// A fresh random id of 16 hex digits.
fn fresh_id() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        // Only uniqueness matters here: fall back to the clock.
        bytes = now().timestamp_nanos_opt().unwrap_or_default().to_be_bytes();
    }
    hex::encode(bytes)
}

impl CheckoutSim {
    /// A Checkout over `sim`.
    pub fn new(sim: Simulator, settings: CheckoutSettings) -> Self {
        Self {
            inner: Arc::new(Inner {
                sim,
                settings,
                carts: Mutex::new(BTreeMap::new()),
            }),
        }
    }

    /// The simulator it pays with.
    pub fn simulator(&self) -> &Simulator {
        &self.inner.sim
    }

    fn carts(&self) -> MutexGuard<'_, BTreeMap<String, SimCart>> {
        // Every update is a single insert or field assignment: a poisoned map is still whole.
        self.inner.carts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A cart by id.
    pub fn cart(&self, id: &str) -> Option<SimCart> {
        self.carts().get(id).cloned()
    }

    /// Every cart, oldest first.
    pub fn all_carts(&self) -> Vec<SimCart> {
        let mut carts: Vec<SimCart> = self.carts().values().cloned().collect();
        carts.sort_by(|a, b| a.created_at.cmp(&b.created_at));
        carts
    }

    /// Stores a valid carts request and returns the new cart.
    pub fn create_cart(&self, request: cart::CartRequest, version: ApiVersion) -> SimCart {
        let cart = SimCart {
            id: fresh_id(),
            version,
            request,
            state: CartState::Pending,
            created_at: now().to_rfc3339(),
            reports: Vec::new(),
            return_url: None,
        };
        self.carts().insert(cart.id.clone(), cart.clone());
        cart
    }

    fn start(&self, id: &str) -> Result<SimCart, CartError> {
        let mut carts = self.carts();
        let cart = carts.get_mut(id).ok_or_else(|| CartError::NotFound(id.to_owned()))?;
        if cart.state != CartState::Pending {
            return Err(CartError::NotPending {
                id: id.to_owned(),
                state: cart.state,
            });
        }
        cart.state = CartState::InProgress;
        Ok(cart.clone())
    }

    fn finish(&self, mut cart: SimCart, state: CartState, reports: Vec<PaymentReport>, return_url: String) -> SimCart {
        cart.state = state;
        cart.reports = reports;
        cart.return_url = Some(return_url);
        self.carts().insert(cart.id.clone(), cart.clone());
        cart
    }

    fn options(cart: &SimCart, late: Option<Duration>) -> PayOptions {
        PayOptions {
            late,
            payment_note: cart.request.id_cart.clone(),
            transfer_type: cart.request.all_ccp.then_some(TransferType::Postal),
            ..PayOptions::default()
        }
    }

    async fn activate_all(&self, cart: &SimCart, options: &PayOptions) -> Vec<Result<Activation, PaymentReport>> {
        let mut activations = Vec::with_capacity(cart.request.notices.len());
        for notice in &cart.request.notices {
            let parsed = (
                notice.fiscal_code.parse::<EnteId>(),
                notice.notice_number.parse::<NoticeNumber>(),
            );
            activations.push(match parsed {
                (Ok(ente), Ok(number)) => Ok(self.inner.sim.activate(&ente, &number, options).await),
                (ente, number) => {
                    let mut report = PaymentReport::new(options.scenario(), notice.fiscal_code.clone());
                    report.notice = Some(notice.notice_number.clone());
                    let problem = match (ente, number) {
                        (Err(e), _) => format!("fiscalCode: {e}"),
                        (_, Err(e)) => format!("noticeNumber: {e}"),
                        _ => String::new(),
                    };
                    report.fail(problem);
                    report.conclude(Duration::ZERO);
                    Err(report)
                }
            });
        }
        activations
    }

    /// Pays cart `id` as the **Paga** button does: verify and activate every notice, then, if
    /// all were activated, a receipt for each (delayed by `late`).
    pub async fn pay_cart(&self, id: &str, late: Option<Duration>) -> Result<SimCart, CartError> {
        let cart = self.start(id)?;
        let options = Self::options(&cart, late);
        let activations = self.activate_all(&cart, &options).await;
        let all_activated = activations
            .iter()
            .all(|a| a.as_ref().is_ok_and(|a| a.receipt.is_some()));
        let mut reports = Vec::with_capacity(activations.len());
        for activation in activations {
            reports.push(match activation {
                Ok(activation) if all_activated => self.inner.sim.complete(activation, &options).await,
                Ok(mut activation) => {
                    if activation.receipt.is_some() {
                        activation
                            .report
                            .notes
                            .push("not paid: another notice of the cart could not be activated".into());
                    }
                    activation.finish()
                }
                Err(report) => report,
            });
        }
        let paid = all_activated && reports.iter().all(|r| r.success);
        let urls = &cart.request.return_urls;
        let (state, url) = if paid {
            (CartState::Paid, urls.ok.clone())
        } else {
            (CartState::Failed, urls.error.clone())
        };
        Ok(self.finish(cart, state, reports, url))
    }

    /// Cancels cart `id` as the **Annulla** button does after the activations: no receipts.
    pub async fn abandon_cart(&self, id: &str) -> Result<SimCart, CartError> {
        let cart = self.start(id)?;
        let options = PayOptions {
            abandon: true,
            ..Self::options(&cart, None)
        };
        let mut reports = Vec::new();
        for activation in self.activate_all(&cart, &options).await {
            reports.push(match activation {
                Ok(mut activation) => {
                    activation
                        .report
                        .notes
                        .push("cancelled on the Checkout page: no receipt".into());
                    activation.finish()
                }
                Err(report) => report,
            });
        }
        let url = cart.request.return_urls.cancel.clone();
        Ok(self.finish(cart, CartState::Cancelled, reports, url))
    }

    /// Mounts every route on an actix-web app.
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(web::Data::new(self.clone()))
            .route("/checkout/ec/v1/carts", web::post().to(routes::post_cart_v1))
            .route("/checkout/ec/v2/carts", web::post().to(routes::post_cart_v2))
            .route("/checkout/pay/{id}", web::get().to(routes::cart_page))
            .route("/checkout/pay/{id}", web::post().to(routes::pay_page))
            .route("/checkout/pay/{id}/cancel", web::post().to(routes::cancel_page))
            .route("/sim/carts", web::get().to(routes::list_carts))
            .route("/sim/carts/{id}", web::get().to(routes::get_cart))
            .route("/sim/carts/{id}/pay", web::post().to(routes::pay_api))
            .route("/sim/carts/{id}/abandon", web::post().to(routes::abandon_api))
            .route("/sim/pay", web::post().to(routes::pay_notice_api))
            .route("/sim/demand", web::post().to(routes::demand_api))
            .route("/sim/receipts", web::get().to(routes::list_receipts))
            .route("/sim/receipts/{id}", web::get().to(routes::get_receipt))
            .route("/sim/receipts/{id}/resend", web::post().to(routes::resend_api))
            .route("/health", web::get().to(routes::health));
        crate::flows::http::configure(cfg, Arc::clone(self.inner.sim.flows()));
    }
}

/// A running simulator server.
pub struct RunningServer {
    /// The bound addresses (useful with port 0).
    pub addresses: Vec<SocketAddr>,
    /// The server: await it, or stop it through its handle.
    pub server: actix_web::dev::Server,
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("addresses", &self.addresses)
            .finish_non_exhaustive()
    }
}

/// Binds the simulator's HTTP server on `listen` (e.g. `127.0.0.1:8090`, or `127.0.0.1:0`).
/// Must run inside an actix (or tokio) runtime; the caller awaits or spawns `server`.
pub fn start(listen: &str, checkout: CheckoutSim, workers: usize) -> std::io::Result<RunningServer> {
    let server = actix_web::HttpServer::new(move || {
        let checkout = checkout.clone();
        actix_web::App::new().configure(move |cfg| checkout.configure(cfg))
    })
    .workers(workers.max(1))
    .shutdown_timeout(1)
    .bind(listen)?;
    let addresses = server.addrs();
    Ok(RunningServer {
        addresses,
        server: server.run(),
    })
}

pub use routes::{DemandApiRequest, PayQuery, PayRequest};
