//! The one base of the outbound HTTP clients (pagoPA Checkout, the gestionali, the FdR REST
//! API): an adapter builds its requests and reads the meaning of the answers; this crate does
//! the rest the same way for all of them.
//!
//! - Settings pieces, checked once at start: [`BaseUrl`] (absolute `http(s)`, no query or
//!   fragment; `http` outside the local machine refused or warned about, as the adapter says
//!   with [`Cleartext`]), [`timeout_from_ms`], and [`Secret`] for credentials, whose `Debug`
//!   and `Display` never show the value (inline, or [`Secret::from_file`] for `…_file` keys).
//! - [`HttpClient`]: reqwest on rustls with *ring*, redirects never followed (credentials must
//!   not reach another host), a timeout on the whole call, a user agent, a cap on the bodies
//!   read ([`HttpClientBuilder::max_body_bytes`]).
//! - Each call has its [`RequestId`], sent as [`REQUEST_ID_HEADER`] and logged (at debug level,
//!   with service, method, status and time; never the URL, which may hold a fiscal code, nor a
//!   header value). Credentials go through [`OutboundRequest::secret_header`], marked sensitive;
//!   pagoPA's API Management key is a [`SubscriptionKey`], sent by
//!   [`OutboundRequest::subscription_key`].
//! - [`Answer::read`] stops at the cap while the body streams in; [`HttpClient::fetch_json`]
//!   checks status, content type and cap and decodes against the schema, naming the member
//!   that does not fit.
//! - [`HttpError`]: one error, in classes ([`ErrorClass`]: timeout, connect, redirect, 4xx,
//!   5xx with a short excerpt of the body, too large, not JSON or an HTML page, wrong schema)
//!   that each adapter maps onto its port's error contract. It never holds the URL or a header.
//! - [`body`]: the pure readings ([`decode_json`], [`explanation`]) for adapters
//!   whose exchange is a pure function of status and body, tested without a network.
//!
//! ```
//! use std::io::{Read, Write};
//!
//! use pagopa_http_client::header::HeaderName;
//! use pagopa_http_client::{BaseUrl, Cleartext, HttpClient, HttpError, Method, Secret, timeout_from_ms};
//!
//! #[derive(serde::Deserialize)]
//! struct Flows {
//!     count: u32,
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A stand-in for the remote service: one canned answer.
//! let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
//! let configured = format!("http://{}/fdr/api/v1/", listener.local_addr()?);
//! std::thread::spawn(move || {
//!     let (mut stream, _) = listener.accept()?;
//!     stream.read(&mut [0; 4096])?;
//!     stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{\"count\":3}")
//! });
//!
//! // At start: the settings, checked (an error names what is wrong).
//! let base_url = BaseUrl::parse(&configured, "fdr", Cleartext::Refuse)?;
//! let key = Secret::from("s3cr3t").header_value()?;
//! let timeout = timeout_from_ms(5_000).ok_or("timeout_ms must be at least 1")?;
//! let client = HttpClient::builder("fdr", timeout).user_agent("my-adapter/1.0").build()?;
//! assert!(!format!("{client:?} {key:?}").contains("s3cr3t"));
//!
//! // Per call: a request (with its own X-Request-Id), sent once, its answer decoded.
//! let request = client
//!     .request(Method::GET, base_url.endpoint(["organizations", "77777777777", "fdrs"]))
//!     .secret_header(HeaderName::from_static("ocp-apim-subscription-key"), &key);
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! let flows: Result<Flows, HttpError> = runtime.block_on(client.fetch_json(request));
//! assert_eq!(flows?.count, 3);
//! # Ok(())
//! # }
//! ```
//!
//! `docs/adapters.md` ("Outbound HTTP") says how an adapter is built on it and
//! `docs/adr/0008-outbound-http-base.md` why.

#![warn(missing_docs)]

mod answer;
mod apim;
mod base_url;
pub mod body;
mod client;
mod error;
mod secret;
#[cfg(feature = "stand-in")]
pub mod stand_in;

pub use answer::{Answer, Body, PROBLEM_KEYS};
pub use apim::{SUBSCRIPTION_KEY_HEADER, SubscriptionKey};
pub use base_url::{BaseUrl, BaseUrlError, Cleartext};
pub use body::{decode_json, explanation, is_json_content_type};
pub use client::{
    DEFAULT_MAX_BODY_BYTES, HttpClient, HttpClientBuilder, OutboundRequest, REQUEST_ID_HEADER, RequestId,
    timeout_from_ms,
};
pub use error::{BuildError, ErrorClass, HttpError, NotJson};
pub use reqwest::{Method, StatusCode, Url, header};
pub use secret::{REDACTED, Secret, SecretError, SecretFileError, header_value};
