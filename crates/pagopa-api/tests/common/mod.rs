//! The app under test over an in-memory world, its keys and citizen tokens.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::{App, test, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer, SigningKey};
use pagopa_api::{
    ApiKeyEntry, ApiKeys, ApiState, CitizenTokens, PROBLEM_JSON, ReconciliationTools, Role, configure, problem_details,
    request_id,
};
use pagopa_domain::demo;
use pagopa_domain::memory::MemoryWorld;
use pagopa_domain::ports::Clock;
use serde_json::{Value, json};

pub const FRONT_END_KEY: &str = "fe-test-key";
pub const OPERATOR_KEY: &str = "op-test-key";
pub const PROVINCIA_OPERATOR_KEY: &str = "op-provincia-key";
pub const COMUNE_GESTIONALE_KEY: &str = "gestionale-comune-key";

/// The keys of the test apps: a Front-End, an operator of every Ente, the Comune's
/// gestionale, and an operator of the Provincia only.
pub fn keys() -> ApiKeys {
    ApiKeys::new(&[
        ApiKeyEntry {
            name: "fe".into(),
            sha256: ApiKeys::hash(FRONT_END_KEY),
            role: Role::FrontEnd,
            entes: vec![],
        },
        ApiKeyEntry {
            name: "op".into(),
            sha256: ApiKeys::hash(OPERATOR_KEY),
            role: Role::Operator,
            entes: vec![],
        },
        ApiKeyEntry {
            name: "gestionale-comune".into(),
            sha256: ApiKeys::hash(COMUNE_GESTIONALE_KEY),
            role: Role::Gestionale,
            entes: vec![demo::COMUNE.parse().unwrap()],
        },
        ApiKeyEntry {
            name: "op-provincia".into(),
            sha256: ApiKeys::hash(PROVINCIA_OPERATOR_KEY),
            role: Role::Operator,
            entes: vec![demo::PROVINCIA.parse().unwrap()],
        },
    ])
    .unwrap()
}

/// The app over `state`, as the server mounts it: `keys`, citizen tokens signed by
/// [`signing_key`], metrics, problem details and request ids, and the reconciliation tools if
/// given.
pub async fn service(
    state: ApiState,
    keys: ApiKeys,
    tools: Option<ReconciliationTools>,
) -> impl actix_web::dev::Service<actix_http::Request, Response = actix_web::dev::ServiceResponse, Error = actix_web::Error>
{
    let public = URL_SAFE_NO_PAD.encode(signing_key().verifying_key().to_bytes());
    let tokens = CitizenTokens::new(&public, None, None, 3600).unwrap();
    let app = App::new()
        .app_data(web::Data::new(state))
        .app_data(web::Data::new(keys))
        .app_data(web::Data::new(tokens))
        .app_data(web::Data::new(pagopa_api::Metrics::default()));
    let app = match tools {
        Some(tools) => app.app_data(web::Data::new(tools)),
        None => app,
    };
    test::init_service(
        app.wrap(problem_details())
            .wrap(from_fn(request_id))
            .configure(configure),
    )
    .await
}

pub async fn app()
-> impl actix_web::dev::Service<actix_http::Request, Response = actix_web::dev::ServiceResponse, Error = actix_web::Error>
{
    app_in(MemoryWorld::new()).await
}

/// The app over `world`, seeded with the demo data and one receipt (whose notification waits
/// in the outbox as message 1).
pub async fn app_in(
    world: MemoryWorld,
) -> impl actix_web::dev::Service<actix_http::Request, Response = actix_web::dev::ServiceResponse, Error = actix_web::Error>
{
    demo::seed(&world.ports(), world.clock.now()).await.unwrap();
    let mut services = world.services();
    services.entes =
        pagopa_domain::services::EnteAdmin::new(world.ports()).with_gestionali(["tributi".parse().unwrap()]);
    let state = ApiState {
        services,
        ports: world.ports(),
    };
    let keys = keys();
    // The demo receipts: Giuseppe Verdi paid his TARI.
    let option = demo::tari().options[0].clone();
    state
        .services
        .node
        .accept_receipt(
            &pagopa_domain::services::StationIds {
                ente: demo::COMUNE.parse().unwrap(),
                broker: demo::BROKER.into(),
                station: demo::STATION.into(),
            },
            demo::receipt_for(&option, "r-tari", world.clock.now()),
        )
        .await
        .unwrap();
    service(state, keys, None).await
}

pub fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[42u8; 32])
}

pub fn citizen_token(fiscal_code: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"EdDSA","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD.encode(json!({ "sub": fiscal_code, "exp": now + 600 }).to_string());
    let signed = format!("{header}.{claims}");
    format!(
        "{signed}.{}",
        URL_SAFE_NO_PAD.encode(signing_key().sign(signed.as_bytes()).to_bytes())
    )
}

pub fn as_citizen(path: &str, fiscal_code: &str) -> test::TestRequest {
    get(path).insert_header(("authorization", format!("Bearer {}", citizen_token(fiscal_code))))
}

pub fn get(path: &str) -> test::TestRequest {
    test::TestRequest::get()
        .uri(path)
        .insert_header(("x-api-key", FRONT_END_KEY))
}

pub async fn problem(resp: actix_web::dev::ServiceResponse) -> (StatusCode, Value) {
    let status = resp.status();
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        PROBLEM_JSON,
        "errors are problem+json"
    );
    (status, test::read_body_json(resp).await)
}
