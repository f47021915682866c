//! The settings checks of [`FdrClient::new`].

use serde_json::json;

use super::*;

const KEY: &str = "fdr-test-subscription-key";

#[test]
fn settings_are_checked() {
    let settings: FdrSettings = serde_json::from_value(json!({
        "base_url": "https://api.platform.pagopa.it/fdr-org/service/v1",
        "subscription_key": KEY,
    }))
    .unwrap();
    assert_eq!((settings.timeout_ms, settings.page_size), (30_000, 1000));
    assert!(!format!("{settings:?}").contains(KEY));
    let client = FdrClient::new(settings.clone()).unwrap();
    assert_eq!(client.base_url().as_str(), PRODUCTION_BASE_URL);

    let with = |change: fn(&mut FdrSettings)| {
        let mut settings = settings.clone();
        change(&mut settings);
        FdrClient::new(settings).unwrap_err()
    };
    let cleartext = with(|s| s.base_url = "http://api.platform.pagopa.it/fdr-org/service/v1".into());
    assert!(
        matches!(&cleartext, FdrConfigError::BaseUrl(e) if e.reason.contains("https")),
        "{cleartext}"
    );
    assert!(matches!(with(|s| s.page_size = 0), FdrConfigError::PageSize(0)));
    assert!(matches!(with(|s| s.page_size = 1001), FdrConfigError::PageSize(1001)));
    assert!(matches!(with(|s| s.timeout_ms = 0), FdrConfigError::Timeout));
    assert!(matches!(
        with(|s| s.subscription_key = " ".into()),
        FdrConfigError::SubscriptionKey(_)
    ));
    let unknown =
        serde_json::from_value::<FdrSettings>(json!({"base_url": "https://x.it", "subscription_key": "k", "size": 5}));
    assert!(unknown.is_err());
}
