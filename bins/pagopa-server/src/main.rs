//! `pagopa-server`: the command line of the Back-End Pagamenti.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use pagopa_api::ApiKeys;
use pagopa_server::{Settings, open_store, redact, start};

/// mimalloc: the request path allocates many small strings (documents decoded into domain
/// values, DTOs, JSON); it measured faster than the system allocator on the read benchmark.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "pagopa-server",
    version,
    about = "The Back-End Pagamenti of a pagoPA payments portal"
)]
struct Cli {
    /// A TOML configuration file (defaults, then this file, then PAGOPA__… variables).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service.
    Serve {
        /// Demo mode: the demo Enti, catalogue and positions, a fresh Front-End key and a
        /// citizen token printed here. Never for production.
        #[arg(long)]
        demo: bool,
    },
    /// Apply the database migrations and exit.
    Migrate,
    /// Load and validate the configuration, naming any bad key, and exit.
    CheckConfig {
        /// Check it as `serve --demo` would run it.
        #[arg(long)]
        demo: bool,
    },
    /// Load a file of positions for an Ente (CSV, JSON Lines or pagoPA GPD), with a report of
    /// every row. Exit status 0 when every row was accepted, 1 when some were rejected, 2 when
    /// the file could not be read.
    Import {
        /// The Ente whose positions the file holds (its fiscal code).
        #[arg(long)]
        ente: String,
        /// `csv`, `jsonl` or `gpd`; from the extension when absent (.csv, .jsonl, .json/.zip).
        #[arg(long)]
        format: Option<String>,
        /// Validate and report without writing anything.
        #[arg(long)]
        check: bool,
        /// Where to write the report (default: the file's path with `.report.csv` added).
        #[arg(long)]
        report: Option<PathBuf>,
        /// The file.
        file: PathBuf,
    },
    /// Print the SHA-256 of an API key, to provision it in `api_keys`.
    HashKey {
        /// The key.
        key: String,
    },
}

/// Exit status when the configuration is refused (a bad value, no Ente, no Node
/// authentication): an operator must change something before the service can run.
const CONFIGURATION_REFUSED: u8 = 2;

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(Failure::Configuration(error)) => {
            // The whole chain on one line: "the configuration is invalid: …".
            eprintln!("error: {error:#}");
            std::process::ExitCode::from(CONFIGURATION_REFUSED)
        }
        Err(Failure::Status(status)) => std::process::ExitCode::from(status),
        Err(Failure::Run(error)) => {
            let unreadable = error.downcast_ref::<pagopa_server::import::ImportRefused>().is_some();
            if unreadable || error.downcast_ref::<pagopa_server::Refusal>().is_some() {
                eprintln!("error: {error:#}");
                return std::process::ExitCode::from(CONFIGURATION_REFUSED);
            }
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// How a command failed: the configuration was refused (exit 2) or running failed (exit 1).
enum Failure {
    Configuration(anyhow::Error),
    Run(anyhow::Error),
    /// The command ran and tells its outcome by the status alone.
    Status(u8),
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Self::Run(error)
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    if let Command::HashKey { key } = &cli.command {
        println!("{}", ApiKeys::hash(key));
        return Ok(());
    }
    let demo = matches!(
        cli.command,
        Command::Serve { demo: true } | Command::CheckConfig { demo: true }
    );
    let settings = (|| {
        let mut settings = Settings::read(cli.config.as_deref())?;
        settings.demo.enabled |= demo;
        settings.validate()?;
        Ok::<_, anyhow::Error>(settings)
    })()
    .map_err(Failure::Configuration)?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&settings.log)
                .context("log: not a log filter")
                .map_err(Failure::Configuration)?,
        )
        .init();
    match cli.command {
        Command::CheckConfig { .. } => {
            for warning in &settings.warnings {
                println!("warning: {warning}");
            }
            if settings.node.auth.is_anonymous() && !settings.demo.enabled {
                println!("warning: node.auth.allow_anonymous: the pagoPA endpoint accepts anonymous callers");
            }
            println!(
                "configuration is valid (database {}, {} Enti in the file)",
                redact(&settings.database.url),
                settings.entes.len()
            );
            Ok(())
        }
        Command::Migrate => actix_web::rt::System::new().block_on(async {
            let mut settings = settings;
            settings.database.migrate_on_start = true;
            open_store(&settings).await?;
            println!("migrations applied ({})", redact(&settings.database.url));
            Ok(())
        }),
        Command::Serve { .. } => actix_web::rt::System::new().block_on(async {
            let running = start(&settings).await?;
            for address in &running.addresses {
                println!("Back-End Pagamenti listening on http://{address}");
            }
            for address in &running.node_addresses {
                println!("pagoPA Node endpoint (paForNode): http://{address}{}", settings.node.path);
            }
            if let Some(key) = &running.demo_key {
                println!("demo mode: Front-End API key {key}");
                if let Some(address) = running.addresses.first() {
                    println!(
                        "try: curl -H 'x-api-key: {key}' http://{address}/api/v1/entes/{}/services",
                        pagopa_domain::demo::COMUNE
                    );
                    if let Some(token) = &running.demo_citizen_token {
                        println!("demo citizen ({}) token, valid 1 hour: {token}", pagopa_domain::demo::DEBTOR);
                        println!(
                            "try: curl -H 'x-api-key: {key}' -H 'authorization: Bearer {token}' http://{address}/api/v1/me/positions"
                        );
                    }
                }
            }
            running.run().await.context("the HTTP server failed")?;
            Ok(())
        }),
        Command::Import {
            ente,
            format,
            check,
            report,
            file,
        } => {
            let format = format
                .map(|f| f.parse::<pagopa_domain::ImportFormat>())
                .transpose()
                .map_err(|e| Failure::Configuration(anyhow::anyhow!("--format: {e}")))?;
            let args = pagopa_server::import::ImportArgs {
                ente,
                format,
                check,
                report,
                file,
            };
            let imported = actix_web::rt::System::new()
                .block_on(async { pagopa_server::import::import_file(&settings, &args).await })?;
            let record = &imported.record;
            println!(
                "import {} {}{}: {} rows, {} accepted, {} rejected; report {}",
                record.id,
                record.status.as_str(),
                if record.dry_run { " (check only, nothing written)" } else { "" },
                record.rows_read,
                record.accepted,
                record.rejected,
                imported.report.display()
            );
            match (record.status, record.rejected) {
                (pagopa_domain::ImportStatus::Failed, _) => {
                    eprintln!("error: {}", record.error.as_deref().unwrap_or("the file could not be read"));
                    Err(Failure::Status(2))
                }
                (_, 0) => Ok(()),
                _ => Err(Failure::Status(1)),
            }
        }
        Command::HashKey { .. } => Ok(()),
    }
}
