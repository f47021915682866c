//! The anomalies work list: synced per scope, resolved by hand.

use chrono::Duration;
use pagopa_domain::ports::*;
use pagopa_domain::*;

use crate::fixtures::*;
use crate::support::{TestDb, comune};

pub(crate) fn draft(code: AnomalyCode, key: &str) -> AnomalyDraft {
    AnomalyDraft {
        code,
        key: key.into(),
        day: day(25),
        psp: Some("ABI03069".parse().unwrap()),
        amount_cents: Some(100),
        links: AnomalyLinks {
            iuv: Some("IUV".into()),
            ..Default::default()
        },
        detail: "detail".into(),
    }
}

pub(crate) async fn anomalies_sync_and_resolve(db: &TestDb) {
    let s = &db.store;
    let scope = AnomalyScope::Flow {
        psp: "ABI03069".parse().unwrap(),
        flow_id: "F1".parse().unwrap(),
    };
    let (a, b, c) = (
        draft(AnomalyCode::LineWithoutReceipt, "a"),
        draft(AnomalyCode::AmountDiffers, "b"),
        draft(AnomalyCode::DuplicateLine, "c"),
    );
    let sync = s
        .sync_anomalies(&comune(), &scope, &[a.clone(), b.clone(), c.clone()], t0())
        .await
        .unwrap();
    assert_eq!(
        sync,
        AnomalySync {
            opened: 3,
            kept: 0,
            cleared: 0
        }
    );
    let all = s
        .anomalies(&AnomalyQuery {
            ente: Some(comune()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.items.len(), 3);
    let b_id = all.items.iter().find(|x| x.draft.key == "b").unwrap().id;
    let c_id = all.items.iter().find(|x| x.draft.key == "c").unwrap().id;
    let later = t0() + Duration::hours(1);
    let resolved = s
        .resolve_anomaly(&comune(), b_id, "op", "ok", later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resolved.status, AnomalyStatus::Resolved);
    assert_eq!(
        resolved.resolution,
        Some(Resolution {
            by: "op".into(),
            at: later,
            note: "ok".into()
        })
    );
    let audited = db
        .store
        .audit_trail("anomaly", &format!("{}/{b_id}", comune()))
        .await
        .unwrap();
    assert_eq!(audited.len(), 1);
    assert!(
        s.resolve_anomaly(&"99999999999".parse().unwrap(), b_id, "op", "x", later)
            .await
            .unwrap()
            .is_none()
    );
    assert!(s.anomaly(&comune(), 999_999).await.unwrap().is_none());

    // Again without c: a and b kept (b's resolution kept), c cleared.
    let sync = s
        .sync_anomalies(&comune(), &scope, &[a.clone(), b.clone()], later)
        .await
        .unwrap();
    assert_eq!(
        sync,
        AnomalySync {
            opened: 0,
            kept: 2,
            cleared: 1
        }
    );
    let b_now = s.anomaly(&comune(), b_id).await.unwrap().unwrap();
    assert_eq!(b_now.status, AnomalyStatus::Resolved);
    assert!(b_now.resolution.is_some());
    assert_eq!(b_now.last_seen, later);
    let c_now = s.anomaly(&comune(), c_id).await.unwrap().unwrap();
    assert_eq!((c_now.status, c_now.last_seen), (AnomalyStatus::Cleared, later));
    // c found again: open again, same id.
    let sync = s
        .sync_anomalies(&comune(), &scope, &[a.clone(), b.clone(), c.clone()], later)
        .await
        .unwrap();
    assert_eq!(
        sync,
        AnomalySync {
            opened: 1,
            kept: 2,
            cleared: 0
        }
    );
    assert_eq!(
        s.anomaly(&comune(), c_id).await.unwrap().unwrap().status,
        AnomalyStatus::Open
    );
    // Another scope finds a: it moves there.
    let sweep = AnomalyScope::ReceiptsWithoutFlow;
    let sync = s
        .sync_anomalies(&comune(), &sweep, std::slice::from_ref(&a), later)
        .await
        .unwrap();
    assert_eq!(
        sync,
        AnomalySync {
            opened: 0,
            kept: 1,
            cleared: 0
        }
    );
    let counts = s.anomaly_counts(&comune(), day(1), day(30)).await.unwrap();
    assert_eq!(
        counts,
        vec![
            (day(25), AnomalyCode::DuplicateLine, 1),
            (day(25), AnomalyCode::LineWithoutReceipt, 1)
        ],
        "open ones only, by day and code"
    );
    let open = AnomalyQuery {
        ente: Some(comune()),
        status: Some(AnomalyStatus::Open),
        limit: 1,
        ..Default::default()
    };
    let page = s.anomalies(&open).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert!(page.next.is_some());
}
