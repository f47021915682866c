//! Identifiers chosen by the Ente or by pagoPA: short tokens of letters, digits and `._-`.

use std::fmt;
use std::str::FromStr;

/// Why a string is not an identifier of the given kind.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentifierError {
    /// Empty.
    #[error("the {kind} is empty")]
    Empty {
        /// What identifier it was meant to be.
        kind: &'static str,
    },
    /// Longer than allowed.
    #[error("the {kind} has more than {max} characters")]
    TooLong {
        /// What identifier it was meant to be.
        kind: &'static str,
        /// The maximum.
        max: usize,
    },
    /// A character other than letters, digits, `.`, `_` and `-`.
    #[error("the {kind} may contain only letters, digits, '.', '_' and '-'")]
    Character {
        /// What identifier it was meant to be.
        kind: &'static str,
    },
}

macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// The longest such identifier.
            pub const MAX_LEN: usize = $max;

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdentifierError;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                if raw.is_empty() {
                    return Err(IdentifierError::Empty { kind: $kind });
                }
                if raw.len() > $max {
                    return Err(IdentifierError::TooLong { kind: $kind, max: $max });
                }
                if !raw.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) {
                    return Err(IdentifierError::Character { kind: $kind });
                }
                Ok(Self(raw.to_owned()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        crate::value::serde_via_str!($name);
    };
}

identifier!(
    /// The Ente's own identifier of a debt position (IUPD), unique within the Ente; for positions
    /// created from a spontaneous request it is derived from the IUV.
    Iupd,
    "position id (IUPD)",
    50
);
identifier!(
    /// The id of a receipt: the payment token pagoPA assigned (`receiptId`), which reconciliation
    /// flows call IUR. Unique platform-wide.
    ReceiptId,
    "receipt id",
    35
);
identifier!(
    /// The id of a Checkout cart, chosen by us and echoed by the Node as `paymentNote`.
    CartId,
    "cart id",
    64
);
identifier!(
    /// The code of a service in an Ente's spontaneous catalogue.
    ServiceCode,
    "service code",
    35
);
identifier!(
    /// The id of a reconciliation flow (`identificativoFlusso`, FdR's `fdr`): by convention
    /// `<settlement date YYYY-MM-DD><idPSP>-<unique part>`, unique per PSP.
    FlowId,
    "flow id",
    35
);
identifier!(
    /// A pagoPA party id of at most 35 characters: `idBrokerPA`, `idStation`, `idPSP`, `idChannel`.
    PartyId,
    "pagoPA party id",
    35
);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn refusals() {
        assert!(matches!("".parse::<Iupd>(), Err(IdentifierError::Empty { .. })));
        assert!(matches!("a b".parse::<Iupd>(), Err(IdentifierError::Character { .. })));
        assert!(matches!(
            "x".repeat(36).parse::<ReceiptId>(),
            Err(IdentifierError::TooLong { max: 35, .. })
        ));
        assert!("7c1e5a92-3f0b-4d6e-9b84-21a5f0c3d7e6".parse::<CartId>().is_ok());
    }

    proptest! {
        #[test]
        fn round_trips(raw in "[A-Za-z0-9._-]{1,35}") {
            let id: ReceiptId = raw.parse().unwrap();
            prop_assert_eq!(id.as_str(), raw.as_str());
            let json = serde_json::to_string(&id).unwrap();
            prop_assert_eq!(serde_json::from_str::<ReceiptId>(&json).unwrap(), id);
        }
    }
}
