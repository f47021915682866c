//! The reference gestionale adapter: the domain's [`Gestionale`](pagopa_domain::ports::Gestionale)
//! port over a small REST/JSON contract an Ente's back office implements (`docs/gestionale-http.md`
//! in the workspace), and the template for other gestionale adapters.
//!
//! | call | endpoint |
//! |---|---|
//! | `debtor_positions` | `GET {base_url}/entes/{ente}/debtors/{fiscalCode}/positions` |
//! | `price` | `POST {base_url}/entes/{ente}/pricing` |
//! | `notify_payment` | `POST {base_url}/entes/{ente}/payments` |
//! | `notify_expiry` | `POST {base_url}/entes/{ente}/expirations` |
//! | `notify_cancellation` | `POST {base_url}/entes/{ente}/cancellations` |
//! | `notice` | `GET {base_url}/entes/{ente}/notices/{notice}` |
//!
//! - [`GestionaleHttpSettings`]: what the configuration file holds; [`GestionaleHttp::new`] checks
//!   it ([`ConfigError`]).
//! - [`GestionaleHttp`]: the adapter, on the shared outbound base ([`pagopa_http_client`]).
//! - [`dto`]: the JSON bodies and their mapping onto the domain, both ways, so that the gestionale
//!   side (a simulator, a test double) can use them too.
//! - [`exchange`]: what each answer means, as pure functions of status and body.
//!
//! ```
//! use pagopa_gestionale_http::{GestionaleHttp, GestionaleHttpSettings};
//!
//! let settings: GestionaleHttpSettings = serde_json::from_str(
//!     r#"{"base_url": "https://gestionale.comune.example.it/pagopa/v1", "token": "s3cr3t"}"#,
//! )
//! .unwrap();
//! let gestionale = GestionaleHttp::new(settings).unwrap();
//! assert!(!format!("{gestionale:?}").contains("s3cr3t"));
//! ```

#![warn(missing_docs)]

mod client;
pub mod dto;
pub mod exchange;
mod settings;
pub mod signature;

pub use client::{GestionaleHttp, IDEMPOTENCY_KEY_HEADER, MAX_ANSWER_BYTES};
pub use exchange::GestionaleFailure;
pub use settings::{ConfigError, DEFAULT_AUTH_HEADER, DEFAULT_TIMEOUT_MS, GestionaleHttpSettings};
pub use signature::{WEBHOOK_ID_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER, WebhookSigner};
