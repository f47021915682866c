//! A pagoPA Node + PSP + Checkout simulator for local runs, demos and end-to-end tests of the
//! Back-End Pagamenti: it calls the Ente's `paForNode` SOAP endpoint as the Node does, pays as a
//! PSP (Banca Esempio, `ABI99999`), and stands in for pagoPA Checkout's carts API.
//!
//! # Library
//!
//! - [`NodeClient`]: SOAP calls to the Ente (`SOAPAction`, optional `X-Node-Secret`, the Node's
//!   timeouts, station ids per Ente — the demo broker/station by default).
//! - [`Simulator`]: the flows. [`Simulator::pay_notice`] (modello 3 with the fault injection of
//!   [`PayOptions`]: duplicate, late, abandon, Stand-In, second receipt, timeout and resend,
//!   lost receipt),
//!   [`Simulator::demand`] (`paDemandPaymentNotice`, then optionally a payment),
//!   [`Simulator::resend_receipt`]. Each returns a [`PaymentReport`].
//! - [`receipt`]: receipts built from the activation data ([`receipt::receipt_from_activation`])
//!   or from the Node's copy in Stand-In; stamps get an `MBDAttachment`.
//! - [`CheckoutSim`]: the Checkout stand-in and the simulator's HTTP API; [`checkout::start`]
//!   binds it.
//! - [`bench`](mod@bench): concurrent modello-3 cycles with per-operation percentiles.
//! - [`flows`]: the reconciliation flows of the receipts sent ([`flows::FlowDesk`]), published
//!   with anomalies on demand and served over the FdR organization REST API; the receipts the
//!   Node lost, served over pagoPA's biz-events receipts API ([`flows::bizevents`]).
//!
//! ```no_run
//! # async fn example() -> anyhow::Result<()> {
//! use std::sync::Arc;
//! use pagopa_sim::{NodeClient, NodeClientSettings, PayOptions, PspProfile, Simulator, MemoryReceipts};
//!
//! let node = NodeClient::new(NodeClientSettings::new("http://127.0.0.1:8080/pagopa/paForNode"))?;
//! let sim = Simulator::new(node, PspProfile::banca_esempio()?, Arc::new(MemoryReceipts::new()));
//! let options = PayOptions { duplicate: true, ..PayOptions::default() };
//! let report = sim.pay_notice(&"80012345676".parse()?, &"305260100000471130".parse()?, &options).await;
//! assert!(report.success, "{report}");
//! # Ok(())
//! # }
//! ```
//!
//! # Command line
//!
//! Every command takes `--ec-url` (default `http://127.0.0.1:8080/pagopa/paForNode`),
//! `--secret` (sent as `X-Node-Secret`, header name via `--secret-header`), `--broker`,
//! `--station`, `--station-for CF=BROKER/STATION`, `--timeout-ms` (one timeout for every call
//! instead of the Node's 7 s / 15 s), `--state-dir` (default `./data/sim`: receipts sent by the
//! commands are kept there as `receipts/<receiptId>.xml`) and `--json` (print the report as
//! JSON). It prints a short report and exits with status 0 when every step answered as
//! expected, 1 on any unexpected outcome, 2 when it could not run (bad arguments, bad URL).
//!
//! ```text
//! # Checkout stand-in (and the /sim API) on 127.0.0.1:8090; point the server's
//! # checkout.base_url at http://127.0.0.1:8090/checkout/ec/v2
//! pagopa-sim serve --listen 127.0.0.1:8090 --ec-url http://127.0.0.1:8080/pagopa/paForNode \
//!     [--subscription-key KEY] [--public-url http://localhost:8090] [--persist-receipts] [--workers 2]
//!
//! # modello 3: verify, paGetPaymentV2, paSendRTV2
//! pagopa-sim pay --ente 80012345676 --notice 305260100000471130
//! # fault injection (combinable): the same receipt twice; a 2 s late receipt; stop after the
//! # activation; Stand-In receipt; a second receipt with another receiptId (expects
//! # PAA_RECEIPT_DUPLICATA); a receipt call timing out after 1 ms, then resent
//! pagopa-sim pay --ente 80012345676 --notice 305260100000471130 --duplicate --late-ms 2000
//! pagopa-sim pay --ente 80012345676 --notice 305260100000471130 --abandon
//! pagopa-sim pay --ente 80012345676 --notice 305260100000471130 --stand-in [--amount 245.70]
//! pagopa-sim pay --ente 80012345676 --notice 305260100000471130 --second-receipt
//! pagopa-sim pay --ente 80012345676 --notice 305260100000471130 --timeout [--timeout-after-ms 1]
//! # the Node loses the receipt: paid, in the flows and the biz-events API, never sent
//! pagopa-sim pay --ente 80012345676 --notice 305260100000471130 --lose-receipt
//! # a notice that must be refused (success = verify or activation answers this fault)
//! pagopa-sim pay --ente 80012345676 --notice <expired notice> --expect-fault PAA_PAGAMENTO_SCADUTO
//!
//! # paDemandPaymentNotice for service 90001 (tesserino funghi), then pay the new notice
//! pagopa-sim demand --ente 80012345676 --service 90001 --value codice_fiscale=VRDGPP80A01B157X \
//!     --value anno_validita=2027 --value tipologia=RESIDENTE --pay
//!
//! # send a kept receipt again (the receiptId printed by pay)
//! pagopa-sim resend-receipt --receipt-id 3f9c0d6e1b2a4c5d8e7f6a5b4c3d2e1f
//!
//! # load: 16 cycles in flight for 20 s, one payable notice each
//! pagopa-sim bench --ente 80012345676 --notices-file notices.txt --concurrency 16 --duration-secs 20 [--json]
//! pagopa-sim bench --ente 80012345676 --notices 305260100000471130,305260700000031811
//! ```
//!
//! The `serve` HTTP API (JSON) is described in [`checkout`]: `POST /sim/carts/{id}/pay`
//! (`late_ms`), `POST /sim/carts/{id}/abandon`, `GET /sim/carts/{id}`, `POST /sim/pay`,
//! `POST /sim/demand`, `GET /sim/receipts`, `POST /sim/receipts/{id}/resend`; `POST /sim/pay`
//! takes `"lose_receipt": true` for a receipt the Node never delivers. The flows' endpoints
//! are in [`flows::http`]: `POST /sim/flows/publish` (optional `regulation_date`),
//! `GET /sim/flows?ente=CF`, the FdR organization API at
//! `http://<listen>/fdr-org/service/v1` (the back end's `fdr.base_url`; any non-empty
//! subscription key), and the biz-events receipts API at
//! `http://<listen>/bizevents/service/v1`:
//! `GET /organizations/{organizationfiscalcode}/receipts/{iur}/paymentoptions/{iuv}` answers
//! the `CtReceiptModelResponse` of a lost receipt (any non-empty subscription key).

pub mod bench;
pub mod checkout;
pub mod flows;
pub mod node_client;
pub mod psp;
pub mod receipt;
pub mod report;
pub mod store;

pub use checkout::{CheckoutSettings, CheckoutSim};
pub use node_client::{CallError, Exchange, NodeClient, NodeClientError, NodeClientSettings, Stations};
pub use psp::{DemandRequest, PayOptions, ReceiptTimeout, Simulator};
pub use receipt::{NoticeCopy, PspProfile};
pub use report::{Outcome, PaymentReport, StepReport};
pub use store::{DirReceipts, DiscardReceipts, MemoryReceipts, ReceiptLog};
