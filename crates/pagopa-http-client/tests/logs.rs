//! What the client logs, at every level, against a local one-shot server: the request id, the
//! status, never the secret. In a test binary of its own, as the log capture is per thread and
//! tracing caches each log site's interest across the threads of one process.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pagopa_http_client::header::HeaderName;
use pagopa_http_client::{BaseUrl, Cleartext, HttpClient, Method, REQUEST_ID_HEADER, Secret};

const KEY: &str = "sup3r-s3cret-key";

/// A log sink the test reads back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Serves one request with a 404 problem+json and hands back the request's text.
fn one_shot() -> (String, std::thread::JoinHandle<String>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/api", listener.local_addr().unwrap());
    let served = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = vec![0; 8192];
        let read = stream.read(&mut request).unwrap();
        let body = r#"{"title":"Not Found","detail":"no such flow"}"#;
        let answer = format!(
            "HTTP/1.1 404 Not Found\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(answer.as_bytes()).unwrap();
        String::from_utf8_lossy(&request[..read]).into_owned()
    });
    (base, served)
}

#[tokio::test]
async fn logs_and_debug_output_never_carry_the_secret() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (base, served) = one_shot();
    let base = BaseUrl::parse(&base, "test", Cleartext::Refuse).unwrap();
    let client = HttpClient::builder("test", Duration::from_secs(5)).build().unwrap();
    let key = Secret::from(KEY).header_value().unwrap();
    let request = client
        .request(Method::GET, base.endpoint(["flows"]))
        .secret_header(HeaderName::from_static("ocp-apim-subscription-key"), &key);
    let request_id = request.request_id().clone();
    let request_debug = format!("{request:?}");
    let error = client.fetch_json::<serde_json::Value>(request).await.unwrap_err();
    let received = served.join().unwrap();

    assert_eq!(error.to_string(), "HTTP 404: no such flow");
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains(request_id.as_str()), "the request id is logged: {logs}");
    assert!(
        logs.contains("status=404") && logs.contains("service=\"test\""),
        "{logs}"
    );
    let sent = format!("{}: {}", REQUEST_ID_HEADER.to_ascii_lowercase(), request_id);
    assert!(received.to_ascii_lowercase().contains(&sent), "{received}");
    assert!(received.contains(KEY), "the key is sent: {received}");
    let everything = format!("{logs} {request_debug} {client:?} {key:?} {error:?} {error}");
    assert!(!everything.contains(KEY), "{everything}");
}
