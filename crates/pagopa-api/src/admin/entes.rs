//! The Enti served: list, read, add or change, and their logos. A key limited to some Enti
//! reads and changes only those; adding an Ente needs a key with no limit. Every change is
//! audited with the key's name.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, ContentType, ETAG};
use actix_web::{HttpRequest, HttpResponse, web};
use pagopa_domain::ports::EnteSaved;
use pagopa_domain::{DomainError, EnteLogo, EnteSettings};

use super::ente_in_scope;
use crate::ApiState;
use crate::auth::Operator;
use crate::openapi::Problem;
use crate::preconditions::{IfMatch, content_tag, stale};
use crate::problem::ApiError;

/// The largest logo body accepted.
const MAX_LOGO_BYTES: usize = pagopa_domain::MAX_LOGO_BYTES;

/// `GET /api/v1/admin/entes`: the Enti this key may act on, disabled ones included.
#[utoipa::path(get, path = "/api/v1/admin/entes", tag = "operator", security(("api_key" = [])),
    responses((status = 200, description = "The Enti's settings", body = [crate::doc_types::EnteSettingsDoc]),
        (status = 401, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn list_entes(operator: Operator, state: web::Data<ApiState>) -> Result<HttpResponse, ApiError> {
    let entes = state.services.entes.list().await?;
    let visible: Vec<EnteSettings> = entes
        .iter()
        .filter(|e| operator.0.may_act_on(&e.id))
        .map(EnteSettings::from)
        .collect();
    Ok(HttpResponse::Ok().json(visible))
}

/// `GET /api/v1/admin/entes/{ente}`: one Ente's settings.
#[utoipa::path(get, path = "/api/v1/admin/entes/{ente}", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code")),
    responses((status = 200, description = "The Ente's settings", body = crate::doc_types::EnteSettingsDoc),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn get_ente(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = ente_in_scope(&operator.0, &path)?;
    let ente = state.services.entes.get(&id).await?;
    let settings = serde_json::to_value(EnteSettings::from(&ente)).unwrap_or_default();
    Ok(HttpResponse::Ok()
        .insert_header((ETAG, content_tag(&settings)))
        .json(settings))
}

/// `PUT /api/v1/admin/entes/{ente}`: adds (201, key without Ente limit) or changes (200) an
/// Ente. `enabled = false` stops serving it and keeps its data.
#[utoipa::path(put, path = "/api/v1/admin/entes/{ente}", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code"), ("If-Match" = Option<String>, Header, description = "The `ETag` of the settings as read: changed only if they are still those, else 412")),
    request_body(content = crate::doc_types::EnteSettingsDoc, description = "The Ente's settings; `id` equals the path's"),
    responses((status = 200, description = "Changed (or already so)", body = crate::doc_types::EnteSettingsDoc),
        (status = 201, description = "Added", body = crate::doc_types::EnteSettingsDoc),
        (status = 400, description = "`path_mismatch`", body = Problem),
        (status = 403, description = "`forbidden_ente`: another Ente, or a limited key adding one", body = Problem),
        (status = 412, description = "`precondition_failed`: the settings changed since the `ETag` given", body = Problem),
        (status = 422, description = "`invalid_ente_settings`: the detail names the key", body = Problem)))]
pub(crate) async fn put_ente(
    request: HttpRequest,
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    body: web::Json<EnteSettings>,
) -> Result<HttpResponse, ApiError> {
    let id = ente_in_scope(&operator.0, &path)?;
    let settings = body.into_inner();
    if settings.id != id.as_str() {
        return Err(ApiError::bad_request(
            "path_mismatch",
            "the body's id differs from the path's",
        ));
    }
    let stored = state.ports.entes.get(&id).await.map_err(DomainError::from)?;
    if let Some(if_match) = IfMatch::of(&request)? {
        let current = stored
            .as_ref()
            .map(|e| content_tag(&serde_json::to_value(EnteSettings::from(e)).unwrap_or_default()));
        if !current.is_some_and(|tag| if_match.matches(&tag)) {
            return Err(stale(format!("the settings of Ente {id} changed since the ETag given")));
        }
    }
    let exists = stored.is_some();
    if !exists && !operator.0.entes.is_empty() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden_ente",
            "adding an Ente needs a key that is not limited to some Enti",
        ));
    }
    let (ente, saved) = state.services.entes.put(&settings, &operator.0.name).await?;
    tracing::info!(ente = %ente.id, key = %operator.0.name, ?saved, "Ente settings saved");
    let status = if saved == EnteSaved::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let settings = serde_json::to_value(EnteSettings::from(&ente)).unwrap_or_default();
    Ok(HttpResponse::build(status)
        .insert_header((ETAG, content_tag(&settings)))
        .json(settings))
}

/// `GET /api/v1/admin/entes/{ente}/logo`: the logo printed on the Ente's notices.
#[utoipa::path(get, path = "/api/v1/admin/entes/{ente}/logo", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code")),
    responses((status = 200, description = "The image", content(
            (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/svg+xml"))),
        (status = 404, body = Problem)))]
pub(crate) async fn get_logo(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = ente_in_scope(&operator.0, &path)?;
    let logo = state.services.entes.logo(&id).await?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, logo.format().media_type()))
        .body(logo.bytes().to_vec()))
}

/// `PUT /api/v1/admin/entes/{ente}/logo`: sets the logo (a PNG, JPEG or SVG body, at most
/// 1 MiB), checked by its content.
#[utoipa::path(put, path = "/api/v1/admin/entes/{ente}/logo", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code")),
    request_body(description = "The image", content(
        (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/svg+xml"))),
    responses((status = 204, description = "Stored"), (status = 404, body = Problem), (status = 413, body = Problem),
        (status = 422, description = "`invalid_logo`", body = Problem)))]
pub(crate) async fn put_logo(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id = ente_in_scope(&operator.0, &path)?;
    let declared = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !["image/png", "image/jpeg", "image/svg+xml"]
        .iter()
        .any(|t| declared.starts_with(t))
    {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send image/png, image/jpeg or image/svg+xml",
        ));
    }
    let bytes = match payload.to_bytes_limited(MAX_LOGO_BYTES).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("a logo has at most {MAX_LOGO_BYTES} bytes"),
            ));
        }
        Err(e) => return Err(ApiError::bad_request("invalid_body", e.to_string())),
    };
    let logo = EnteLogo::from_bytes(bytes.to_vec())
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_logo", e))?;
    // A logo that cannot be drawn would fail every notice of the Ente: refused now.
    pagopa_documents::check_logo(&logo)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_logo", e.to_string()))?;
    if !declared.starts_with(logo.format().media_type()) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_logo",
            format!("the body is {}, not {declared}", logo.format().media_type()),
        ));
    }
    state
        .services
        .entes
        .set_logo(&id, Some(&logo), &operator.0.name)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `DELETE /api/v1/admin/entes/{ente}/logo`: notices are printed without a logo.
#[utoipa::path(delete, path = "/api/v1/admin/entes/{ente}/logo", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code")),
    responses((status = 204, description = "Removed"), (status = 404, body = Problem)))]
pub(crate) async fn delete_logo(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = ente_in_scope(&operator.0, &path)?;
    state.services.entes.set_logo(&id, None, &operator.0.name).await?;
    Ok(HttpResponse::NoContent()
        .insert_header(ContentType::plaintext())
        .finish())
}
