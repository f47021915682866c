//! `pagopa-sim`: the command line of the pagoPA Node + PSP + Checkout simulator (see the library
//! documentation for the commands and examples).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use clap::{Args, Parser, Subcommand};
use pagopa_domain::demo;
use pagopa_domain::services::TransferType;
use pagopa_domain::value::{AmountCents, EnteId, NoticeNumber};
use pagopa_sim::bench::{self, BenchSettings};
use pagopa_sim::checkout::{self, CheckoutSettings, CheckoutSim};
use pagopa_sim::{
    DemandRequest, DirReceipts, DiscardReceipts, MemoryReceipts, NodeClient, NodeClientSettings, NoticeCopy,
    PayOptions, PaymentReport, PspProfile, ReceiptLog, ReceiptTimeout, Simulator, Stations,
};

const DEFAULT_EC_URL: &str = "http://127.0.0.1:8080/pagopa/paForNode";

#[derive(Parser)]
#[command(
    name = "pagopa-sim",
    version,
    about = "A pagoPA Node + PSP + Checkout simulator for the Back-End Pagamenti"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// How to reach the Ente, shared by every command.
#[derive(Args, Clone)]
struct NodeArgs {
    /// The Ente's paForNode SOAP endpoint.
    #[arg(long, default_value = DEFAULT_EC_URL)]
    ec_url: String,
    /// The shared secret sent on every call.
    #[arg(long)]
    secret: Option<String>,
    /// The header that carries the secret.
    #[arg(long, default_value = "X-Node-Secret")]
    secret_header: String,
    /// idBrokerPA for Enti without --station-for.
    #[arg(long, default_value = demo::BROKER)]
    broker: String,
    /// idStation for Enti without --station-for.
    #[arg(long, default_value = demo::STATION)]
    station: String,
    /// Station ids of one Ente (repeatable).
    #[arg(long = "station-for", value_name = "CF=BROKER/STATION")]
    station_for: Vec<String>,
    /// One timeout for every call, in ms (default: the Node's 7 s, 15 s for receipts).
    #[arg(long)]
    timeout_ms: Option<u64>,
    /// Where the commands keep the receipts they send (receipts/<receiptId>.xml).
    #[arg(long, default_value = "./data/sim")]
    state_dir: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Run the Checkout stand-in and the simulator's HTTP API.
    Serve {
        #[command(flatten)]
        node: NodeArgs,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: String,
        /// The subscription key carts must carry (default: any non-empty key).
        #[arg(long)]
        subscription_key: Option<String>,
        /// The base of the Checkout URLs given in Location (default: from the request's Host).
        #[arg(long)]
        public_url: Option<String>,
        /// Keep sent receipts under --state-dir instead of in memory.
        #[arg(long)]
        persist_receipts: bool,
        /// HTTP worker threads.
        #[arg(long, default_value_t = 2)]
        workers: usize,
    },
    /// Pay a notice (modello 3), with optional fault injection.
    Pay {
        #[command(flatten)]
        node: NodeArgs,
        /// The Ente's fiscal code.
        #[arg(long, default_value = demo::COMUNE)]
        ente: String,
        /// The notice number (18 digits).
        #[arg(long)]
        notice: String,
        /// Send the same receipt twice (the second must be OK too).
        #[arg(long)]
        duplicate: bool,
        /// Wait this long before sending the receipt.
        #[arg(long)]
        late_ms: Option<u64>,
        /// Stop after the activation: no receipt.
        #[arg(long)]
        abandon: bool,
        /// No verify/activation: a receipt with standIn=true.
        #[arg(long)]
        stand_in: bool,
        /// With --stand-in: the amount (e.g. 245.70), so no verify is made to read the notice.
        #[arg(long)]
        amount: Option<String>,
        /// Then send a receipt with another receiptId (expects PAA_RECEIPT_DUPLICATA).
        #[arg(long)]
        second_receipt: bool,
        /// Let the receipt call time out, then resend the same receipt (must be OK).
        #[arg(long)]
        timeout: bool,
        /// The client timeout of --timeout, in ms.
        #[arg(long, default_value_t = 1)]
        timeout_after_ms: u64,
        /// paymentNote of the activation and the receipt.
        #[arg(long)]
        payment_note: Option<String>,
        /// Ask for postal accounts (transferType POSTAL).
        #[arg(long)]
        postal: bool,
        /// Expect the verify or the activation to answer this fault (then no receipt is sent).
        #[arg(long)]
        expect_fault: Option<String>,
        /// The Node loses the receipt: the payment happens (flows, biz-events) but no
        /// paSendRT reaches the Ente.
        #[arg(long)]
        lose_receipt: bool,
    },
    /// paDemandPaymentNotice (spontaneous payment at a PSP), then optionally pay the new notice.
    Demand {
        #[command(flatten)]
        node: NodeArgs,
        /// The Ente's fiscal code.
        #[arg(long, default_value = demo::COMUNE)]
        ente: String,
        /// idServizio (5 characters).
        #[arg(long)]
        service: String,
        /// idSoggettoServizio (5 characters).
        #[arg(long, default_value = "00101")]
        subject_service: String,
        /// A form value (repeatable).
        #[arg(long = "value", value_name = "NAME=VALUE")]
        values: Vec<String>,
        /// Pay the new notice.
        #[arg(long)]
        pay: bool,
    },
    /// Send a kept receipt again.
    ResendReceipt {
        #[command(flatten)]
        node: NodeArgs,
        /// The receiptId (its file under --state-dir).
        #[arg(long, required_unless_present = "file")]
        receipt_id: Option<String>,
        /// A paSendRT(V2) envelope file to send instead.
        #[arg(long, conflicts_with = "receipt_id")]
        file: Option<PathBuf>,
    },
    /// Run full modello-3 cycles concurrently, one notice each, and print latencies.
    Bench {
        #[command(flatten)]
        node: NodeArgs,
        /// The Ente of notices given without one.
        #[arg(long)]
        ente: Option<String>,
        /// Notices, one per line (NOTICE or CF,NOTICE).
        #[arg(long, required_unless_present = "notices")]
        notices_file: Option<PathBuf>,
        /// Notices, comma-separated.
        #[arg(long, value_delimiter = ',', conflicts_with = "notices_file")]
        notices: Vec<String>,
        /// Cycles in flight.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// How long to start new cycles.
        #[arg(long, default_value_t = 20)]
        duration_secs: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = if matches!(cli.command, Command::Serve { .. }) {
        "info"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn simulator(node: &NodeArgs, receipts: Arc<dyn ReceiptLog>) -> anyhow::Result<Simulator> {
    let mut stations = Stations {
        default_broker: node.broker.clone(),
        default_station: node.station.clone(),
        ..Stations::default()
    };
    for spec in &node.station_for {
        stations.add_spec(spec).map_err(|e| anyhow!("--station-for {e}"))?;
    }
    let settings = NodeClientSettings {
        ec_url: node.ec_url.clone(),
        secret: node.secret.clone(),
        secret_header: node.secret_header.clone(),
        timeout: node.timeout_ms.map(Duration::from_millis),
        stations,
    };
    let client = NodeClient::new(settings).context("--ec-url")?;
    Ok(Simulator::new(client, PspProfile::banca_esempio()?, receipts))
}

fn file_receipts(node: &NodeArgs) -> Arc<dyn ReceiptLog> {
    Arc::new(DirReceipts::new(&node.state_dir))
}

fn print_report(report: &PaymentReport, json: bool) -> anyhow::Result<bool> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        print!("{report}");
    }
    Ok(report.success)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("the async runtime")
}

fn run(cli: Cli) -> anyhow::Result<bool> {
    match cli.command {
        Command::Serve {
            node,
            listen,
            subscription_key,
            public_url,
            persist_receipts,
            workers,
        } => {
            let receipts: Arc<dyn ReceiptLog> = if persist_receipts {
                file_receipts(&node)
            } else {
                Arc::new(MemoryReceipts::new())
            };
            let sim = simulator(&node, receipts)?;
            let checkout = CheckoutSim::new(
                sim,
                CheckoutSettings {
                    subscription_key,
                    public_url,
                },
            );
            actix_web::rt::System::new().block_on(async move {
                let running =
                    checkout::start(&listen, checkout, workers).with_context(|| format!("--listen {listen}"))?;
                for address in &running.addresses {
                    println!("pagopa-sim listening on http://{address} (EC endpoint {})", node.ec_url);
                    println!("  Checkout carts: http://{address}/checkout/ec/v2/carts (and /v1/carts)");
                    println!("  FdR organization API: http://{address}/fdr-org/service/v1 (POST /sim/flows/publish)");
                }
                running.server.await.context("the HTTP server")?;
                Ok(true)
            })
        }
        Command::Pay {
            node,
            ente,
            notice,
            duplicate,
            late_ms,
            abandon,
            stand_in,
            amount,
            second_receipt,
            timeout,
            timeout_after_ms,
            payment_note,
            postal,
            expect_fault,
            lose_receipt,
        } => {
            let ente: EnteId = ente.parse().context("--ente")?;
            let notice: NoticeNumber = notice.parse().context("--notice")?;
            let stand_in_copy = match amount {
                Some(amount) if stand_in => {
                    let amount: AmountCents = amount.parse().context("--amount (e.g. 245.70)")?;
                    Some(NoticeCopy::demo(amount)?)
                }
                Some(_) => bail!("--amount goes with --stand-in"),
                None => None,
            };
            let options = PayOptions {
                duplicate,
                late: late_ms.map(Duration::from_millis),
                abandon,
                stand_in,
                stand_in_copy,
                second_receipt,
                timeout: timeout.then(|| ReceiptTimeout {
                    client_timeout: Duration::from_millis(timeout_after_ms),
                    ..ReceiptTimeout::default()
                }),
                payment_note,
                transfer_type: postal.then_some(TransferType::Postal),
                expect_fault,
                lose_receipt,
            };
            let sim = simulator(&node, file_receipts(&node))?;
            let report = runtime()?.block_on(sim.pay_notice(&ente, &notice, &options));
            print_report(&report, node.json)
        }
        Command::Demand {
            node,
            ente,
            service,
            subject_service,
            values,
            pay,
        } => {
            let ente: EnteId = ente.parse().context("--ente")?;
            let mut map = BTreeMap::new();
            for value in values {
                let (name, value) = value
                    .split_once('=')
                    .ok_or_else(|| anyhow!("--value {value:?}: expected NAME=VALUE"))?;
                map.insert(name.trim().to_owned(), value.to_owned());
            }
            let request = DemandRequest {
                subject_service_id: subject_service,
                ..DemandRequest::new(service, map)
            };
            let sim = simulator(&node, file_receipts(&node))?;
            let options = pay.then(PayOptions::default);
            let report = runtime()?.block_on(sim.demand(&ente, &request, options.as_ref()));
            print_report(&report, node.json)
        }
        Command::ResendReceipt { node, receipt_id, file } => {
            let sim = simulator(&node, file_receipts(&node))?;
            let report = match (receipt_id, file) {
                (_, Some(file)) => {
                    let envelope =
                        std::fs::read_to_string(&file).with_context(|| format!("--file {}", file.display()))?;
                    runtime()?.block_on(sim.resend_receipt_xml(&envelope))
                }
                (Some(id), None) => {
                    let id = id.parse().context("--receipt-id")?;
                    runtime()?.block_on(sim.resend_receipt(&id))
                }
                (None, None) => bail!("--receipt-id or --file is required"),
            };
            print_report(&report, node.json)
        }
        Command::Bench {
            node,
            ente,
            notices_file,
            notices,
            concurrency,
            duration_secs,
        } => {
            let ente: Option<EnteId> = ente.map(|e| e.parse()).transpose().context("--ente")?;
            let text = match notices_file {
                Some(path) => {
                    std::fs::read_to_string(&path).with_context(|| format!("--notices-file {}", path.display()))?
                }
                None => notices.join("\n"),
            };
            let notices = bench::parse_notices(&text, ente.as_ref()).map_err(|e| anyhow!("notices: {e}"))?;
            if notices.is_empty() {
                bail!("no notices to pay");
            }
            // Bench receipts are not kept: thousands of files or megabytes of XML would skew the run.
            let sim = Arc::new(simulator(&node, Arc::new(DiscardReceipts))?);
            let settings = BenchSettings {
                notices,
                concurrency,
                duration: Duration::from_secs(duration_secs),
            };
            let report = runtime()?.block_on(bench::run(sim, settings));
            if node.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{report}");
            }
            Ok(report.is_success())
        }
    }
}
