//! Flow revisions (higher, same, lower) and their matching saved and read back.

use pagopa_domain::ports::*;
use pagopa_domain::*;

use crate::fixtures::*;
use crate::support::{TestDb, comune};

pub(crate) async fn revisions_higher_same_lower(db: &TestDb) {
    let s = &db.store;
    let k = key("2026-11-25ABI03069-0001");
    assert_eq!(
        s.store_flow(&flow(k.flow_id.as_str(), 2, 3), FlowOrigin::Rest, &raw(), t0())
            .await
            .unwrap(),
        FlowStored::New { superseded: None }
    );
    assert_eq!(
        s.store_flow(&flow(k.flow_id.as_str(), 2, 5), FlowOrigin::Rest, &[], t0())
            .await
            .unwrap(),
        FlowStored::AlreadyStored
    );
    assert_eq!(
        s.store_flow(&flow(k.flow_id.as_str(), 1, 1), FlowOrigin::Soap, &[], t0())
            .await
            .unwrap(),
        FlowStored::Older { current: 2 }
    );
    let current = s.flow(&k, None).await.unwrap().unwrap();
    assert_eq!(current.flow, flow(k.flow_id.as_str(), 2, 3), "lines read back in order");
    assert_eq!(current.summary.status, FlowStatus::Received);
    assert!(current.matches.is_empty());
    assert_eq!(s.flow_documents(&k, 2).await.unwrap(), raw());
    assert_eq!(
        s.store_flow(&flow(k.flow_id.as_str(), 3, 2), FlowOrigin::Rest, &[], t0())
            .await
            .unwrap(),
        FlowStored::New { superseded: Some(2) }
    );
    let revisions = s.flow_revisions(&k).await.unwrap();
    let listed: Vec<_> = revisions.iter().map(|r| (r.revision, r.current, r.status)).collect();
    assert_eq!(
        listed,
        vec![
            (3, true, FlowStatus::Received),
            (2, false, FlowStatus::Superseded),
            (1, false, FlowStatus::Received)
        ]
    );
    let old = s.flow(&k, Some(2)).await.unwrap().unwrap();
    assert_eq!(old.flow.lines.len(), 3, "the superseded revision is kept as it was");
    // Listing: newest settlement first, pages.
    s.store_flow(&flow("2026-11-25ABI03069-0002", 1, 1), FlowOrigin::Rest, &[], t0())
        .await
        .unwrap();
    let mut query = FlowQuery {
        ente: Some(comune()),
        current_only: true,
        limit: 1,
        ..Default::default()
    };
    let first = s.flows(&query).await.unwrap();
    assert_eq!(first.items.len(), 1);
    query.after = first.next.clone();
    let second = s.flows(&query).await.unwrap();
    assert_eq!(second.items.len(), 1);
    assert!(second.next.is_none());
    assert_ne!(first.items[0].key, second.items[0].key);
    let ids = [k.flow_id.clone()];
    assert_eq!(s.current_flows(&comune(), &ids).await.unwrap()[0].revision, 3);
}

pub(crate) async fn matching_is_saved_and_read_back(db: &TestDb) {
    let s = &db.store;
    let k = key("2026-11-25ABI03069-0001");
    s.store_flow(&flow(k.flow_id.as_str(), 1, 3), FlowOrigin::Rest, &[], t0())
        .await
        .unwrap();
    let receipt: ReceiptId = rid(1).parse().unwrap();
    let matches = vec![
        LineMatch::Matched {
            receipt_id: receipt.clone(),
        },
        LineMatch::Missing,
        LineMatch::AmountDiffers {
            receipt_id: rid(3).parse().unwrap(),
            receipt_cents: 900,
        },
    ];
    assert_eq!(
        s.flows_awaiting_receipt(&comune(), &rid(2).parse().unwrap())
            .await
            .unwrap(),
        vec![k.clone()]
    );
    s.save_flow_matching(&k, 1, &matches, FlowStatus::Anomalous)
        .await
        .unwrap();
    let stored = s.flow(&k, None).await.unwrap().unwrap();
    assert_eq!(stored.matches, matches);
    assert_eq!(stored.summary.status, FlowStatus::Anomalous);
    assert_eq!(stored.flow, flow(k.flow_id.as_str(), 1, 3));
    assert_eq!(
        s.flows_awaiting_receipt(&comune(), &rid(2).parse().unwrap())
            .await
            .unwrap(),
        vec![k.clone()]
    );
    assert!(s.flows_awaiting_receipt(&comune(), &receipt).await.unwrap().is_empty());
    assert!(
        s.flows_awaiting_receipt(&comune(), &rid(3).parse().unwrap())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.flows_awaiting_credit(&comune(), day(26)).await.unwrap().len(), 1);
    assert!(s.flows_awaiting_credit(&comune(), day(25)).await.unwrap().is_empty());
}
