//! The receipts as reconciliation reads them, for matching and for the export.

use chrono::Duration;
use pagopa_domain::ports::*;
use pagopa_domain::*;

use crate::fixtures::*;
use crate::support::{TestDb, comune, n1, seeded};

pub(crate) async fn receipts_for_matching_and_export(db: &TestDb) {
    let f = seeded(db).await;
    let s = &db.store;
    let option = f
        .ports
        .positions
        .find_by_notice(&comune(), &n1())
        .await
        .unwrap()
        .unwrap()
        .options[0]
        .clone();
    let mut ids = Vec::new();
    for n in 1..=4u32 {
        let at = t0() + Duration::minutes(i64::from(n));
        let mut receipt = demo::receipt_for(&option, &rid(n), at);
        receipt.payment_date_time = Some(at);
        ids.push(receipt.receipt_id.clone());
        let stored = StoredReceipt {
            receipt,
            disposition: ReceiptDisposition::Settled,
        };
        f.ports
            .receipts
            .record(ReceiptWrite {
                receipt: stored,
                position: None,
                outbox: vec![],
            })
            .await
            .unwrap();
    }
    let found = s.receipts_by_ids(&comune(), &ids[..2]).await.unwrap();
    assert_eq!(found.len(), 2);
    let iuvs = vec![option.notice_number.iuv().as_str().to_owned()];
    assert_eq!(s.receipts_by_iuvs(&comune(), &iuvs).await.unwrap().len(), 4);

    // A flow matches receipts 1 and 2; a superseded revision matched 3 (it does not count).
    let k = key("2026-11-25ABI03069-0001");
    s.store_flow(&flow(k.flow_id.as_str(), 1, 3), FlowOrigin::Rest, &[], t0())
        .await
        .unwrap();
    let m = |n: u32| LineMatch::Matched {
        receipt_id: rid(n).parse().unwrap(),
    };
    s.save_flow_matching(&k, 1, &[m(1), m(2), m(3)], FlowStatus::Reconciled)
        .await
        .unwrap();
    s.store_flow(&flow(k.flow_id.as_str(), 2, 2), FlowOrigin::Rest, &[], t0())
        .await
        .unwrap();
    s.save_flow_matching(&k, 2, &[m(1), m(2)], FlowStatus::Reconciled)
        .await
        .unwrap();
    let end = t0() + Duration::hours(1);
    let unreported = s.unreported_receipts(&comune(), t0(), end).await.unwrap();
    let listed: Vec<_> = unreported.iter().map(|u| u.receipt_id.clone()).collect();
    assert_eq!(listed, vec![ids[2].clone(), ids[3].clone()]);
    assert_eq!(unreported[0].paid_at, t0() + Duration::minutes(3));
    let window = s
        .unreported_receipts(&comune(), t0() + Duration::minutes(3), t0() + Duration::minutes(4))
        .await
        .unwrap();
    assert_eq!(window.len(), 1, "paid at the window's end: excluded");
    assert_eq!(window[0].receipt_id, ids[2]);
    assert_eq!(window[0].psp, option_psp(&found[0]));

    let StatementStored::New { credits, .. } = s
        .store_statement(&statement("d1", k.flow_id.as_str()), "op", t0())
        .await
        .unwrap()
    else {
        panic!("new")
    };
    s.save_credit_matches(
        &comune(),
        &[(credits[0].id, CreditMatch::Flow { key: k.clone() })],
        t0(),
    )
    .await
    .unwrap();
    let first = s.receipts_with_links(&comune(), t0(), end, None, 3).await.unwrap();
    assert_eq!(first.items.len(), 3);
    assert_eq!(first.items[0].lines.len(), 1);
    let link = &first.items[0].lines[0];
    assert_eq!((link.revision, link.amount_cents, link.transfer_id), (2, 1000, Some(1)));
    assert_eq!(link.credit, Some((credits[0].id, day(26))));
    assert_eq!(link.regulation_date, day(25));
    assert!(first.items[2].lines.is_empty());
    let next = first.next.clone().unwrap();
    assert_eq!(next.1, ids[2]);
    let second = s
        .receipts_with_links(&comune(), t0(), end, Some(&next), 3)
        .await
        .unwrap();
    assert_eq!(second.items.len(), 1);
    assert_eq!(second.items[0].receipt.receipt.receipt_id, ids[3]);
    assert!(second.next.is_none());
}

pub(crate) fn option_psp(receipt: &StoredReceipt) -> PartyId {
    receipt.receipt.psp.id.clone()
}
