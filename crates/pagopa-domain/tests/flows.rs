//! Front-End and operator flows: spontaneous requests, a debtor's positions, the public
//! notice view, and the position rules.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use chrono::Duration;
use common::*;
use pagopa_domain::ports::{GestionaleError, GestionaleQuote, PositionRepository};
use pagopa_domain::services::SpontaneousRequest;
use pagopa_domain::*;

fn request(service: &str, values: &[(&str, &str)]) -> SpontaneousRequest {
    SpontaneousRequest {
        ente: comune(),
        service: service.parse().unwrap(),
        debtor: SubjectId::FiscalCode(demo::DEBTOR.parse().unwrap()),
        debtor_verified: true,
        debtor_name: Some("Giuseppe Verdi".parse().unwrap()),
        values: values
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
    }
}

async fn field_errors(s: &Setup, service: &str, values: &[(&str, &str)]) -> Vec<(String, FieldProblem)> {
    match s.services.spontaneous.submit(request(service, values)).await {
        Err(DomainError::InvalidForm(errors)) => errors.into_iter().map(|e| (e.field, e.problem)).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

#[tokio::test]
async fn a_spontaneous_request_creates_a_fresh_payable_position() {
    let s = seeded().await;
    let values = [
        ("full_name", "Giuseppe Verdi"),
        ("fiscal_code", "vrdgpp80a01b157x"),
        ("year", "2027"),
    ];
    let first = s
        .services
        .spontaneous
        .submit(request("licenza-pesca", &values))
        .await
        .unwrap()
        .position;
    let second = s
        .services
        .spontaneous
        .submit(request("licenza-pesca", &values))
        .await
        .unwrap()
        .position;
    let option = &first.options[0];
    assert_eq!(option.amount.cents(), 3_400);
    assert_eq!(option.notice_number.layout(), demo::comune_layout());
    assert_ne!(
        option.notice_number, second.options[0].notice_number,
        "each request gets its own IUV"
    );
    assert_eq!(first.description.as_str(), "Licenza di pesca sportiva 2027");
    assert_eq!(
        option.transfers[0].remittance.as_str(),
        "Licenza di pesca 2027 VRDGPP80A01B157X"
    );
    assert_eq!(first.status, PositionStatus::Valid);
    assert_eq!(option.due_date, s.now().date_naive() + Duration::days(30));
    s.services
        .node
        .verify(&station(), &comune(), &option.notice_number)
        .await
        .unwrap();
}

#[tokio::test]
async fn formula_and_table_pricing() {
    let s = seeded().await;
    let values = [
        ("full_name", "Giuseppe Verdi"),
        ("date", "2026-12-20"),
        ("hours", "2.5"),
        ("resident", "true"),
    ];
    let room = s
        .services
        .spontaneous
        .submit(request("sala-civica", &values))
        .await
        .unwrap()
        .position;
    assert_eq!(room.options[0].amount.cents(), 5_000, "2.5 h × 25,00 EUR − 20 %");
    let values = [("full_name", "Giuseppe Verdi"), ("date", "2026-12-20"), ("hours", "3")];
    let room = s
        .services
        .spontaneous
        .submit(request("sala-civica", &values))
        .await
        .unwrap()
        .position;
    assert_eq!(room.options[0].amount.cents(), 7_500);
}

#[tokio::test]
async fn every_kind_of_invalid_field_is_reported() {
    let s = seeded().await;
    let errors = field_errors(
        &s,
        "licenza-pesca",
        &[
            ("fiscal_code", "VRDGPP80A01B157Y"),
            ("year", "2027.5"),
            ("email", "nope"),
            ("colour", "red"),
        ],
    )
    .await;
    let problems: BTreeMap<String, FieldProblem> = errors.into_iter().collect();
    assert_eq!(problems["full_name"], FieldProblem::Missing);
    assert!(matches!(problems["fiscal_code"], FieldProblem::FiscalCode { .. }));
    assert_eq!(problems["year"], FieldProblem::TooManyDecimals { max: 0 });
    assert_eq!(problems["email"], FieldProblem::Email);
    assert_eq!(problems["colour"], FieldProblem::Unknown);

    let errors = field_errors(
        &s,
        "licenza-pesca",
        &[
            ("full_name", &"x".repeat(71)),
            ("fiscal_code", "VRDGPP80A01B157X"),
            ("year", "2025"),
        ],
    )
    .await;
    let problems: BTreeMap<String, FieldProblem> = errors.into_iter().collect();
    assert_eq!(problems["full_name"], FieldProblem::TooLong { max: 70 });
    assert_eq!(problems["year"], FieldProblem::BelowMinimum { min: "2026".into() });

    let errors = field_errors(
        &s,
        "sala-civica",
        &[
            ("full_name", "A\u{7}B"),
            ("date", "20-12-2026"),
            ("hours", "many"),
            ("resident", "yes"),
        ],
    )
    .await;
    let problems: BTreeMap<String, FieldProblem> = errors.into_iter().collect();
    assert_eq!(problems["full_name"], FieldProblem::Control);
    assert_eq!(problems["date"], FieldProblem::NotADate);
    assert_eq!(problems["hours"], FieldProblem::NotANumber);
    assert_eq!(problems["resident"], FieldProblem::NotABoolean);

    let errors = field_errors(
        &s,
        "sala-civica",
        &[("full_name", "A B"), ("date", "2025-12-20"), ("hours", "13")],
    )
    .await;
    let problems: BTreeMap<String, FieldProblem> = errors.into_iter().collect();
    assert_eq!(
        problems["date"],
        FieldProblem::BelowMinimum {
            min: "2026-01-01".into()
        }
    );
    assert_eq!(problems["hours"], FieldProblem::AboveMaximum { max: "12".into() });

    let errors = field_errors(
        &s,
        "tesserino-funghi",
        &[
            ("codice_fiscale", "VRDGPP80A01B157X"),
            ("cognome", "V"),
            ("nome", "G"),
            ("anno_validita", "2027"),
            ("tipologia", "TURISTA"),
        ],
    )
    .await;
    assert_eq!(errors, vec![("tipologia".to_owned(), FieldProblem::NotAChoice)]);

    let errors = field_errors(
        &s,
        "certificato-cdu",
        &[("parcel", "F12"), ("document_hash", "not-base64"), ("province", "bs")],
    )
    .await;
    let problems: BTreeMap<String, FieldProblem> = errors.into_iter().collect();
    assert_eq!(problems["document_hash"], FieldProblem::Pattern);
    assert_eq!(problems["province"], FieldProblem::Pattern);

    let err = s
        .services
        .spontaneous
        .submit(request("no-such-service", &[]))
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::NotFound(_)));
}

#[tokio::test]
async fn gestionale_pricing_and_refusal() {
    let s = seeded().await;
    let mut service = demo::catalogue().remove(0);
    service.code = "diritti-vari".parse().unwrap();
    service.amount = AmountRule::Gestionale;
    pagopa_domain::ports::CatalogueRepository::upsert(&*s.world.store, &service)
        .await
        .unwrap();
    s.world.gestionale.set_quote(
        "diritti-vari",
        GestionaleQuote {
            amount: AmountCents::new(4_321).unwrap(),
            description: None,
            transfers: None,
        },
    );
    let values = [
        ("full_name", "Giuseppe Verdi"),
        ("fiscal_code", "VRDGPP80A01B157X"),
        ("year", "2027"),
    ];
    let position = s
        .services
        .spontaneous
        .submit(request("diritti-vari", &values))
        .await
        .unwrap()
        .position;
    assert_eq!(position.options[0].amount.cents(), 4_321);
    assert_eq!(position.options[0].transfers[0].amount.cents(), 4_321);

    s.world.gestionale.reject(
        "diritti-vari",
        GestionaleError::Rejected {
            reason: "year closed".into(),
            fields: vec![FieldError {
                field: "year".into(),
                problem: FieldProblem::AboveMaximum { max: "2026".into() },
            }],
        },
    );
    let err = s
        .services
        .spontaneous
        .submit(request("diritti-vari", &values))
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::InvalidForm(ref f) if f[0].field == "year"));
}

#[tokio::test]
async fn a_debtors_positions_merge_the_gestionale_and_stay_private() {
    let s = seeded().await;
    let debtor: FiscalCode = demo::DEBTOR.parse().unwrap();
    let from_gestionale = demo::draft(
        "RETTA-2026-01",
        demo::debtor(),
        "Retta asilo nido gennaio",
        vec![demo::simple_option(9_001, 18_000, "Retta gennaio", "2027-01-31")],
    );
    let foreign = demo::other_debtor_position();
    s.world
        .gestionale
        .hold_positions(&comune(), &debtor, vec![from_gestionale, foreign]);

    let view = s.services.positions.of_debtor(&debtor, true).await.unwrap();
    let iupds: Vec<&str> = view.positions.iter().map(|p| p.iupd.as_str()).collect();
    assert!(iupds.contains(&"RETTA-2026-01"));
    assert!(
        !iupds.contains(&"CANONE-2026-77"),
        "another citizen's position never shows"
    );
    assert_eq!(
        view.stale,
        vec![comune()],
        "a gestionale answer with another debtor's position is suspect"
    );
    assert!(
        view.positions
            .iter()
            .all(|p| p.debtor.id.fiscal_code() == Some(&debtor))
    );

    // A changed amount is merged while the position is still payable.
    let mut changed = demo::draft(
        "RETTA-2026-01",
        demo::debtor(),
        "Retta asilo nido gennaio",
        vec![demo::simple_option(9_001, 19_000, "Retta gennaio", "2027-01-31")],
    );
    changed.options[0].transfers[0].amount = AmountCents::new(19_000).unwrap();
    s.world.gestionale.hold_positions(&comune(), &debtor, vec![changed]);
    let view = s.services.positions.of_debtor(&debtor, true).await.unwrap();
    assert!(view.stale.is_empty());
    let retta = view
        .positions
        .iter()
        .find(|p| p.iupd.as_str() == "RETTA-2026-01")
        .unwrap();
    assert_eq!(retta.options[0].amount.cents(), 19_000);

    s.world.gestionale.set_down(true);
    let view = s.services.positions.of_debtor(&debtor, true).await.unwrap();
    assert_eq!(view.stale, vec![comune()]);
    assert!(!view.positions.is_empty(), "stored positions are still shown");
}

#[tokio::test]
async fn the_public_notice_view_shows_no_personal_data_and_its_state() {
    let s = seeded().await;
    let summary = s.services.positions.notice(&comune(), &n1()).await.unwrap();
    assert_eq!(summary.amount.cents(), 24_570);
    assert_eq!(summary.state, services::NoticeState::Payable);
    let expired: NoticeNumber = "305250300000194264".parse().unwrap();
    assert_eq!(
        s.services.positions.notice(&comune(), &expired).await.unwrap().state,
        services::NoticeState::Expired
    );
    let unknown: NoticeNumber = "305260100009123463".parse().unwrap();
    assert!(matches!(
        s.services.positions.notice(&comune(), &unknown).await,
        Err(DomainError::UnknownNotice(_))
    ));
}

#[tokio::test]
async fn position_rules() {
    let s = seeded().await;
    let ente = demo::comune();
    let mut bad_sum = demo::tari();
    bad_sum.iupd = "BAD-SUM".parse().unwrap();
    bad_sum.options[0].amount = AmountCents::new(24_571).unwrap();
    let err = DebtPosition::create(&ente.id, ente.notice_layout, bad_sum, s.now()).unwrap_err();
    assert!(matches!(err, PositionError::TransferSum { transfers: 24_570, .. }));

    let mut no_transfer = demo::tari();
    no_transfer.options[0].transfers.clear();
    assert!(matches!(
        DebtPosition::create(&ente.id, ente.notice_layout, no_transfer, s.now()),
        Err(PositionError::TransferCount { count: 0, .. })
    ));

    let mut six = demo::tari();
    let template = six.options[0].transfers[0].clone();
    six.options[0].transfers = (1..=6)
        .map(|id| Transfer {
            id,
            amount: AmountCents::new(4_095).unwrap(),
            ..template.clone()
        })
        .collect();
    six.options[0].amount = AmountCents::new(24_570).unwrap();
    assert!(matches!(
        DebtPosition::create(&ente.id, ente.notice_layout, six, s.now()),
        Err(PositionError::TransferCount { count: 6, .. })
    ));

    let mut foreign = demo::tari();
    foreign.options[0].notice_number = "302032002700000251".parse().unwrap();
    assert!(matches!(
        DebtPosition::create(&ente.id, ente.notice_layout, foreign, s.now()),
        Err(PositionError::ForeignNotice { .. })
    ));

    let mut primary = demo::tari();
    primary.options[0].transfers.swap(0, 1);
    primary.options[0].transfers[0].id = 1;
    primary.options[0].transfers[1].id = 2;
    assert!(matches!(
        DebtPosition::create(&ente.id, ente.notice_layout, primary, s.now()),
        Err(PositionError::PrimaryTransfer { .. })
    ));

    let mut plan = demo::imu_plan();
    plan.options[2].instalment = Some(Instalment { number: 1, of: 3 });
    assert!(matches!(
        DebtPosition::create(&ente.id, ente.notice_layout, plan, s.now()),
        Err(PositionError::Instalments(_))
    ));

    // Illegal transitions are errors, and a duplicate notice is refused by storage.
    let iupd: Iupd = "TARI-2026-4711".parse().unwrap();
    let err = s
        .services
        .positions
        .set_status(&comune(), &iupd, PositionStatus::Reported)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        DomainError::InvalidPosition(PositionError::IllegalTransition { .. })
    ));
    let mut copy = demo::tari();
    copy.iupd = "TARI-COPY".parse().unwrap();
    assert!(matches!(
        s.services.positions.create(&comune(), copy).await,
        Err(DomainError::Storage(_))
    ));
    for from in PositionStatus::ALL {
        assert!(!from.can_become(PositionStatus::Draft), "nothing goes back to draft");
        assert!(!PositionStatus::Cancelled.can_become(from), "cancelled is final");
    }
    let stale = s.world.store.find_by_notice(&comune(), &n1()).await.unwrap().unwrap();
    s.services
        .positions
        .set_status(&comune(), &iupd, PositionStatus::Cancelled)
        .await
        .unwrap();
    let mut edited = stale.clone();
    edited.description = "edited".parse().unwrap();
    assert!(matches!(
        s.world.store.update(&edited).await,
        Err(pagopa_domain::ports::StorageError::Conflict(_))
    ));
}

#[tokio::test]
async fn a_spontaneous_request_skips_notice_numbers_already_in_use() {
    let s = seeded().await;
    // Positions loaded from elsewhere hold the bases the IUV counter hands out next.
    for base in [1, 2] {
        let draft = demo::draft(
            &format!("IMPORTED-{base}"),
            demo::debtor(),
            "Posizione importata",
            vec![demo::simple_option(base, 1_000, "Importata", "2027-01-31")],
        );
        s.services.positions.create(&comune(), draft).await.unwrap();
    }
    let values = [
        ("full_name", "Giuseppe Verdi"),
        ("fiscal_code", "VRDGPP80A01B157X"),
        ("year", "2027"),
    ];
    let created = s
        .services
        .spontaneous
        .submit(request("licenza-pesca", &values))
        .await
        .unwrap()
        .position;
    assert_eq!(created.options[0].notice_number, demo::comune_notice(3));
}

#[tokio::test]
async fn a_stamp_pagopa_would_refuse_is_refused_here() {
    let ente = demo::comune();
    let stamp = |hash: &str, kind: &str| {
        let mut draft = demo::tari();
        let option = &mut draft.options[0];
        option.transfers[1].ente = ente.id.clone();
        option.transfers[1].account = pagopa_domain::TransferAccount::Stamp(pagopa_domain::StampRequest {
            document_hash: hash.parse().unwrap(),
            stamp_type: kind.parse().unwrap(),
            province: "BS".parse().unwrap(),
        });
        DebtPosition::create(
            &ente.id,
            ente.notice_layout,
            draft,
            pagopa_domain::memory::MemoryWorld::start_time(),
        )
    };
    let good = "nD+EJU/lBv9Aw/q6W62+BUwI3dO27tjdxPyYTNOP1lk=";
    assert!(stamp(good, "01").is_ok());
    for (hash, kind) in [(good, "02"), ("not base64!", "01"), ("abc", "01"), ("ab==c===", "01")] {
        assert!(
            matches!(stamp(hash, kind), Err(PositionError::StampRequest { transfer: 2, .. })),
            "{hash} {kind}"
        );
    }
}
