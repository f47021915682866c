//! End-to-end tests of the Back-End Pagamenti. The tests live in `tests/tests/`; this library
//! starts the real binaries for them: `pagopa-server` on a fresh SQLite file or PostgreSQL
//! database, and `pagopa-sim` as pagoPA (Node, PSP and Checkout).

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// The operator key every test server accepts (any Ente).
pub const OPERATOR_KEY: &str = "e2e-operator-key-0123456789abcdef";
/// The Checkout subscription key the server sends to the simulator.
pub const CHECKOUT_KEY: &str = "e2e-checkout-subscription-key";
/// The shared secret the Node (simulator) sends.
pub const NODE_SECRET: &str = "e2e-node-secret";

/// Where the workspace's binaries are: next to this test's own `deps` directory.
fn binaries_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    // target/debug/deps/e2e-… → target/debug
    exe.parent()
        .and_then(|deps| deps.parent())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/debug"))
}

/// Builds `pagopa-server` and `pagopa-sim` once per test process (Cargo builds binaries only for
/// the integration tests of their own package; the target directory is shared, so this is an
/// incremental no-op when `cargo test --workspace` already built them).
pub fn binary(name: &str) -> PathBuf {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let output = Command::new(cargo)
            .args(["build", "--quiet", "-p", "pagopa-server", "-p", "pagopa-sim"])
            .output()
            .map_err(|e| e.to_string())?;
        if output.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    });
    if let Err(e) = built {
        panic!("building the binaries failed: {e}");
    }
    binaries_dir().join(name)
}

/// A free local port (bound, then released for the child to take).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// The SHA-256 of a key, as `api_keys` stores it.
pub fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A database for one test.
#[derive(Debug, Clone)]
pub enum Database {
    /// A fresh SQLite file.
    Sqlite(PathBuf),
    /// A fresh PostgreSQL database.
    Postgres(String),
}

impl Database {
    /// A fresh SQLite file under the temporary directory.
    pub fn sqlite(label: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("pagopa-e2e-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::create_dir_all(&dir);
        Self::Sqlite(dir.join("pagopa.db"))
    }

    /// A fresh PostgreSQL database on the server of `PAGOPA_TEST_DATABASE_URL`, or `None` (with
    /// a notice) when it is not set; under `PAGOPA_REQUIRE_EXTERNAL=1` its absence fails.
    pub fn postgres(label: &str) -> Option<Self> {
        use diesel::{Connection, PgConnection, RunQueryDsl};
        let Ok(server) = std::env::var("PAGOPA_TEST_DATABASE_URL") else {
            assert!(
                std::env::var("PAGOPA_REQUIRE_EXTERNAL").as_deref() != Ok("1"),
                "PAGOPA_TEST_DATABASE_URL is not set but PAGOPA_REQUIRE_EXTERNAL=1"
            );
            eprintln!("SKIPPED: PAGOPA_TEST_DATABASE_URL is not set, no PostgreSQL end-to-end test ({label})");
            return None;
        };
        let name = format!("pagopa_e2e_{label}_{}", std::process::id());
        let mut admin = PgConnection::establish(&server).unwrap_or_else(|e| panic!("PostgreSQL: {e}"));
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name}")).execute(&mut admin);
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .unwrap_or_else(|e| panic!("CREATE DATABASE: {e}"));
        let base = &server[..server.rfind('/').unwrap_or(server.len())];
        Some(Self::Postgres(format!("{base}/{name}")))
    }

    fn url(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(url) => url.clone(),
        }
    }
}

/// A child process killed when dropped.
#[derive(Debug)]
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running `pagopa-server` in demo mode.
#[derive(Debug)]
pub struct Server {
    _process: Process,
    /// `http://127.0.0.1:port`.
    pub base: String,
    /// The demo Front-End key it printed.
    pub front_end_key: String,
    /// The demo citizen token it printed (for the demo debtor).
    pub citizen_token: String,
}

/// What a test server is configured with.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// The database.
    pub database: Database,
    /// The simulator's port, for Checkout.
    pub checkout_port: Option<u16>,
    /// The gestionale's base URL.
    pub gestionale_url: Option<String>,
    /// The cart session lifetime.
    pub session_lifetime_secs: i64,
}

impl Server {
    /// Starts the server on `port` and waits until it is live.
    pub fn start(port: u16, options: &ServerOptions) -> Self {
        Self::start_with(port, options, "")
    }

    /// [`Server::start`] with `extra` appended to its configuration file (more tables).
    pub fn start_with(port: u16, options: &ServerOptions, extra: &str) -> Self {
        let config = std::env::temp_dir().join(format!("pagopa-e2e-{}-{port}.toml", std::process::id()));
        let mut toml = format!(
            "log = \"warn,pagopa_nodo=info\"\n\n[server]\naddress = \"127.0.0.1\"\nport = {port}\nworkers = 2\n\n\
             [database]\nurl = \"{}\"\npool_size = 4\nmigrate_on_start = true\n\n\
             [carts]\nsession_lifetime_secs = {}\n\n\
             [outbox]\ninterval_ms = 100\nretry_base_secs = 1\nretry_max_secs = 2\n\n\
             [node.auth]\nsecret = \"{NODE_SECRET}\"\n\n\
             [imports]\ndir = \"{}\"\npoll_secs = 1\nlease_secs = 2\n\n\
             [[api_keys]]\nname = \"e2e-operator\"\nsha256 = \"{}\"\nrole = \"operator\"\nentes = []\n",
            options.database.url(),
            options.session_lifetime_secs,
            imports_dir(port).display(),
            key_hash(OPERATOR_KEY),
        );
        if let Some(sim) = options.checkout_port {
            toml.push_str(&format!(
                "\n[checkout]\nbase_url = \"http://127.0.0.1:{sim}/checkout/ec/v2\"\nsubscription_key = \"{CHECKOUT_KEY}\"\ntimeout_ms = 5000\n"
            ));
        }
        if let Some(url) = &options.gestionale_url {
            toml.push_str(&format!("\n[gestionale]\nbase_url = \"{url}\"\ntimeout_ms = 2000\n"));
        }
        toml.push_str(extra);
        std::fs::write(&config, toml).unwrap_or_else(|e| panic!("writing {}: {e}", config.display()));
        let server = Self::launch(port, &config, &["--demo"]);
        // Read at start; it names an operator key's hash, no secret, but need not stay around.
        let _ = std::fs::remove_file(&config);
        server
    }

    /// Starts `pagopa-server --config <file> serve <extra…>` on `port` (the file's port) and waits
    /// until it is live; with `--demo` also until it printed the demo key and token.
    pub fn launch(port: u16, config: &std::path::Path, extra: &[&str]) -> Self {
        let demo = extra.contains(&"--demo");
        let mut child = Command::new(binary("pagopa-server"))
            .arg("--config")
            .arg(config)
            .arg("serve")
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("starting pagopa-server: {e}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let process = Process(child);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Keep reading after start-up, so the server never writes into a closed pipe.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let (mut key, mut token, mut listening) = (None, None, false);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !listening || (demo && (key.is_none() || token.is_none())) {
            let line = rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("pagopa-server did not start (or print its demo key and token)"));
            if line.starts_with("Back-End Pagamenti listening on") {
                listening = true;
            } else if let Some(rest) = line.strip_prefix("demo mode: Front-End API key ") {
                key = Some(rest.trim().to_owned());
            } else if let Some((_, rest)) = line.split_once("token, valid 1 hour: ") {
                token = Some(rest.trim().to_owned());
            }
        }
        let base = format!("http://127.0.0.1:{port}");
        wait_until_up(&format!("{base}/health/live"));
        Self {
            _process: process,
            base,
            front_end_key: key.unwrap_or_default(),
            citizen_token: token.unwrap_or_default(),
        }
    }

    /// The paForNode endpoint.
    pub fn soap_url(&self) -> String {
        format!("{}/pagopa/paForNode", self.base)
    }
}

/// Where a test server on `port` keeps uploaded loads (the same across its restarts).
pub fn imports_dir(port: u16) -> PathBuf {
    std::env::temp_dir().join(format!("pagopa-e2e-imports-{}-{port}", std::process::id()))
}

/// A running `pagopa-sim serve`.
#[derive(Debug)]
pub struct Sim {
    _process: Process,
    /// `http://127.0.0.1:port`.
    pub base: String,
}

impl Sim {
    /// Starts the simulator on `port`, sending the Node's calls to `ec_url`.
    pub fn start(port: u16, ec_url: &str) -> Self {
        let child = Command::new(binary("pagopa-sim"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--ec-url", ec_url])
            .args(["--secret", NODE_SECRET])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting pagopa-sim: {e}"));
        let base = format!("http://127.0.0.1:{port}");
        let process = Process(child);
        wait_until_up(&format!("{base}/sim/carts/none"));
        Self {
            _process: process,
            base,
        }
    }
}

/// Runs a `pagopa-sim` command against `ec_url` and returns (success, stdout).
pub fn sim_command(ec_url: &str, args: &[&str]) -> (bool, String) {
    sim_command_as(ec_url, Some(NODE_SECRET), args)
}

/// [`sim_command`] sending `secret` (or none) as the Node's shared secret.
pub fn sim_command_as(ec_url: &str, secret: Option<&str>, args: &[&str]) -> (bool, String) {
    let state = std::env::temp_dir().join(format!("pagopa-e2e-sim-{}", std::process::id()));
    let secret_args: Vec<&str> = secret.map(|s| vec!["--secret", s]).unwrap_or_default();
    let output = Command::new(binary("pagopa-sim"))
        .arg(args[0])
        .args(["--ec-url", ec_url])
        .args(&secret_args)
        .arg("--state-dir")
        .arg(&state)
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("running pagopa-sim: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.success(), format!("{stdout}{stderr}"))
}

/// Runs `pagopa-server --config <file> <args…>` to its end: (exit status, stdout and stderr).
pub fn server_exit(config: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(binary("pagopa-server"))
        .arg("--config")
        .arg(config)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running pagopa-server: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), text)
}

/// Writes a configuration file for one test and returns its path.
pub fn config_file(label: &str, toml: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("pagopa-e2e-{label}-{}.toml", std::process::id()));
    std::fs::write(&path, toml).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    path
}

impl Database {
    /// The database URL for a configuration file.
    pub fn url_for_config(&self) -> String {
        self.url()
    }
}

/// Polls `url` until it answers (any HTTP status), for at most 30 s.
fn wait_until_up(url: &str) {
    let address = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(&address).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{url} did not come up");
}
