//! Flows: uploaded as XML, listed, read with their lines; the fetch from pagoPA.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use pagopa_domain::ports::{FlowCursor, FlowQuery};
use pagopa_domain::{DomainError, FetchedFlow, FlowKey, FlowOrigin, FlowStatus, PartyId, RawDocument};

use super::{ReconciliationTools, media_type, read_body, served, tools};
use crate::ApiState;
use crate::auth::Operator;
use crate::openapi::Problem;
use crate::problem::{ApiError, parse, parse_optional};

/// `POST /api/v1/admin/entes/{ente}/flows`: a `FlussoRiversamento` obtained elsewhere.
#[utoipa::path(post, path = "/api/v1/admin/entes/{ente}/flows", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code (the flow's `istitutoRicevente`)")),
    request_body(description = "A FlussoRiversamento document (FlussoRiversamento_1_0_4.xsd)", content((String = "application/xml"))),
    responses((status = 201, description = "Stored and matched: `key`, `revision`, `stored` (`new`), `status`, `matched`, `anomalies` (`opened`, `kept`, `cleared`)", body = Object),
        (status = 200, description = "This revision was stored before (`stored` is `already_stored` or `older`)", body = Object),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem),
        (status = 422, description = "`invalid_flow`: not a valid flow, or a flow of another Ente (`ente_mismatch`)", body = Problem)))]
pub(crate) async fn upload_flow(
    operator: Operator,
    state: web::Data<ApiState>,
    tools_data: Option<web::Data<ReconciliationTools>>,
    path: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let tools = tools(tools_data)?;
    let ente = served(&operator, &state, &path).await?;
    let media = media_type(&request);
    if !matches!(media.as_str(), "application/xml" | "text/xml") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("a flow is application/xml, not {media:?}"),
        ));
    }
    let body = read_body(payload).await?;
    let flow = (tools.decode_flow)(&body)
        .map_err(|why| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_flow", why))?;
    if flow.key.ente != ente {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "ente_mismatch",
            format!("the flow pays Ente {}, not {ente}", flow.key.ente),
        ));
    }
    let raw = RawDocument {
        part: "xml".into(),
        media_type: "application/xml".into(),
        body: String::from_utf8(body).map_err(|_| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_flow",
                "the flow is not UTF-8",
            )
        })?,
    };
    let fetched = FetchedFlow { flow, raw: vec![raw] };
    let report = state
        .services
        .reconciliation
        .ingest(&fetched, FlowOrigin::Upload)
        .await?;
    let location = flow_location(&report.key);
    let status = if report.stored == "new" {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status)
        .insert_header((LOCATION, location))
        .json(report))
}

fn flow_location(key: &FlowKey) -> String {
    format!("/api/v1/admin/entes/{}/flows/{}/{}", key.ente, key.psp, key.flow_id)
}

/// Query of the flow listing.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FlowListing {
    psp: Option<String>,
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    #[serde(default)]
    all_revisions: bool,
    after: Option<String>,
    limit: Option<u32>,
}

/// `GET /api/v1/admin/entes/{ente}/flows`: flows, newest settlement first.
#[utoipa::path(get, path = "/api/v1/admin/entes/{ente}/flows", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code"),
        ("psp" = Option<String>, Query, description = "Only this PSP's"),
        ("status" = Option<String>, Query, description = "`received`, `reconciled`, `anomalous`, `cashed` or `superseded`"),
        ("from" = Option<String>, Query, description = "Settlement day from (YYYY-MM-DD)"),
        ("to" = Option<String>, Query, description = "Settlement day to (YYYY-MM-DD)"),
        ("all_revisions" = Option<bool>, Query, description = "Older revisions too"),
        ("after" = Option<String>, Query, description = "The `next` of the previous page"),
        ("limit" = Option<u32>, Query, description = "Flows per page, 1 to 1000 (100)")),
    responses((status = 200, description = "`items` (key, revision, current, origin, status, totals, credit) and `next` when there is more", body = Object),
        (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn list_flows(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    query: web::Query<FlowListing>,
) -> Result<HttpResponse, ApiError> {
    let ente = served(&operator, &state, &path).await?;
    let q = query.into_inner();
    let status = q
        .status
        .as_deref()
        .filter(|raw| !raw.is_empty())
        .map(|raw| {
            FlowStatus::parse(raw)
                .ok_or_else(|| ApiError::bad_request("invalid_query", format!("unknown flow status {raw:?}")))
        })
        .transpose()?;
    let after = q
        .after
        .as_deref()
        .filter(|raw| !raw.is_empty())
        .map(|raw| {
            serde_json::from_str::<FlowCursor>(raw)
                .map_err(|_| ApiError::bad_request("invalid_query", "after is the `next` of a previous page"))
        })
        .transpose()?;
    let flows = FlowQuery {
        ente: Some(ente),
        psp: parse_optional::<PartyId>(&q.psp, "invalid_query")?,
        status,
        from: super::day(&q.from, "from")?,
        to: super::day(&q.to, "to")?,
        current_only: !q.all_revisions,
        after,
        limit: super::super::page_limit(q.limit)?,
    };
    let page = state
        .ports
        .reconciliation
        .flows(&flows)
        .await
        .map_err(DomainError::from)?;
    let mut body = serde_json::json!({ "items": page.items });
    if let Some(next) = page.next {
        body["next"] = serde_json::Value::String(serde_json::to_string(&next).unwrap_or_default());
    }
    Ok(HttpResponse::Ok().json(body))
}

/// Query of one flow.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FlowRead {
    revision: Option<u32>,
}

/// `GET /api/v1/admin/entes/{ente}/flows/{psp}/{flow}`: a flow with its lines and how each matched.
#[utoipa::path(get, path = "/api/v1/admin/entes/{ente}/flows/{psp}/{flow}", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code"),
        ("psp" = String, Path, description = "The PSP's id"),
        ("flow" = String, Path, description = "The flow id"),
        ("revision" = Option<u32>, Query, description = "A revision; the current one when absent")),
    responses((status = 200, description = "`summary`, `flow` (header and `lines`), `matches` (one per line), `revisions`", body = Object),
        (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn get_flow(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<(String, String, String)>,
    query: web::Query<FlowRead>,
) -> Result<HttpResponse, ApiError> {
    let (ente, psp, flow_id) = path.into_inner();
    let ente = served(&operator, &state, &ente).await?;
    let key = FlowKey {
        ente,
        psp: parse(&psp, "invalid_path")?,
        flow_id: parse(&flow_id, "invalid_path")?,
    };
    let repo = &state.ports.reconciliation;
    let stored = repo
        .flow(&key, query.revision)
        .await
        .map_err(DomainError::from)?
        .ok_or_else(|| ApiError::not_found(format!("flow {} of PSP {}", key.flow_id, key.psp)))?;
    let revisions = repo.flow_revisions(&key).await.map_err(DomainError::from)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "summary": stored.summary,
        "flow": stored.flow,
        "matches": stored.matches,
        "revisions": revisions,
    })))
}

/// `POST /api/v1/admin/entes/{ente}/flows/fetch`: fetch the Ente's flows from pagoPA now.
#[utoipa::path(post, path = "/api/v1/admin/entes/{ente}/flows/fetch", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code")),
    responses((status = 202, description = "Started in the background; `Location` is the fetch state", body = Object),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "`no_flow_source`: no flow source is configured (flows come by upload only)", body = Problem)))]
pub(crate) async fn trigger_fetch(
    operator: Operator,
    state: web::Data<ApiState>,
    tools_data: Option<web::Data<ReconciliationTools>>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let tools = tools(tools_data)?;
    let ente = served(&operator, &state, &path).await?;
    // Not a failure of the server: this installation takes flows by upload only.
    let Some(source) = tools.source.clone() else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "no_flow_source",
            "no flow source is configured ([reconciliation] fdr or soap): flows come by upload only",
        ));
    };
    let service = state.services.reconciliation.clone();
    let (worker, schedule) = (tools.worker.clone(), tools.schedule);
    let fetched = ente.clone();
    tokio::spawn(async move {
        match service
            .fetch_due(&fetched, source.as_ref(), &worker, &schedule, true)
            .await
        {
            Ok(Some(outcome)) => tracing::info!(ente = %fetched, listed = outcome.listed, fetched = outcome.fetched,
                failed = outcome.failed.len(), "flows fetched on request"),
            Ok(None) => tracing::info!(ente = %fetched, "a fetch of this Ente is already running"),
            Err(error) => {
                tracing::warn!(ente = %fetched, error = %pagopa_domain::cause_chain(&error), "fetch on request failed")
            }
        }
    });
    Ok(HttpResponse::Accepted()
        .insert_header((LOCATION, format!("/api/v1/admin/entes/{ente}/flows/fetch")))
        .json(serde_json::json!({ "ente": ente, "started": true })))
}

/// `GET /api/v1/admin/entes/{ente}/flows/fetch`: the state of the Ente's scheduled fetch.
#[utoipa::path(get, path = "/api/v1/admin/entes/{ente}/flows/fetch", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code")),
    responses((status = 200, description = "`cursor`, `next_at`, `failures`, `last_error`, `last_success`", body = Object),
        (status = 403, body = Problem), (status = 404, description = "Not an Ente here, or never fetched", body = Problem)))]
pub(crate) async fn fetch_state(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ente = served(&operator, &state, &path).await?;
    let fetch = state
        .ports
        .reconciliation
        .fetch_state(&ente)
        .await
        .map_err(DomainError::from)?
        .ok_or_else(|| ApiError::not_found(format!("no fetch of Ente {ente} yet")))?;
    Ok(HttpResponse::Ok().json(fetch))
}
