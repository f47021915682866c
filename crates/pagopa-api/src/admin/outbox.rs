//! Gestionale notifications in the outbox.

use actix_web::{HttpResponse, web};
use pagopa_domain::DomainError;

use crate::ApiState;
use crate::auth::Operator;
use crate::openapi::Problem;
use crate::problem::ApiError;

/// `POST /api/v1/admin/outbox/{id}/replay`: delivers a message to the gestionale again.
#[utoipa::path(post, path = "/api/v1/admin/outbox/{id}/replay", tag = "operator", security(("api_key" = [])),
    params(("id" = u64, Path, description = "The outbox message", minimum = 1, maximum = 9223372036854775807_u64)),
    responses((status = 202, description = "Queued for delivery again"), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn replay_outbox(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<u64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    // Message ids are positive 63-bit integers in storage: a larger one names nothing.
    if id == 0 || id > i64::MAX as u64 {
        return Err(ApiError::not_found(format!("outbox message {id}")));
    }
    let message = state
        .ports
        .outbox
        .get(id)
        .await
        .map_err(DomainError::from)?
        .ok_or_else(|| ApiError::not_found(format!("outbox message {id}")))?;
    operator.0.check_ente(message.event.ente())?;
    state
        .ports
        .outbox
        .replay(id, state.ports.clock.now())
        .await
        .map_err(DomainError::from)?;
    Ok(HttpResponse::Accepted().json(serde_json::json!({ "id": id, "status": "replayed" })))
}
