//! The client against a local actix-web server (no internet): what it sends, what each kind of
//! answer becomes, the body cap while streaming (logs: `tests/logs.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse, web};
use pagopa_http_client::header::HeaderName;
use pagopa_http_client::stand_in::StandIn;
use pagopa_http_client::{BaseUrl, Cleartext, ErrorClass, HttpClient, HttpError, Method, NotJson, Secret};

const KEY: &str = "sup3r-s3cret-key";

/// The headers of one request the server saw.
#[derive(Clone, Debug, Default)]
struct Seen {
    request_id: Option<String>,
    key: Option<String>,
    user_agent: Option<String>,
    accept: Option<String>,
}

struct Server {
    stand_in: StandIn<Mutex<Vec<Seen>>>,
}

impl Server {
    async fn start() -> Self {
        Self {
            stand_in: StandIn::start(Mutex::new(Vec::new()), answer).unwrap(),
        }
    }

    fn base(&self) -> BaseUrl {
        BaseUrl::parse(&self.stand_in.url("/api/"), "test", Cleartext::Refuse).unwrap()
    }

    fn seen(&self) -> Vec<Seen> {
        self.stand_in.state().lock().unwrap().clone()
    }

    async fn stop(self) {
        self.stand_in.stop().await;
    }
}

/// Answers by the last path segment.
async fn answer(request: HttpRequest, seen: web::Data<Mutex<Vec<Seen>>>) -> HttpResponse {
    let header = |name: &str| request.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    seen.lock().unwrap().push(Seen {
        request_id: header("x-request-id"),
        key: header("ocp-apim-subscription-key"),
        user_agent: header("user-agent"),
        accept: header("accept"),
    });
    let json = |status: u16, body: &'static str| {
        HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
            .content_type("application/json")
            .body(body)
    };
    match request.path().rsplit('/').next().unwrap_or_default() {
        "page" => json(200, r#"{"items": [{"amount": 5}, {"amount": 7}]}"#),
        "wrong-schema" => json(200, r#"{"items": [{"amount": "5"}]}"#),
        "html" => HttpResponse::Ok()
            .content_type("text/html")
            .body("<html><body>Login</body></html>"),
        "moved" => HttpResponse::Found()
            .insert_header(("Location", "https://elsewhere.example/api/page"))
            .finish(),
        "missing" => json(
            404,
            r#"{"title": "Not Found", "detail": "no flow 2026-01-01BCITITMM-S123"}"#,
        ),
        "down" => HttpResponse::ServiceUnavailable().body("upstream\n  unavailable"),
        "slow" => {
            actix_web::rt::time::sleep(Duration::from_secs(3)).await;
            json(200, r#"{"items": []}"#)
        }
        "endless" => {
            // 64 MiB in 64 KiB chunks, produced only as fast as they are read.
            let chunk = web::Bytes::from(vec![b' '; 64 * 1024]);
            HttpResponse::Ok()
                .content_type("application/json")
                .body(Endless { chunk, left: 1024 })
        }
        _ => HttpResponse::NotFound().finish(),
    }
}

/// A body of `left` copies of `chunk`, each produced only when the client reads on.
struct Endless {
    chunk: web::Bytes,
    left: usize,
}

impl actix_web::body::MessageBody for Endless {
    type Error = std::io::Error;

    fn size(&self) -> actix_web::body::BodySize {
        actix_web::body::BodySize::Stream
    }

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<web::Bytes, Self::Error>>> {
        if self.left == 0 {
            return std::task::Poll::Ready(None);
        }
        self.left -= 1;
        std::task::Poll::Ready(Some(Ok(self.chunk.clone())))
    }
}

#[derive(Debug, serde::Deserialize, PartialEq)]
struct Page {
    items: Vec<Item>,
}

#[derive(Debug, serde::Deserialize, PartialEq)]
struct Item {
    amount: u32,
}

fn client(timeout_ms: u64) -> HttpClient {
    HttpClient::builder("test", Duration::from_millis(timeout_ms))
        .max_body_bytes(1024 * 1024)
        .user_agent("exchange-test/1")
        .build()
        .unwrap()
}

fn key_header() -> HeaderName {
    HeaderName::from_static("ocp-apim-subscription-key")
}

async fn fetch(server: &Server, client: &HttpClient, tail: &str) -> Result<Page, HttpError> {
    let key = Secret::from(KEY).header_value().unwrap();
    let request = client
        .request(Method::GET, server.base().endpoint([tail]))
        .secret_header(key_header(), &key);
    client.fetch_json(request).await
}

#[actix_web::test]
async fn a_page_is_fetched_with_a_request_id_and_the_key() {
    let server = Server::start().await;
    let client = client(5_000);

    let page = fetch(&server, &client, "page").await.unwrap();
    fetch(&server, &client, "page").await.unwrap();

    assert_eq!(page.items, vec![Item { amount: 5 }, Item { amount: 7 }]);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].key.as_deref(), Some(KEY));
    assert_eq!(seen[0].user_agent.as_deref(), Some("exchange-test/1"));
    assert_eq!(seen[0].accept.as_deref(), Some("application/json"));
    let ids: Vec<&str> = seen.iter().map(|s| s.request_id.as_deref().unwrap()).collect();
    assert_eq!(ids[0].len(), 36, "{ids:?}");
    assert_ne!(ids[0], ids[1]);
    server.stop().await;
}

#[actix_web::test]
async fn each_kind_of_answer_has_its_class() {
    let server = Server::start().await;
    let client = client(5_000);

    let error = fetch(&server, &client, "moved").await.unwrap_err();
    assert_eq!(error.class(), ErrorClass::Redirect);
    assert!(matches!(&error, HttpError::Redirect { status: 302, location: Some(l) } if l.contains("elsewhere")));
    assert_eq!(server.seen().len(), 1, "the redirect is not followed");

    match fetch(&server, &client, "missing").await.unwrap_err() {
        HttpError::Status { status, excerpt } => {
            assert_eq!((status, excerpt.as_str()), (404, "no flow 2026-01-01BCITITMM-S123"));
        }
        other => panic!("{other:?}"),
    }
    let down = fetch(&server, &client, "down").await.unwrap_err();
    assert_eq!(
        (down.class(), down.to_string().as_str()),
        (ErrorClass::ServerStatus, "HTTP 503: upstream unavailable")
    );
    assert!(down.is_transient());

    let html = fetch(&server, &client, "html").await.unwrap_err();
    assert!(
        matches!(
            html,
            HttpError::NotJson {
                found: NotJson::Html,
                ..
            }
        ),
        "{html:?}"
    );

    match fetch(&server, &client, "wrong-schema").await.unwrap_err() {
        HttpError::Decode { path, .. } => assert_eq!(path, "items[0].amount"),
        other => panic!("{other:?}"),
    }
    server.stop().await;
}

#[actix_web::test]
async fn the_cap_stops_an_endless_body_while_it_streams() {
    let server = Server::start().await;
    let client = client(5_000);

    let started = Instant::now();
    let error = fetch(&server, &client, "endless").await.unwrap_err();
    assert!(
        matches!(error, HttpError::TooLarge { max_bytes: 1_048_576 }),
        "{error:?}"
    );

    let answer = client
        .send(client.request(Method::GET, server.base().endpoint(["endless"])))
        .await
        .unwrap();
    let body = answer.read_up_to(100_000).await.unwrap();
    assert_eq!((body.bytes.len(), body.complete), (100_000, false));
    let answer = client
        .send(client.request(Method::GET, server.base().endpoint(["page"])))
        .await
        .unwrap();
    assert!(answer.read_up_to(100_000).await.unwrap().complete);
    // 64 MiB were never transferred.
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    server.stop().await;
}

#[actix_web::test]
async fn timeouts_and_connection_failures() {
    let server = Server::start().await;
    let started = Instant::now();
    let error = fetch(&server, &client(200), "slow").await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert!(matches!(error, HttpError::Timeout { timeout_ms: 200, .. }), "{error:?}");
    assert_eq!(server.seen().len(), 1, "no retry");
    server.stop().await;

    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = client(2_000);
    let url = BaseUrl::parse(
        &format!("http://{addr}/private/VRDGPP80A01B157X"),
        "t",
        Cleartext::Refuse,
    )
    .unwrap();
    let error = client
        .fetch_json::<Page>(client.request(Method::GET, url.endpoint([])))
        .await
        .unwrap_err();
    assert_eq!(error.class(), ErrorClass::Connect, "{error:?}");
    let text = format!("{error} {error:?} {}", pagopa_domain::cause_chain(&error));
    assert!(
        !text.contains("VRDGPP80A01B157X"),
        "the URL stays out of errors: {text}"
    );
}

#[actix_web::test]
async fn an_invalid_header_value_is_an_encode_error() {
    let client = client(2_000);
    let url = BaseUrl::parse("http://127.0.0.1:9", "t", Cleartext::Refuse).unwrap();
    let request = client
        .request(Method::POST, url.endpoint(["x"]))
        .header(HeaderName::from_static("idempotency-key"), "a\nb");
    let error = client.send(request).await.unwrap_err();
    assert_eq!(error.class(), ErrorClass::Encode);
    assert!(error.to_string().contains("idempotency-key"), "{error}");
}
