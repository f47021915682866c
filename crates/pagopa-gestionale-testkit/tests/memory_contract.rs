//! The in-memory gestionale passes the contract suite.

use std::sync::Arc;

use pagopa_gestionale_testkit::{MemoryGestionale, Subject};

async fn subject() -> Subject {
    let gestionale = Arc::new(MemoryGestionale::default());
    Subject::new(gestionale.clone(), gestionale)
}

pagopa_gestionale_testkit::gestionale_contract!(subject);
