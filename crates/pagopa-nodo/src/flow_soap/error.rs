//! The calls of the `nodeForPa` flows client, the `fault`s the Node answers, and why a call
//! gave no usable answer.

use super::*;

/// A `nodeForPa` operation this client calls; its name is also the `SOAPAction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NodoCall {
    /// `nodoChiediElencoFlussiRendicontazione`.
    ListFlows,
    /// `nodoChiediFlussoRendicontazione`.
    Flow,
}

impl NodoCall {
    /// The operation's name (= `SOAPAction`, = the request element).
    pub fn name(self) -> &'static str {
        match self {
            Self::ListFlows => "nodoChiediElencoFlussiRendicontazione",
            Self::Flow => "nodoChiediFlussoRendicontazione",
        }
    }

    /// The local name of the response element.
    pub fn response_element(self) -> &'static str {
        match self {
            Self::ListFlows => "nodoChiediElencoFlussiRendicontazioneRisposta",
            Self::Flow => "nodoChiediFlussoRendicontazioneRisposta",
        }
    }
}

impl fmt::Display for NodoCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `fault` (`ctFaultBean`) the Node answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodoFault {
    /// `faultCode` (`PPT_…`).
    pub code: String,
    /// `faultString`.
    pub string: String,
    /// `description`, if given.
    pub description: Option<String>,
}

/// Why a `nodeForPa` call gave no usable answer. Never holds the password or the key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodoError {
    /// No answer, or an error status without a SOAP fault.
    #[error("the {call} call failed")]
    Http {
        /// The call.
        call: NodoCall,
        /// Why.
        #[source]
        source: HttpError,
    },
    /// The answer's `fault`.
    #[error("the Node answered {call} with fault {}: {}{}", .fault.code, .fault.string,
        .fault.description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Fault {
        /// The call.
        call: NodoCall,
        /// The fault.
        fault: NodoFault,
    },
    /// A SOAP 1.1 `Fault`.
    #[error("the Node answered {call} with SOAP fault {code}: {string}")]
    SoapFault {
        /// The call.
        call: NodoCall,
        /// `faultcode`, as written (`soap:Server`).
        code: String,
        /// `faultstring`.
        string: String,
    },
    /// An answer that is not of the schema.
    #[error("the Node's answer to {call} is not of nodeForPa.xsd: {problem}")]
    Answer {
        /// The call.
        call: NodoCall,
        /// What is wrong, with the element's path.
        problem: String,
    },
    /// `xmlRendicontazione` is not base64.
    #[error("the xmlRendicontazione of flow {flow_id} is not base64: {problem}")]
    Base64 {
        /// The flow asked for.
        flow_id: String,
        /// The decoder's message.
        problem: String,
    },
    /// `xmlRendicontazione` is not a flow, or not the one asked for.
    #[error("flow {flow_id} from the Node: {source}")]
    Flow {
        /// The flow asked for.
        flow_id: String,
        /// Why.
        #[source]
        source: FlowError,
    },
}

impl NodoError {
    /// Whether trying later may help: a transport failure or status [`HttpError::is_transient`]
    /// says so, a fault of [`TRANSIENT_FAULTS`] or one naming a timeout, a `soap:Server` fault.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Http { source, .. } => source.is_transient(),
            Self::Fault { fault, .. } => {
                TRANSIENT_FAULTS.contains(&fault.code.as_str()) || fault.code.to_ascii_uppercase().contains("TIMEOUT")
            }
            Self::SoapFault { code, .. } => code.rsplit(':').next() == Some("Server"),
            Self::Answer { .. } | Self::Base64 { .. } | Self::Flow { .. } => false,
        }
    }
}

impl From<NodoError> for FlowSourceError {
    fn from(error: NodoError) -> Self {
        FlowSourceError {
            message: cause_chain(&error),
            transient: error.is_transient(),
            source: Some(Box::new(error)),
        }
    }
}
