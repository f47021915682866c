//! Each Ente's scheduled fetch and its lease.

use chrono::Duration;
use pagopa_domain::ports::*;

use crate::fixtures::*;
use crate::support::{TestDb, comune};

pub(crate) async fn fetch_lease(db: &TestDb) {
    let s = &db.store;
    let ente = comune();
    assert!(s.fetch_state(&ente).await.unwrap().is_none());
    let until = t0() + Duration::minutes(5);
    let mut state = s.claim_fetch(&ente, "w1", t0(), until, false).await.unwrap().unwrap();
    assert_eq!((state.next_at, state.failures), (t0(), 0));
    assert!(
        s.claim_fetch(&ente, "w2", t0(), until, true).await.unwrap().is_none(),
        "held by w1"
    );
    state.cursor = Some(t0());
    state.next_at = t0() + Duration::hours(1);
    state.last_success = Some(t0());
    assert!(!s.finish_fetch(&state, "w2").await.unwrap(), "w2 holds no lease");
    assert!(s.finish_fetch(&state, "w1").await.unwrap());
    assert_eq!(s.fetch_state(&ente).await.unwrap().unwrap(), state);
    let soon = t0() + Duration::minutes(10);
    assert!(
        s.claim_fetch(&ente, "w2", soon, soon + Duration::minutes(5), false)
            .await
            .unwrap()
            .is_none(),
        "not due"
    );
    let forced = s
        .claim_fetch(&ente, "w2", soon, soon + Duration::minutes(5), true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(forced, state);
    // w2's lease expires: w3 takes it when due.
    let late = t0() + Duration::hours(2);
    assert!(
        s.claim_fetch(&ente, "w3", late, late + Duration::minutes(5), false)
            .await
            .unwrap()
            .is_some()
    );
    assert!(!s.finish_fetch(&state, "w2").await.unwrap(), "w2 lost its lease");
}
