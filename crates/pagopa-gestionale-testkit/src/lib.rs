//! The kit for gestionale adapter authors: the contract suite every adapter of the domain's
//! [`Gestionale`](pagopa_domain::ports::Gestionale) port must pass, an in-memory gestionale
//! ([`MemoryGestionale`]) and, with the default `http` feature, a fake HTTP gestionale
//! ([`FakeHttpGestionale`]) that speaks the reference contract of `docs/gestionale-http.md` with
//! fault injection (slow, down, HTML, 500, wrong schema, duplicate handling).
//!
//! An adapter author writes a function that builds a [`Subject`]: their adapter, the
//! [`Backend`] it talks to (where the suite puts data and injects faults), and the time budget
//! the adapter promises; then one line generates every test:
//!
//! ```ignore
//! async fn subject() -> pagopa_gestionale_testkit::Subject {
//!     let fake = pagopa_gestionale_testkit::FakeHttpGestionale::start();
//!     let adapter = my_adapter::MyGestionale::new(fake.base_url());
//!     pagopa_gestionale_testkit::Subject::new(std::sync::Arc::new(adapter), fake.backend())
//! }
//! pagopa_gestionale_testkit::gestionale_contract!(subject);
//! ```
//!
//! The checks are plain async functions in [`contract`] too, for a harness of one's own.

#![warn(missing_docs)]

mod backend;
pub mod contract;
#[cfg(feature = "http")]
mod fake_http;
mod memory;

pub use backend::{Backend, Fault, Subject};
#[cfg(feature = "http")]
pub use fake_http::{Delivery, FakeHttpGestionale, FakeOptions, SeenRequest};
pub use memory::MemoryGestionale;
