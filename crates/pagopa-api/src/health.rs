//! Health probes: `/health/live` (the process answers) and `/health/ready` (the database
//! answers and every check the binary registered in [`Readiness`] passes). The ready body
//! carries the installation's warnings (e.g. a Node endpoint open to anonymous callers).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use crate::ApiState;
use crate::openapi::Problem;
use crate::problem::ApiError;

/// A readiness check: `Err` with the reason while the service cannot do its work.
pub type ReadinessCheck = Box<dyn Fn() -> Result<(), String> + Send + Sync>;

/// What `/health/ready` checks besides the database, and the warnings it reports. Give it to
/// the app as `web::Data<Readiness>`.
#[derive(Default)]
pub struct Readiness {
    checks: Vec<(&'static str, ReadinessCheck)>,
    warnings: Vec<String>,
}

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readiness")
            .field("checks", &self.checks.iter().map(|(name, _)| *name).collect::<Vec<_>>())
            .field("warnings", &self.warnings)
            .finish()
    }
}

impl Readiness {
    /// Adds a check named `name`.
    pub fn check(mut self, name: &'static str, check: impl Fn() -> Result<(), String> + Send + Sync + 'static) -> Self {
        self.checks.push((name, Box::new(check)));
        self
    }

    /// Adds a warning shown in the ready body.
    pub fn warn(mut self, warning: impl Into<String>) -> Self {
        self.warnings.push(warning.into());
        self
    }

    fn failures(&self) -> Vec<String> {
        self.checks
            .iter()
            .filter_map(|(name, check)| check().err().map(|why| format!("{name}: {why}")))
            .collect()
    }
}

/// `GET /health/live`: the process answers.
#[utoipa::path(get, path = "/health/live", tag = "operations", responses((status = 200, description = "The process answers")))]
pub(crate) async fn live() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "live" }))
}

/// `GET /health/ready`: the database answers and the registered checks pass.
#[utoipa::path(get, path = "/health/ready", tag = "operations",
    responses((status = 200, description = "Ready: `status` and the installation's `warnings`"), (status = 503, body = Problem)))]
pub(crate) async fn ready(state: web::Data<ApiState>, readiness: Option<web::Data<Readiness>>) -> HttpResponse {
    let not_ready = |detail: String| {
        actix_web::ResponseError::error_response(&ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", detail))
    };
    if let Err(error) = state.ports.entes.list().await {
        tracing::warn!(error = %error, "readiness check failed");
        return not_ready("the database does not answer".into());
    }
    let (failures, warnings) = match &readiness {
        Some(r) => (r.failures(), r.warnings.clone()),
        None => (Vec::new(), Vec::new()),
    };
    if !failures.is_empty() {
        tracing::warn!(?failures, "not ready");
        return not_ready(failures.join("; "));
    }
    HttpResponse::Ok().json(serde_json::json!({ "status": "ready", "warnings": warnings }))
}
