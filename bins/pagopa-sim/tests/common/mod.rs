//! A fake Ente endpoint on 127.0.0.1:0 that answers with the canned sample responses of
//! `pagopa-nodo` and records every call.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use pagopa_nodo::soap::{NodeRequest, decode_request};
use pagopa_sim::{MemoryReceipts, NodeClient, NodeClientSettings, PspProfile, Simulator};

pub(crate) const SAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../crates/pagopa-nodo/tests/fixtures/samples/"
);

/// The TARI notice of the samples.
pub(crate) const TARI_NOTICE: &str = "305260100000471130";
/// The CDU notice with a stamp.
pub(crate) const CDU_NOTICE: &str = "305260700000031811";
/// The Comune.
pub(crate) const COMUNE: &str = "80012345676";
/// The secret the fake expects when configured.
pub(crate) const SECRET: &str = "node-secret";

pub(crate) fn sample(name: &str) -> String {
    std::fs::read_to_string(format!("{SAMPLES}{name}")).unwrap()
}

/// A call the fake received.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub(crate) action: String,
    pub(crate) content_type: String,
    pub(crate) secret: Option<String>,
    pub(crate) body: String,
}

/// Which samples the fake answers with.
#[derive(Clone, Debug)]
pub(crate) struct Script {
    pub(crate) verify: &'static str,
    pub(crate) activate: &'static str,
    /// A pause before answering a receipt.
    pub(crate) receipt_delay: Duration,
}

impl Default for Script {
    fn default() -> Self {
        Self {
            verify: "paVerifyPaymentNoticeRes-ok.xml",
            activate: "paGetPaymentV2Response-ok.xml",
            receipt_delay: Duration::ZERO,
        }
    }
}

pub(crate) struct State {
    script: Script,
    pub(crate) seen: Mutex<Vec<Seen>>,
    /// notice → the receiptId that paid it.
    paid: Mutex<HashMap<String, String>>,
}

pub(crate) struct FakeEc {
    pub(crate) addr: SocketAddr,
    pub(crate) state: web::Data<State>,
    handle: ServerHandle,
}

impl FakeEc {
    pub(crate) async fn start(script: Script) -> Self {
        let state = web::Data::new(State {
            script,
            seen: Mutex::new(Vec::new()),
            paid: Mutex::new(HashMap::new()),
        });
        let data = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/pagopa/paForNode", web::post().to(answer))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .bind(("127.0.0.1", 0))
        .unwrap();
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Self { addr, state, handle }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}/pagopa/paForNode", self.addr)
    }

    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    pub(crate) fn actions(&self) -> Vec<String> {
        self.seen().into_iter().map(|s| s.action).collect()
    }

    pub(crate) fn simulator(&self, secret: Option<&str>) -> Simulator {
        let mut settings = NodeClientSettings::new(self.url());
        settings.secret = secret.map(str::to_owned);
        settings.timeout = Some(Duration::from_secs(5));
        Simulator::new(
            NodeClient::new(settings).unwrap(),
            PspProfile::banca_esempio().unwrap(),
            Arc::new(MemoryReceipts::new()),
        )
    }

    pub(crate) async fn stop(self) {
        self.handle.stop(false).await;
    }
}

fn xml(body: String) -> HttpResponse {
    HttpResponse::Ok().content_type("text/xml; charset=utf-8").body(body)
}

async fn answer(request: HttpRequest, body: String, state: web::Data<State>) -> HttpResponse {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let action = header("SOAPAction").unwrap_or_default().trim_matches('"').to_owned();
    state.seen.lock().unwrap().push(Seen {
        action: action.clone(),
        content_type: header("Content-Type").unwrap_or_default(),
        secret: header("X-Node-Secret"),
        body: body.clone(),
    });
    let script = &state.script;
    match action.as_str() {
        "paVerifyPaymentNotice" => xml(sample(script.verify)),
        "paGetPaymentV2" => xml(sample(script.activate)),
        "paDemandPaymentNotice" => xml(sample("paDemandPaymentNoticeResponse-ok.xml")),
        "paSendRTV2" => {
            if !script.receipt_delay.is_zero() {
                actix_web::rt::time::sleep(script.receipt_delay).await;
            }
            let Ok(NodeRequest::Receipt { receipt, .. }) =
                decode_request(&body, Some(&action), pagopa_sim::receipt::now())
            else {
                return HttpResponse::BadRequest().body("not a receipt");
            };
            let mut paid = state.paid.lock().unwrap();
            let first = paid
                .entry(receipt.notice_number.to_string())
                .or_insert_with(|| receipt.receipt_id.to_string());
            if *first == receipt.receipt_id.as_str() {
                xml(sample("paSendRTV2Response-ok.xml"))
            } else {
                xml(sample("paSendRTV2Response-ko-duplicata.xml"))
            }
        }
        _ => HttpResponse::InternalServerError().body("unknown SOAPAction"),
    }
}
