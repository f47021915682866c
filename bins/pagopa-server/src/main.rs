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
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Load and validate the configuration, naming any bad key, and exit.
    CheckConfig,
    /// Print the SHA-256 of an API key, to provision it in `api_keys`.
    HashKey {
        /// The key.
        key: String,
    },
}

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // The whole chain on one line: "the configuration is invalid: unknown field …".
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::HashKey { key } = &cli.command {
        println!("{}", ApiKeys::hash(key));
        return Ok(());
    }
    let settings = Settings::load(cli.config.as_deref())?;
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&settings.log).context("log filter")?)
        .init();
    match cli.command {
        Command::CheckConfig => {
            println!("configuration is valid (database {})", redact(&settings.database.url));
            Ok(())
        }
        Command::Migrate => actix_web::rt::System::new().block_on(async {
            let mut settings = settings;
            settings.database.migrate_on_start = true;
            open_store(&settings).await?;
            println!("migrations applied ({})", redact(&settings.database.url));
            Ok(())
        }),
        Command::Serve => actix_web::rt::System::new().block_on(async {
            let running = start(&settings).await?;
            for address in &running.addresses {
                println!("Back-End Pagamenti listening on http://{address}");
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
            running.server.await.context("the HTTP server failed")
        }),
        Command::HashKey { .. } => Ok(()),
    }
}
