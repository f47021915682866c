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

/// A report in the ready body that never makes the service not ready (e.g. the gestionali's
/// circuit breakers).
pub type ReadinessReport = Box<dyn Fn() -> serde_json::Value + Send + Sync>;

/// What `/health/ready` checks besides the database, and the warnings and reports it shows.
/// Give it to the app as `web::Data<Readiness>`.
#[derive(Default)]
pub struct Readiness {
    checks: Vec<(&'static str, ReadinessCheck)>,
    reports: Vec<(&'static str, ReadinessReport)>,
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

    /// Adds a report shown in the ready body under `name`, never a reason to be not ready.
    pub fn report(
        mut self,
        name: &'static str,
        report: impl Fn() -> serde_json::Value + Send + Sync + 'static,
    ) -> Self {
        self.reports.push((name, Box::new(report)));
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
    responses((status = 200, description = "Ready: `status`, the installation's `warnings`, and `gestionali`: each gestionale's circuit breaker (`state` closed, open or half_open, `consecutive_failures`, `open_until`); an open breaker does not make the service not ready"), (status = 503, body = Problem)))]
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
    let mut body = serde_json::json!({ "status": "ready", "warnings": warnings });
    if let Some(readiness) = &readiness {
        for (name, report) in &readiness.reports {
            body[*name] = report();
        }
    }
    HttpResponse::Ok().json(body)
}
