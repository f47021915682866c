//! A local stand-in for the service an outbound client calls, for the client's tests: an
//! actix-web server on a free loopback port that answers every request with one handler over
//! a shared state (what it saw, how it should answer). Behind the `stand-in` feature.
//!
//! ```
//! use actix_web::{HttpRequest, HttpResponse, web};
//! use pagopa_http_client::stand_in::StandIn;
//! use pagopa_http_client::{BaseUrl, Cleartext, HttpClient, Method, timeout_from_ms};
//! use std::sync::Mutex;
//!
//! async fn answer(request: HttpRequest, seen: web::Data<Mutex<Vec<String>>>) -> HttpResponse {
//!     seen.lock().unwrap().push(request.path().to_owned());
//!     HttpResponse::Ok().json(serde_json::json!({ "ok": true }))
//! }
//!
//! # #[actix_web::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let service = StandIn::start(Mutex::new(Vec::<String>::new()), answer)?;
//! let base = BaseUrl::parse(&service.url("/api/"), "example", Cleartext::Refuse)?;
//! let client = HttpClient::builder("example", timeout_from_ms(5_000).ok_or("timeout")?).build()?;
//! let answer: serde_json::Value = client.fetch_json(client.request(Method::GET, base.endpoint(["flows"]))).await?;
//! assert_eq!(answer["ok"], true);
//! assert_eq!(*service.state().lock().unwrap(), ["/api/flows"]);
//! service.stop().await;
//! # Ok(())
//! # }
//! ```

use std::net::SocketAddr;

use actix_web::dev::ServerHandle;
use actix_web::{App, FromRequest, Handler, HttpServer, Responder, web};

/// A running stand-in; [`StandIn::stop`] ends it (dropping it leaves it running until the
/// test's runtime ends).
pub struct StandIn<S: 'static> {
    addr: SocketAddr,
    state: web::Data<S>,
    handle: ServerHandle,
}

impl<S: Send + Sync + 'static> StandIn<S> {
    /// Starts a server with one worker on `127.0.0.1:0` that sends every request to `answer`,
    /// which can take `web::Data<S>` to reach `state`. Call it inside an actix runtime
    /// (`#[actix_web::test]`).
    ///
    /// # Errors
    ///
    /// When no loopback port can be bound.
    pub fn start<F, Args>(state: S, answer: F) -> std::io::Result<Self>
    where
        F: Handler<Args> + Clone + Send + 'static,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let state = web::Data::new(state);
        let data = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(answer.clone()))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .bind(("127.0.0.1", 0))?;
        let addr = server
            .addrs()
            .first()
            .copied()
            .ok_or_else(|| std::io::Error::other("the stand-in bound no address"))?;
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Ok(Self { addr, state, handle })
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://{addr}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The shared state.
    pub fn state(&self) -> &S {
        &self.state
    }

    /// Stops it.
    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

impl<S> std::fmt::Debug for StandIn<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StandIn")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}
