//! The pagoPA side of the Back-End Pagamenti.
//!
//! - [`soap`]: the `paForNode` SOAP 1.1 interface the pagoPA Node calls (modello 3 and the
//!   activations of Checkout carts): a codec from the XML to the domain's requests and back, and
//!   an actix-web endpoint over [`pagopa_domain::services::NodeOperations`].
//! - [`checkout`]: the client of pagoPA Checkout's carts API (modello 1), the domain's
//!   [`pagopa_domain::ports::PagoPaCheckout`].
//! - [`fdr`]: the client of the FdR REST API (reconciliation flows published by the PSPs): the
//!   list of published flows, a flow's header and its payments, each page kept raw.
//! - [`flow_xml`]: the `FlussoRiversamento` XML of a reconciliation flow, read strictly into the
//!   domain's [`pagopa_domain::model::FlowRevision`] and written back valid against its schema.
//! - [`flow_soap`]: the `nodeForPa` SOAP client of the reconciliation flows
//!   (`nodoChiediElencoFlussiRendicontazione`, `nodoChiediFlussoRendicontazione`) for stations
//!   not on the FdR REST API, the domain's [`pagopa_domain::ports::FlowSource`].
//! - [`bizevents`]: the client of pagoPA's receipts service, reading back a receipt the Node
//!   never delivered, the domain's [`pagopa_domain::ports::ReceiptSource`].

pub mod bizevents;
pub mod checkout;
pub mod fdr;
pub mod flow_soap;
pub mod flow_xml;
pub mod soap;
pub mod xml;
