//! The quarantine on SQLite and PostgreSQL: raw envelopes kept as received, listed newest
//! first, by Ente, a page at a time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{Duration, TimeZone, Utc};
use pagopa_domain::ports::*;
use pagopa_domain::*;
use support::{TestDb, comune};

contract!(quarantined_messages_are_kept_whole_and_listed_by_ente,);

async fn quarantined_messages_are_kept_whole_and_listed_by_ente(db: &TestDb) {
    let store: &dyn Quarantine = &db.store;
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
    let raw = "<soapenv:Envelope><paSendRTV2Request>\u{e8}broken".to_owned();
    let mut ids = Vec::new();
    for (i, ente) in [Some(comune()), None, Some(comune())].into_iter().enumerate() {
        let entry = QuarantineEntry::capture(
            at + Duration::seconds(i as i64),
            Some("10.1.2.3:4567".into()),
            Some("paSendRTV2".into()),
            ente,
            format!("reason {i}"),
            Some(raw.as_bytes()),
        );
        ids.push(store.keep(&entry).await.unwrap());
    }
    assert!(ids[0] < ids[1] && ids[1] < ids[2]);

    let all = store
        .list(&QuarantineQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let reasons: Vec<&str> = all.items.iter().map(|m| m.entry.reason.as_str()).collect();
    assert_eq!(reasons, ["reason 2", "reason 1", "reason 0"], "newest first");
    let first = &all.items[2];
    assert_eq!(first.entry.raw, raw, "kept as received");
    assert_eq!(first.entry.received_at, at);
    assert_eq!(first.entry.peer.as_deref(), Some("10.1.2.3:4567"));
    assert_eq!(first.entry.size, Some(raw.len() as u64));

    let comune_only = store
        .list(&QuarantineQuery {
            ente: Some(comune()),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(comune_only.items.len(), 1);
    assert_eq!(comune_only.items[0].id, ids[2]);
    let next = store
        .list(&QuarantineQuery {
            ente: Some(comune()),
            before: comune_only.next,
            limit: 1,
        })
        .await
        .unwrap();
    assert_eq!(next.items.iter().map(|m| m.id).collect::<Vec<_>>(), [ids[0]]);
    assert_eq!(next.next, None);
}
