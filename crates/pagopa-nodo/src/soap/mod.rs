//! The `paForNode` SOAP 1.1 interface (document/literal) the pagoPA Node calls.
//!
//! - [`decode`]: envelope → [`NodeRequest`], checking the schema's structure and facets; a
//!   request that breaks them is a [`DecodeError`] carrying `PAA_SINTASSI_XSD`.
//! - [`encode`]: the responses, valid against `paForNode.xsd`, errors in band (`outcome` KO and a
//!   `fault`).
//! - [`node`]: the other side, as the Node speaks: requests built from domain values and
//!   responses read back, for simulators and tests.
//! - [`endpoint`]: the actix-web handler over [`pagopa_domain::services::NodeOperations`].

mod auth;
pub mod decode;
pub mod encode;
pub mod endpoint;
pub mod node;
pub(crate) mod time;

pub use time::italian_date;

use std::fmt;
use std::str::FromStr;

pub use auth::{AddressBlock, NodeAuth};
pub use decode::{DecodeError, NodeRequest, decode_request};
pub use endpoint::{SoapEndpoint, SoapSettings};

/// The SOAP 1.1 envelope namespace.
pub const SOAP_ENVELOPE_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// The namespace of the `paForNode` request and response elements.
pub const PA_FOR_NODE_NS: &str = "http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd";

/// A `paForNode` operation; its name is also the `SOAPAction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `paVerifyPaymentNotice`.
    VerifyPaymentNotice,
    /// `paGetPayment` (V1 activation).
    GetPayment,
    /// `paGetPaymentV2`.
    GetPaymentV2,
    /// `paSendRT` (V1 receipt).
    SendRt,
    /// `paSendRTV2`.
    SendRtV2,
    /// `paDemandPaymentNotice`.
    DemandPaymentNotice,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Operation; 6] = [
        Self::VerifyPaymentNotice,
        Self::GetPayment,
        Self::GetPaymentV2,
        Self::SendRt,
        Self::SendRtV2,
        Self::DemandPaymentNotice,
    ];

    /// The operation name (= `SOAPAction`).
    pub fn name(self) -> &'static str {
        match self {
            Self::VerifyPaymentNotice => "paVerifyPaymentNotice",
            Self::GetPayment => "paGetPayment",
            Self::GetPaymentV2 => "paGetPaymentV2",
            Self::SendRt => "paSendRT",
            Self::SendRtV2 => "paSendRTV2",
            Self::DemandPaymentNotice => "paDemandPaymentNotice",
        }
    }

    /// The local name of the request element.
    pub fn request_element(self) -> &'static str {
        match self {
            Self::VerifyPaymentNotice => "paVerifyPaymentNoticeReq",
            Self::GetPayment => "paGetPaymentReq",
            Self::GetPaymentV2 => "paGetPaymentV2Request",
            Self::SendRt => "paSendRTReq",
            Self::SendRtV2 => "paSendRTV2Request",
            Self::DemandPaymentNotice => "paDemandPaymentNoticeRequest",
        }
    }

    /// The local name of the response element.
    pub fn response_element(self) -> &'static str {
        match self {
            Self::VerifyPaymentNotice => "paVerifyPaymentNoticeRes",
            Self::GetPayment => "paGetPaymentRes",
            Self::GetPaymentV2 => "paGetPaymentV2Response",
            Self::SendRt => "paSendRTRes",
            Self::SendRtV2 => "paSendRTV2Response",
            Self::DemandPaymentNotice => "paDemandPaymentNoticeResponse",
        }
    }

    /// The operation whose request element has this local name.
    pub fn from_request_element(local_name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.request_element() == local_name)
    }

    /// The operation named by a `SOAPAction` header value (quotes and any namespace or path
    /// before the name are ignored).
    pub fn from_soap_action(action: &str) -> Option<Self> {
        let action = action.trim().trim_matches('"');
        let name = action.rsplit(['/', '#']).next().unwrap_or(action);
        name.parse().ok()
    }
}

impl FromStr for Operation {
    type Err = ();

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|op| op.name() == name).ok_or(())
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soap_actions() {
        assert_eq!(Operation::from_soap_action("\"paSendRTV2\""), Some(Operation::SendRtV2));
        assert_eq!(
            Operation::from_soap_action("http://pagopa-api.pagopa.gov.it/paForNode/paGetPaymentV2"),
            Some(Operation::GetPaymentV2)
        );
        assert_eq!(Operation::from_soap_action("nodoInviaRPT"), None);
        for op in Operation::ALL {
            assert_eq!(Operation::from_request_element(op.request_element()), Some(op));
        }
    }
}
