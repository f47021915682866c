//! The `[expiry]` settings: defaults, and bounds that name the bad key.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use pagopa_server::Settings;

fn load(toml: &str) -> anyhow::Result<Settings> {
    static FILES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = FILES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let file = std::env::temp_dir().join(format!("pagopa-server-expiry-{}-{n}.toml", std::process::id()));
    // Outside demo mode the Node endpoint must be authenticated; that is not what is tested here.
    std::fs::write(&file, format!("[node.auth]\nsecret = \"s\"\n{toml}")).unwrap();
    let settings = Settings::load(Some(&file));
    let _ = std::fs::remove_file(file);
    settings
}

#[test]
fn expiry_runs_by_default_and_its_bounds_are_checked() {
    let defaults = load("").unwrap();
    assert!(defaults.expiry.enabled);
    assert_eq!((defaults.expiry.interval_secs, defaults.expiry.batch), (300, 100));
    let custom = load("[expiry]\nenabled = false\ninterval_secs = 60\nbatch = 10\n").unwrap();
    assert!(!custom.expiry.enabled);
    for toml in [
        "[expiry]\nbatch = 0\n",
        "[expiry]\nbatch = 10001\n",
        "[expiry]\ninterval_secs = 0\n",
        "[expiry]\ninterval_secs = 86401\n",
        "[expiry]\nevery = 1\n",
    ] {
        let error = format!("{:#}", load(toml).unwrap_err());
        assert!(error.contains("expiry."), "{toml}: {error}");
    }
}
