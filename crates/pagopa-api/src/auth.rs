//! API-key authentication: keys are stored as SHA-256 hashes, each with a role and the Enti it
//! may act on. Handlers take an extractor ([`FrontEnd`], [`Operator`]), so their signature says
//! who may call them.

use std::collections::HashMap;
use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, web};
use pagopa_domain::EnteId;
use sha2::{Digest, Sha256};

use crate::problem::ApiError;

/// The header that carries the API key.
pub const API_KEY_HEADER: &str = "x-api-key";

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The citizen Front-End.
    FrontEnd,
    /// An operator of one or more Enti.
    Operator,
    /// An Ente's gestionale: reads its Enti's pull feed.
    Gestionale,
}

/// Who called, once the key is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The key's name (for logs; never the key).
    pub name: String,
    /// Its role.
    pub role: Role,
    /// The Enti it may act on; empty means every Ente.
    pub entes: Vec<EnteId>,
}

impl Principal {
    /// Whether the key may act on `ente`.
    pub fn may_act_on(&self, ente: &EnteId) -> bool {
        self.entes.is_empty() || self.entes.contains(ente)
    }

    /// `Ok` if the key may act on `ente`, else 403.
    pub fn check_ente(&self, ente: &EnteId) -> Result<(), ApiError> {
        if self.may_act_on(ente) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden_ente",
                format!("this key may not act on Ente {ente}"),
            ))
        }
    }
}

/// A key as provisioned: its hash, never the key itself.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApiKeyEntry {
    /// A name for logs.
    pub name: String,
    /// Hex SHA-256 of the key ([`ApiKeys::hash`]).
    pub sha256: String,
    /// Its role.
    pub role: Role,
    /// The Enti it may act on; empty for all.
    #[serde(default)]
    pub entes: Vec<EnteId>,
}

/// The provisioned keys, looked up by hash.
#[derive(Clone, Debug, Default)]
pub struct ApiKeys {
    by_hash: Arc<HashMap<[u8; 32], Principal>>,
}

/// A provisioned key whose hash is not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadKeyHash(pub String);

impl std::fmt::Display for BadKeyHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the sha256 of API key '{}' is not 64 hex digits", self.0)
    }
}

impl std::error::Error for BadKeyHash {}

impl ApiKeys {
    /// The hex SHA-256 of a key, as provisioned in configuration.
    pub fn hash(key: &str) -> String {
        hex::encode(Sha256::digest(key.as_bytes()))
    }

    /// The registry of `entries`.
    pub fn new(entries: &[ApiKeyEntry]) -> Result<Self, BadKeyHash> {
        let mut by_hash = HashMap::new();
        for entry in entries {
            let bytes = hex::decode(entry.sha256.trim()).map_err(|_| BadKeyHash(entry.name.clone()))?;
            let digest: [u8; 32] = bytes.try_into().map_err(|_| BadKeyHash(entry.name.clone()))?;
            by_hash.insert(
                digest,
                Principal {
                    name: entry.name.clone(),
                    role: entry.role,
                    entes: entry.entes.clone(),
                },
            );
        }
        Ok(Self {
            by_hash: Arc::new(by_hash),
        })
    }

    /// The principal of a presented key.
    pub fn find(&self, key: &str) -> Option<&Principal> {
        let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        self.by_hash.get(&digest)
    }

    /// How many keys are provisioned.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether no key is provisioned.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }
}

pub(crate) fn authenticate(request: &HttpRequest, allowed: &[Role]) -> Result<Principal, ApiError> {
    let keys = request.app_data::<web::Data<ApiKeys>>().ok_or_else(|| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "not_configured",
            "no API keys configured",
        )
    })?;
    let presented = request
        .headers()
        .get(API_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "an X-API-Key header is required",
            )
        })?;
    let principal = keys
        .find(presented)
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "the API key is not valid"))?;
    if !allowed.contains(&principal.role) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden_role",
            "this key's role may not call this operation",
        ));
    }
    Ok(principal.clone())
}

macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, [$($role:expr),+]) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name(pub Principal);

        impl FromRequest for $name {
            type Error = ApiError;
            type Future = Ready<Result<Self, ApiError>>;

            fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
                ready(authenticate(request, &[$($role),+]).map($name))
            }
        }
    };
}

role_extractor!(
    /// A caller with a Front-End key.
    FrontEnd,
    [Role::FrontEnd]
);
role_extractor!(
    /// A caller with an operator key.
    Operator,
    [Role::Operator]
);
role_extractor!(
    /// A reader of an Ente's pull feed: an operator key or a gestionale key, within its Enti.
    FeedReader,
    [Role::Operator, Role::Gestionale]
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_by_hash_only() {
        let entry = ApiKeyEntry {
            name: "fe".into(),
            sha256: ApiKeys::hash("s3cret"),
            role: Role::FrontEnd,
            entes: vec![],
        };
        let keys = ApiKeys::new(&[entry]).unwrap();
        assert_eq!(keys.find("s3cret").map(|p| p.role), Some(Role::FrontEnd));
        assert!(keys.find("s3cret ").is_none());
        assert!(
            ApiKeys::new(&[ApiKeyEntry {
                name: "bad".into(),
                sha256: "xyz".into(),
                role: Role::Operator,
                entes: vec![]
            }])
            .is_err()
        );
    }
}
