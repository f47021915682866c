//! Every bad configuration value is refused with a message that names its key, through the
//! same loader `serve` and `check-config` use.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use pagopa_server::Settings;

/// A valid production configuration: one Ente, Node authentication, a scoped key.
const BASE: &str = r#"
[[entes]]
id = "80012345676"
name = "Comune di Valdesempio"
aux_digit = 3
segregation_code = 5
broker_id = "80012345676"
station_id = "80012345676_01"
bank_iban = "IT56M0306911200000000046020"
postal_iban = "IT60J0760111200000012345679"
poste_authorisation = "AUT. DB/SISB/E 12345 DEL 01/01/2026"
"#;

const NODE_AUTH: &str = "\n[node.auth]\nsecret = \"s3cret\"\n";

/// A named gestionale with every required key.
const TRIBUTI: &str = "\n[gestionali.tributi]\nkind = \"http\"\nbase_url = \"https://tributi.example/pagopa\"\n\
    webhook_secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\n";

#[test]
fn named_gestionali_load_and_an_ente_names_one() {
    let secret = temp_file("whsec", b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
    let toml = format!(
        "{BASE}gestionale = \"tributi\"\n{NODE_AUTH}{}token = \"t\"\nheader = \"X-Api-Key\"\ntimeout_ms = 1500\n\
         max_attempts = 10\nmax_age_secs = 3600\n",
        TRIBUTI.replace(
            "webhook_secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"",
            &format!("webhook_secret_file = \"{secret}\"")
        )
    );
    let settings = load(&toml).unwrap();
    let tributi = &settings.gestionali["tributi"];
    assert_eq!(
        tributi.webhook_secret.expose(),
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    );
    assert_eq!(tributi.limits().max_attempts, 10);
    assert_eq!(tributi.limits().max_age, chrono::Duration::hours(1));
    let http = tributi.http_settings();
    assert_eq!((http.timeout_ms, http.header.as_str()), (1500, "X-Api-Key"));
    assert!(
        !format!("{tributi:?}").contains("MfKQ"),
        "the secret stays out of Debug"
    );
    let entes = settings.configured_entes().unwrap();
    assert_eq!(entes[0].ente.gestionale.as_ref().map(|n| n.as_str()), Some("tributi"));
}

fn load(toml: &str) -> anyhow::Result<Settings> {
    static FILES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = FILES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let file = std::env::temp_dir().join(format!("pagopa-config-test-{}-{n}.toml", std::process::id()));
    std::fs::write(&file, toml).unwrap();
    let settings = Settings::load(Some(&file));
    let _ = std::fs::remove_file(file);
    settings
}

fn temp_file(name: &str, content: &[u8]) -> String {
    let path = std::env::temp_dir().join(format!("pagopa-config-test-{}-{name}", std::process::id()));
    std::fs::write(&path, content).unwrap();
    path.display().to_string()
}

#[test]
fn a_valid_production_configuration_loads() {
    let logo = temp_file("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>");
    let settings = load(&format!(
        "{BASE}logo = \"{logo}\"\n{NODE_AUTH}allowed_ips = [\"10.0.0.0/8\"]\n[server]\ntrusted_proxies = [\"127.0.0.1\"]\n\
         [node]\nlisten = \"127.0.0.1:0\"\n"
    ))
    .unwrap();
    let entes = settings.configured_entes().unwrap();
    assert_eq!(entes.len(), 1);
    assert!(entes[0].ente.prints_postal_slips());
    assert!(entes[0].logo.is_some());
    assert!(!settings.demo.enabled, "demo mode is never implied by defaults");
}

#[test]
fn every_bad_value_names_its_key() {
    let not_an_image = temp_file("logo.gif", b"GIF89a....");
    let cases: Vec<(String, &str)> = vec![
        // Enti
        (
            BASE.replace("IT56M0306911200000000046020", "IT56M0306911200000000046021"),
            "entes[0].bank_iban",
        ),
        (
            BASE.replace("IT60J0760111200000012345679", "IT56M0306911200000000046020"),
            "entes[0].postal_iban",
        ),
        (
            BASE.replace("segregation_code = 5", "segregation_code = 47"),
            "entes[0].segregation_code",
        ),
        (BASE.replace("aux_digit = 3", "aux_digit = 7"), "entes[0].aux_digit"),
        (BASE.replace("80012345676\"\nname", "8001234567\"\nname"), "entes[0].id"),
        (
            BASE.replace("name = \"Comune di Valdesempio\"", "name = \"\""),
            "entes[0].name",
        ),
        (format!("{BASE}logo = \"{not_an_image}\"\n"), "entes[0].logo"),
        (format!("{BASE}logo = \"/nonexistent/logo.png\"\n"), "entes[0].logo"),
        (format!("{BASE}colour = \"red\"\n"), "entes[0]"),
        (format!("{BASE}{BASE}"), "entes[1].id"),
        // the Node endpoint
        (BASE.to_owned(), "node.auth"),
        (
            format!("{BASE}[node.auth]\nallowed_ips = [\"10.0.0.0/33\"]\n"),
            "node.auth",
        ),
        (
            format!("{BASE}[node.auth]\nsecret = \"s\"\nheader = \"bad header\"\n"),
            "node.auth",
        ),
        (
            format!("{BASE}[node.auth]\nsecret_file = \"/nonexistent/secret\"\n"),
            "node.auth.secret_file",
        ),
        (
            format!("{BASE}{NODE_AUTH}[node]\npath = \"/api/v1/soap\"\n"),
            "node.path",
        ),
        (
            format!("{BASE}{NODE_AUTH}[node]\nlisten = \"everywhere\"\n"),
            "node.listen",
        ),
        (
            format!("{BASE}{NODE_AUTH}[node]\nmax_body_bytes = 100\n"),
            "node.max_body_bytes",
        ),
        (format!("{BASE}{NODE_AUTH}[node]\ncolour = 1\n"), "node"),
        // server and storage
        (format!("{BASE}{NODE_AUTH}[server]\nport = \"eighty\"\n"), "server.port"),
        (format!("{BASE}{NODE_AUTH}[server]\nworkers = 0\n"), "server.workers"),
        (
            format!("{BASE}{NODE_AUTH}[server]\ntrusted_proxies = [\"proxy.example\"]\n"),
            "server.trusted_proxies[0]",
        ),
        (
            format!("{BASE}{NODE_AUTH}[database]\nurl = \"mysql://x\"\n"),
            "database.url",
        ),
        (
            format!("{BASE}{NODE_AUTH}[database]\npool_size = 0\n"),
            "database.pool_size",
        ),
        // durations and sizes are bounded: no panic on a huge value
        (
            format!("{BASE}{NODE_AUTH}[carts]\nsession_lifetime_secs = 0\n"),
            "carts.session_lifetime_secs",
        ),
        (
            format!("{BASE}{NODE_AUTH}[carts]\nsession_lifetime_secs = 9223372036854775807\n"),
            "carts.session_lifetime_secs",
        ),
        (format!("{BASE}{NODE_AUTH}[outbox]\nbatch = 0\n"), "outbox.batch"),
        (
            format!("{BASE}{NODE_AUTH}[outbox]\nlease_secs = 9223372036854775807\n"),
            "outbox.lease_secs",
        ),
        (
            format!("{BASE}{NODE_AUTH}[outbox]\nretry_base_secs = 9223372036854775807\n"),
            "outbox.retry_base_secs",
        ),
        (
            format!("{BASE}{NODE_AUTH}[outbox]\nretry_max_secs = 1\nretry_base_secs = 5\n"),
            "outbox.retry_max_secs",
        ),
        (
            format!("{BASE}{NODE_AUTH}[outbox]\ninterval_ms = 99999999999\n"),
            "outbox.interval_ms",
        ),
        // adapters and keys
        (
            format!("{BASE}{NODE_AUTH}[checkout]\nbase_url = \"ftp://x\"\nsubscription_key = \"k\"\n"),
            "checkout",
        ),
        (
            format!(
                "{BASE}{NODE_AUTH}[checkout]\nbase_url = \"https://x.example\"\nsubscription_key = \"k\"\ntimeout_ms = 99999999\n"
            ),
            "checkout.timeout_ms",
        ),
        (
            format!(
                "{BASE}{NODE_AUTH}[checkout]\nbase_url = \"https://x.example\"\nsubscription_key = \"k\"\nsubscription_key_file = \"/x\"\n"
            ),
            "checkout.subscription_key_file",
        ),
        (
            format!("{BASE}{NODE_AUTH}[gestionale]\nbase_url = \"not a url\"\n"),
            "gestionale",
        ),
        (
            format!("{BASE}{NODE_AUTH}[gestionale]\nbase_url = \"https://g.example\"\ntoken_file = \"/nonexistent\"\n"),
            "gestionale.token_file",
        ),
        (
            format!("{BASE}{NODE_AUTH}[notices_on_demand]\nbudget_ms = 2500\n"),
            "notices_on_demand.budget_ms",
        ),
        // named gestionali
        (
            format!("{BASE}gestionale = \"tributi\"\n{NODE_AUTH}"),
            "entes[0].gestionale",
        ),
        (
            format!("{BASE}gestionale = \"Not A Name\"\n{NODE_AUTH}"),
            "entes[0].gestionale",
        ),
        (
            format!("{BASE}{NODE_AUTH}{TRIBUTI}").replace("kind = \"http\"", "kind = \"soap\""),
            "gestionali.tributi.kind",
        ),
        (
            format!("{BASE}{NODE_AUTH}{TRIBUTI}").replace("webhook_secret = ", "webhook_secrets = "),
            "gestionali.tributi",
        ),
        (
            format!("{BASE}{NODE_AUTH}{TRIBUTI}").replace("whsec_", "wh_"),
            "gestionali.tributi.webhook_secret",
        ),
        (
            format!("{BASE}{NODE_AUTH}{TRIBUTI}").replace("https://tributi.example", "ftp://tributi.example"),
            "gestionali.tributi.base_url",
        ),
        (
            format!("{BASE}{NODE_AUTH}{TRIBUTI}timeout_ms = 0\n"),
            "gestionali.tributi.timeout_ms",
        ),
        (
            format!("{BASE}{NODE_AUTH}{TRIBUTI}timeout_ms = 120001\n"),
            "gestionali.tributi.timeout_ms",
        ),
        (
            format!("{BASE}{NODE_AUTH}{TRIBUTI}max_attempts = 0\n"),
            "gestionali.tributi.max_attempts",
        ),
        (
            format!("{BASE}{NODE_AUTH}{TRIBUTI}max_age_secs = 59\n"),
            "gestionali.tributi.max_age_secs",
        ),
        (
            format!("{BASE}{NODE_AUTH}{TRIBUTI}header = \"a b\"\n"),
            "gestionali.tributi.header",
        ),
        (
            format!("{BASE}{NODE_AUTH}{TRIBUTI}token = \" \"\n"),
            "gestionali.tributi.token",
        ),
        (
            format!("{BASE}{NODE_AUTH}{TRIBUTI}token_file = \"/nonexistent\"\n"),
            "gestionali.tributi.token_file",
        ),
        (
            format!("{BASE}{NODE_AUTH}{TRIBUTI}expirations = true\n"),
            "gestionali.tributi",
        ),
        (
            format!("{BASE}{NODE_AUTH}{TRIBUTI}\n[gestionale]\nbase_url = \"https://g.example\"\n")
                .replace("[gestionali.tributi]", "[gestionali.default]"),
            "gestionali.default",
        ),
        (
            format!("{BASE}{NODE_AUTH}{TRIBUTI}").replace("[gestionali.tributi]", "[gestionali.\"bad name\"]"),
            "gestionali.bad name",
        ),
        (
            format!("{BASE}{NODE_AUTH}[gestionale]\nbase_url = \"https://g.example\"\nwebhook_secret = \"x\"\n"),
            "gestionale",
        ),
        (
            format!("{BASE}{NODE_AUTH}[[api_keys]]\nname = \"k\"\nsha256 = \"xyz\"\nrole = \"operator\"\n"),
            "api_keys",
        ),
        (
            format!("{BASE}{NODE_AUTH}[[api_keys]]\nname = \"k\"\nsha256 = \"ab\"\nrole = \"superuser\"\n"),
            "api_keys[0].role",
        ),
        (
            format!("{BASE}{NODE_AUTH}[citizen_tokens]\npublic_key = \"not base64!\"\n"),
            "citizen_tokens.public_key",
        ),
        (
            format!(
                "{BASE}{NODE_AUTH}[citizen_tokens]\npublic_key = \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"\nmax_lifetime_secs = 9223372036854775807\n"
            ),
            "citizen_tokens.max_lifetime_secs",
        ),
        (format!("{BASE}{NODE_AUTH}colour = 1\n"), "colour"),
    ];
    for (toml, key) in &cases {
        let error = format!("{:#}", load(toml).expect_err(key));
        assert!(
            error.contains(key),
            "expected the error to name {key}: {error}\n--- for ---\n{toml}"
        );
    }
}

/// The example configurations of `docs/deploy.md` load as they are, once their secret files
/// exist and their placeholders are filled in.
#[test]
fn the_deployment_examples_are_valid() {
    use base64::Engine;
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/deploy.md")).unwrap();
    let blocks: Vec<&str> = guide
        .split("```toml\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap())
        .collect();
    assert_eq!(blocks.len(), 2, "the one-Comune and the Provincia examples");
    let public = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
    let public = base64::engine::general_purpose::STANDARD.encode(public.to_bytes());
    let hash = "0".repeat(64);
    for block in blocks {
        let mut toml = block
            .replace("public_key = \"…\"", &format!("public_key = \"{public}\""))
            .replace("sha256 = \"…\"", &format!("sha256 = \"{hash}\""));
        for line in block.lines() {
            let Some((_, rest)) = line.split_once("= \"/") else {
                continue;
            };
            let path = format!("/{}", rest.split('"').next().unwrap());
            if path.starts_with("/var/lib") {
                continue;
            }
            let name = path.rsplit('/').next().unwrap();
            let content: &[u8] = if name.ends_with(".svg") {
                b"<svg xmlns='http://www.w3.org/2000/svg'/>"
            } else if name.ends_with(".sha256") {
                hash.as_bytes()
            } else if name.ends_with(".whsec") {
                b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
            } else {
                b"a-secret"
            };
            toml = toml.replace(&path, &temp_file(name, content));
        }
        let toml = toml.replace("sqlite:///var/lib/pagopa/pagopa.db", "sqlite://./data/pagopa.db");
        let settings = load(&toml).unwrap_or_else(|e| panic!("{e:#}\n--- in ---\n{toml}"));
        assert!(!settings.entes.is_empty());
        settings.configured_entes().unwrap();
    }
}
