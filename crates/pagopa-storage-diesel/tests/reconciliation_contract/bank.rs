//! Bank statements, their credits and the flows they cash.

use pagopa_domain::ports::*;
use pagopa_domain::*;

use crate::fixtures::*;
use crate::support::{TestDb, comune};

pub(crate) async fn statements_credits_and_cashing(db: &TestDb) {
    let s = &db.store;
    let k = key("2026-11-25ABI03069-0001");
    s.store_flow(&flow(k.flow_id.as_str(), 1, 3), FlowOrigin::Rest, &[], t0())
        .await
        .unwrap();
    let matches = vec![LineMatch::Missing; 3];
    s.save_flow_matching(&k, 1, &matches, FlowStatus::Reconciled)
        .await
        .unwrap();
    let StatementStored::New { summary, credits } = s
        .store_statement(&statement("d1", k.flow_id.as_str()), "op", t0())
        .await
        .unwrap()
    else {
        panic!("a new statement")
    };
    assert_eq!(summary.credits, 3);
    assert_eq!(summary.total_cents, 13005);
    assert_eq!(credits.len(), 3);
    assert_eq!(credits[0].reference, CreditReference::Flow(k.flow_id.clone()));
    assert_eq!(credits[1].reference, CreditReference::Iuv("RF18539007547034".into()));
    assert_eq!(credits[2].reference, CreditReference::None);
    assert!(credits.iter().all(|c| c.matched == CreditMatch::Unmatched));
    assert_eq!(
        s.store_statement(&statement("d1", k.flow_id.as_str()), "op", t0())
            .await
            .unwrap(),
        StatementStored::Duplicate(summary.clone())
    );
    assert_eq!(s.statements(&comune()).await.unwrap(), vec![summary.clone()]);
    let ids = [k.flow_id.clone()];
    assert_eq!(
        s.credits_for_flows(&comune(), &ids).await.unwrap(),
        vec![credits[0].clone()]
    );

    let credit = credits[0].id;
    s.save_credit_matches(&comune(), &[(credit, CreditMatch::Flow { key: k.clone() })], t0())
        .await
        .unwrap();
    let cashed = s.flow(&k, None).await.unwrap().unwrap().summary;
    assert_eq!((cashed.status, cashed.credit_id), (FlowStatus::Cashed, Some(credit)));
    assert!(s.flows_awaiting_credit(&comune(), day(26)).await.unwrap().is_empty());
    let unmatched = CreditQuery {
        ente: Some(comune()),
        unmatched_only: true,
        limit: 10,
        ..Default::default()
    };
    assert_eq!(s.credits(&unmatched).await.unwrap().items.len(), 2);
    let page = s
        .credits(&CreditQuery {
            ente: Some(comune()),
            limit: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items[0].matched, CreditMatch::Flow { key: k.clone() });
    assert_eq!(page.next, Some(credits[1].id));

    s.save_credit_matches(&comune(), &[(credit, CreditMatch::Unmatched)], t0())
        .await
        .unwrap();
    let back = s.flow(&k, None).await.unwrap().unwrap().summary;
    assert_eq!(
        (back.status, back.credit_id),
        (FlowStatus::Reconciled, None),
        "the mark is taken back"
    );
}
