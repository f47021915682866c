//! The storage contract for Enti's settings and logos on SQLite and PostgreSQL: saves tell
//! what they did, are audited with who and before/after only when something changed, and
//! concurrent saves of the same settings (instances starting together) all succeed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use pagopa_domain::ports::*;
use pagopa_domain::*;
use support::{TestDb, comune};

contract!(
    saves_say_what_they_did_and_are_audited_with_their_actor,
    logos_are_kept_beside_the_settings,
    concurrent_saves_of_one_ente_all_succeed,
    the_named_gestionale_of_an_ente_is_stored,
);

async fn the_named_gestionale_of_an_ente_is_stored(db: &TestDb) {
    let store = &db.store;
    let mut ente = demo::comune();
    ente.gestionale = Some("tributi-valdesempio".parse().unwrap());
    assert_eq!(store.save(&ente, "op").await.unwrap(), EnteSaved::Created);
    assert_eq!(EnteRepository::get(store, &comune()).await.unwrap(), Some(ente.clone()));
    let mut without = ente.clone();
    without.gestionale = None;
    assert_eq!(store.save(&without, "op").await.unwrap(), EnteSaved::Updated);
    assert_eq!(EnteRepository::list(store).await.unwrap(), vec![without]);
}

async fn saves_say_what_they_did_and_are_audited_with_their_actor(db: &TestDb) {
    let store = &db.store;
    let ente = demo::comune();
    assert_eq!(store.save(&ente, "configuration").await.unwrap(), EnteSaved::Created);
    assert_eq!(store.save(&ente, "configuration").await.unwrap(), EnteSaved::Unchanged);
    let mut disabled = ente.clone();
    disabled.enabled = false;
    assert_eq!(
        store.save(&disabled, "operator-anna").await.unwrap(),
        EnteSaved::Updated
    );
    assert_eq!(
        EnteRepository::get(store, &comune()).await.unwrap(),
        Some(disabled),
        "stored, disabled Enti included"
    );

    let trail = store.audit_trail("ente", comune().as_str()).await.unwrap();
    assert_eq!(trail.len(), 2, "the unchanged save is not audited: {trail:?}");
    assert_eq!(trail[0].action, "created");
    assert_eq!(trail[0].actor.as_deref(), Some("configuration"));
    assert_eq!(trail[0].before_doc, None);
    assert_eq!(trail[1].action, "updated");
    assert_eq!(trail[1].actor.as_deref(), Some("operator-anna"));
    let before: Ente = serde_json::from_str(trail[1].before_doc.as_deref().unwrap()).unwrap();
    let after: Ente = serde_json::from_str(trail[1].after_doc.as_deref().unwrap()).unwrap();
    assert!(before.enabled && !after.enabled);
}

async fn logos_are_kept_beside_the_settings(db: &TestDb) {
    let store = &db.store;
    let logo = EnteLogo::from_bytes(b"\x89PNG\r\n\x1a\n-not-really-a-picture".to_vec()).unwrap();
    assert!(matches!(
        store.set_logo(&comune(), Some(&logo), "op").await,
        Err(StorageError::NotFound(_))
    ));
    store.save(&demo::comune(), "op").await.unwrap();
    assert_eq!(store.logo(&comune()).await.unwrap(), None);
    assert!(store.set_logo(&comune(), Some(&logo), "op").await.unwrap());
    assert!(
        !store.set_logo(&comune(), Some(&logo), "op").await.unwrap(),
        "the same logo changes nothing"
    );
    assert_eq!(store.logo(&comune()).await.unwrap(), Some(logo));
    assert_eq!(
        EnteRepository::get(store, &comune()).await.unwrap(),
        Some(demo::comune()),
        "settings untouched"
    );
    assert!(store.set_logo(&comune(), None, "op").await.unwrap());
    assert_eq!(store.logo(&comune()).await.unwrap(), None);
    let trail = store.audit_trail("ente", comune().as_str()).await.unwrap();
    assert_eq!(trail.iter().filter(|e| e.action == "logo").count(), 2, "{trail:?}");
}

async fn concurrent_saves_of_one_ente_all_succeed(db: &TestDb) {
    let ente = demo::comune();
    let saves: Vec<_> = (0..8)
        .map(|_| {
            let (store, ente) = (db.store.clone(), ente.clone());
            tokio::spawn(async move { store.save(&ente, "configuration").await })
        })
        .collect();
    let mut created = 0;
    for save in saves {
        if save.await.unwrap().unwrap() == EnteSaved::Created {
            created += 1;
        }
    }
    assert_eq!(created, 1);
    assert_eq!(EnteRepository::get(&db.store, &comune()).await.unwrap(), Some(ente));
}
