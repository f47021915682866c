//! RFC 9457 problem details: every error the API returns, with a stable `code`.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use pagopa_domain::ports::{CheckoutError, GestionaleError};
use pagopa_domain::{DomainError, FieldError};

/// The media type of problem details.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error as the API reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code (`invalid_form`, `notice_not_found`, …).
    pub code: &'static str,
    /// Human-readable explanation of this occurrence.
    pub detail: String,
    /// Problems with single form fields, for `invalid_form`.
    pub errors: Vec<FieldError>,
}

#[derive(serde::Serialize)]
struct ProblemBody<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    code: &'a str,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    errors: &'a [FieldError],
}

impl ApiError {
    /// An error with a status, a code and a detail.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    /// 400 with the given code.
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    /// The response body.
    pub fn body(&self) -> String {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let body = ProblemBody {
            kind: format!("urn:pagopa-backend:problem:{}", self.code),
            title,
            status: self.status.as_u16(),
            detail: &self.detail,
            code: self.code,
            errors: &self.errors,
        };
        serde_json::to_string(&body).unwrap_or_else(|_| String::from("{}"))
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status).body(self.body());
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        use StatusCode as S;
        let detail = error.to_string();
        match error {
            DomainError::InvalidForm(errors) => Self {
                status: S::UNPROCESSABLE_ENTITY,
                code: "invalid_form",
                detail,
                errors,
            },
            DomainError::UnknownEnte(_) => Self::new(S::NOT_FOUND, "unknown_ente", detail),
            DomainError::UnknownNotice(_) => Self::new(S::NOT_FOUND, "notice_not_found", detail),
            DomainError::NotFound(_) => Self::new(S::NOT_FOUND, "not_found", detail),
            DomainError::PreconditionFailed(_) => Self::new(S::PRECONDITION_FAILED, "precondition_failed", detail),
            DomainError::InvalidEnteSettings(_) => Self::new(S::UNPROCESSABLE_ENTITY, "invalid_ente_settings", detail),
            DomainError::Expired(_) => Self::new(S::CONFLICT, "notice_expired", detail),
            DomainError::Cancelled(_) => Self::new(S::CONFLICT, "notice_cancelled", detail),
            DomainError::AlreadyPaid(_) => Self::new(S::CONFLICT, "notice_paid", detail),
            DomainError::PaymentInProgress(_) => Self::new(S::CONFLICT, "payment_in_progress", detail),
            DomainError::ServiceInactive(_) => Self::new(S::CONFLICT, "service_inactive", detail),
            DomainError::Conflict(_) => Self::new(S::CONFLICT, "concurrent_change", detail),
            DomainError::InvalidPosition(_) => Self::new(S::UNPROCESSABLE_ENTITY, "invalid_position", detail),
            DomainError::InvalidCart(_) => Self::new(S::UNPROCESSABLE_ENTITY, "invalid_cart", detail),
            DomainError::Pricing(_) => Self::new(S::UNPROCESSABLE_ENTITY, "cannot_price", detail),
            DomainError::Semantic(_) => Self::new(S::UNPROCESSABLE_ENTITY, "invalid_request", detail),
            DomainError::Gestionale(GestionaleError::Rejected { reason, .. }) => {
                Self::new(S::UNPROCESSABLE_ENTITY, "refused_by_gestionale", reason)
            }
            DomainError::Gestionale(_) => {
                tracing::warn!(error = %detail, "gestionale failure");
                Self::new(
                    S::BAD_GATEWAY,
                    "gestionale_unavailable",
                    "the Ente's back office is unavailable, try again later",
                )
            }
            DomainError::Checkout(CheckoutError::Rejected { detail: reason, .. }) => {
                Self::new(S::UNPROCESSABLE_ENTITY, "refused_by_checkout", reason)
            }
            DomainError::Checkout(_) => {
                Self::new(S::BAD_GATEWAY, "checkout_unavailable", "pagoPA Checkout is unavailable")
            }
            DomainError::Storage(source) => {
                tracing::error!(error = ?source, "storage failure");
                Self::new(
                    S::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    "the service is temporarily unavailable",
                )
            }
            DomainError::IuvExhausted(_) => {
                tracing::error!(error = %detail, "IUV space exhausted");
                Self::new(S::SERVICE_UNAVAILABLE, "iuv_exhausted", detail)
            }
            DomainError::InvalidFlow(_) => Self::new(S::UNPROCESSABLE_ENTITY, "invalid_flow", detail),
            DomainError::FlowSource(_) => {
                tracing::warn!(error = %detail, "flow source failure");
                Self::new(S::BAD_GATEWAY, "flow_source_unavailable", detail)
            }
            other => Self::new(S::BAD_REQUEST, "invalid_request", other.to_string()),
        }
    }
}

/// Parses a path or query value into a value type, or answers 400 with `code`.
pub(crate) fn parse<T: std::str::FromStr>(raw: &str, code: &'static str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    raw.parse()
        .map_err(|e: T::Err| ApiError::bad_request(code, e.to_string()))
}

/// [`parse`] for an optional value (absent or empty means `None`).
pub(crate) fn parse_optional<T: std::str::FromStr>(
    raw: &Option<String>,
    code: &'static str,
) -> Result<Option<T>, ApiError>
where
    T::Err: std::fmt::Display,
{
    raw.as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| parse(s, code))
        .transpose()
}
