//! The settings checks of [`NodoFlowSource::new`], the requests and the PSP of a flow id.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;

use super::*;

const PASSWORD: &str = "pwd-1234567";

fn settings() -> NodoFlowSettings {
    serde_json::from_value(json!({
        "base_url": UAT_BASE_URL,
        "broker_id": "80012345676",
        "station_id": "80012345676_01",
        "password": PASSWORD,
    }))
    .unwrap()
}

#[test]
fn settings_are_checked() {
    let settings = settings();
    assert_eq!(
        (settings.timeout_ms, settings.subscription_key.is_none()),
        (60_000, true)
    );
    let source = NodoFlowSource::new(settings.clone()).unwrap();
    assert_eq!(source.url(), UAT_BASE_URL);
    assert!(!format!("{settings:?} {source:?}").contains(PASSWORD));

    let with = |change: fn(&mut NodoFlowSettings)| {
        let mut settings = settings.clone();
        change(&mut settings);
        NodoFlowSource::new(settings).unwrap_err()
    };
    assert!(matches!(
        with(|s| s.base_url = UAT_BASE_URL.replace("https", "http")),
        NodoFlowConfigError::BaseUrl(_)
    ));
    assert!(matches!(
        with(|s| s.password = "short".into()),
        NodoFlowConfigError::Password(5)
    ));
    assert!(matches!(
        with(|s| s.password = "sixteen-chars-xx".into()),
        NodoFlowConfigError::Password(16)
    ));
    assert!(matches!(
        with(|s| s.broker_id = " ".into()),
        NodoFlowConfigError::Identifier { field: "broker_id" }
    ));
    assert!(matches!(
        with(|s| s.station_id = "x".repeat(36)),
        NodoFlowConfigError::Identifier { field: "station_id" }
    ));
    assert!(matches!(with(|s| s.timeout_ms = 0), NodoFlowConfigError::Timeout));
    assert!(matches!(
        with(|s| s.subscription_key = Some(" ".into())),
        NodoFlowConfigError::SubscriptionKey(_)
    ));
    let unknown = serde_json::from_value::<NodoFlowSettings>(json!({
        "base_url": UAT_BASE_URL, "broker_id": "b", "station_id": "s", "password": PASSWORD, "psp": "x"
    }));
    assert!(unknown.is_err());
}

#[test]
fn requests_carry_the_station_and_the_ente() {
    let source = NodoFlowSource::new(settings()).unwrap();
    let ente: EnteId = "80012345676".parse().unwrap();
    let list = source.request_body(NodoCall::ListFlows, &ente, None);
    assert!(list.contains(
        "<nfpa:nodoChiediElencoFlussiRendicontazione><identificativoIntermediarioPA>80012345676</identificativoIntermediarioPA><identificativoStazioneIntermediarioPA>80012345676_01</identificativoStazioneIntermediarioPA><password>pwd-1234567</password><identificativoDominio>80012345676</identificativoDominio></nfpa:nodoChiediElencoFlussiRendicontazione>"
    ), "{list}");
    let flow_id: FlowId = "2025-01-0788888888888-0001".parse().unwrap();
    let flow = source.request_body(NodoCall::Flow, &ente, Some(&flow_id));
    assert!(flow.contains("<identificativoDominio>80012345676</identificativoDominio><identificativoFlusso>2025-01-0788888888888-0001</identificativoFlusso></nfpa:nodoChiediFlussoRendicontazione>"), "{flow}");
}

#[test]
fn the_psp_of_a_flow_id() {
    let psp = |id: &str| psp_of_flow_id(id).map(|p| p.as_str().to_owned());
    assert_eq!(psp("2025-01-0788888888888-0001").as_deref(), Some("88888888888"));
    assert_eq!(psp("2025-01-07BCITITMM-S-1_x").as_deref(), Some("BCITITMM"));
    assert_eq!(psp("2025-01-07-0001"), None, "no PSP id");
    assert_eq!(psp("2025-01-0788888888888-"), None, "no unique part");
    assert_eq!(psp("2025-13-0788888888888-1"), None, "no date");
    assert_eq!(psp("2025-01"), None);
}

#[test]
fn faults_that_may_pass() {
    let fault = |code: &str| NodoError::Fault {
        call: NodoCall::Flow,
        fault: NodoFault {
            code: code.into(),
            string: "x".into(),
            description: None,
        },
    };
    assert!(fault("PPT_SYSTEM_ERROR").is_transient());
    assert!(fault("PPT_STAZIONE_INT_PA_TIMEOUT").is_transient());
    assert!(!fault("PPT_AUTENTICAZIONE").is_transient());
    let soap = |code: &str| NodoError::SoapFault {
        call: NodoCall::ListFlows,
        code: code.into(),
        string: "x".into(),
    };
    assert!(soap("soap:Server").is_transient());
    assert!(!soap("soapenv:Client").is_transient());
}
