//! The spontaneous catalogue.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use pagopa_domain::{DomainError, SpontaneousService};

use super::ente_in_scope;
use crate::ApiState;
use crate::auth::Operator;
use crate::openapi::Problem;
use crate::problem::ApiError;

/// `PUT /api/v1/admin/entes/{ente}/services/{code}`: adds or replaces a catalogue service,
/// after checking its definition.
#[utoipa::path(put, path = "/api/v1/admin/entes/{ente}/services/{code}", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code"), ("code" = String, Path, description = "The service code")),
    request_body(content = Object, description = "A catalogue service (pagopa_domain::SpontaneousService)"),
    responses((status = 200, description = "The stored service", body = Object), (status = 422, description = "`invalid_service`", body = Problem)))]
pub(crate) async fn put_service(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
    body: web::Json<SpontaneousService>,
) -> Result<HttpResponse, ApiError> {
    let ente_id = ente_in_scope(&operator.0, &path.0)?;
    let service = body.into_inner();
    if service.ente != ente_id || service.code.as_str() != path.1 {
        return Err(ApiError::bad_request(
            "path_mismatch",
            "the body's Ente and code differ from the path's",
        ));
    }
    let ente = state
        .ports
        .entes
        .get(&ente_id)
        .await
        .map_err(DomainError::from)?
        .ok_or_else(|| ApiError::from(DomainError::UnknownEnte(ente_id.clone())))?;
    service
        .validate(&ente)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_service", e.to_string()))?;
    state
        .ports
        .catalogue
        .upsert(&service)
        .await
        .map_err(DomainError::from)?;
    Ok(HttpResponse::Ok().json(service))
}
