//! Gestionale notifications in the outbox: listed by state (pending, delivered, dead), Ente and
//! date; replayed one by one or in bulk. A key limited to some Enti names one of them.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use pagopa_domain::ports::{MAX_PAGE, OutboxQuery};
use pagopa_domain::{DomainError, EnteId, OutboxMessage, OutboxState};

use crate::ApiState;
use crate::auth::{Operator, Principal};
use crate::openapi::Problem;
use crate::problem::{ApiError, parse_optional};

/// The filters of a listing or a bulk replay.
#[derive(serde::Deserialize)]
pub(crate) struct OutboxFilters {
    state: Option<String>,
    ente: Option<String>,
    from: Option<String>,
    to: Option<String>,
    after: Option<u64>,
    limit: Option<u32>,
}

fn instant(raw: &Option<String>, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    match raw.as_deref().filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|e| {
                ApiError::bad_request(
                    "invalid_query",
                    format!("{name} must be an RFC 3339 instant (2026-12-01T00:00:00Z): {e}"),
                )
            }),
    }
}

impl OutboxFilters {
    /// The storage query, checked, within the key's Enti; `state` defaults to `default`.
    fn query(&self, principal: &Principal, default: Option<OutboxState>) -> Result<OutboxQuery, ApiError> {
        let state = match self.state.as_deref().filter(|s| !s.is_empty()) {
            None => default,
            Some(raw) => Some(
                raw.parse::<OutboxState>()
                    .map_err(|e| ApiError::bad_request("invalid_query", format!("state: {e}")))?,
            ),
        };
        let ente = super::search_scope(principal, parse_optional::<EnteId>(&self.ente, "invalid_ente_id")?)?;
        // `from` at or after `to` is an empty range: it matches nothing.
        let created_from = instant(&self.from, "from")?;
        let created_before = instant(&self.to, "to")?;
        if self.after.is_some_and(|a| a > i64::MAX as u64) {
            return Err(ApiError::bad_request("invalid_query", "after is above the largest id"));
        }
        Ok(OutboxQuery {
            state,
            ente,
            created_from,
            created_before,
            after: self.after,
            limit: super::page_limit(self.limit)?,
        })
    }
}

/// A message as operators see it.
fn message_json(message: &OutboxMessage) -> serde_json::Value {
    serde_json::json!({
        "id": message.id,
        "state": message.state(),
        "ente": message.event.ente(),
        "event": message.event,
        "attempts": message.attempts,
        "created_at": message.created_at,
        "available_at": message.available_at,
        "retrying_since": message.retrying_since,
        "last_error": message.last_error,
        "delivered_at": message.delivered_at,
        "dead_at": message.dead_at,
    })
}

/// `GET /api/v1/admin/outbox`: messages by id (oldest first), filtered.
#[utoipa::path(get, path = "/api/v1/admin/outbox", tag = "operator", security(("api_key" = [])),
    params(("state" = Option<String>, Query, description = "`pending`, `delivered` or `dead` (dead letters: given up after the gestionale's `max_attempts` or `max_age_secs`); all when absent"),
        ("ente" = Option<String>, Query, description = "Only messages for this Ente; required for a key limited to some Enti"),
        ("from" = Option<String>, Query, description = "Only messages enqueued at or after this RFC 3339 instant"),
        ("to" = Option<String>, Query, description = "Only messages enqueued before this RFC 3339 instant"),
        ("after" = Option<u64>, Query, description = "Only messages with a larger id (the `next.after` of the previous page)"),
        ("limit" = Option<u32>, Query, description = "Messages per page, 1..=1000 (default 100)")),
    responses((status = 200, description = "`items` (id, state, ente, event, attempts, created_at, available_at, retrying_since, last_error, delivered_at, dead_at) and, if there is more, `next`", body = Object),
        (status = 403, description = "`forbidden_ente`", body = Problem)))]
pub(crate) async fn list_outbox(
    operator: Operator,
    state: web::Data<ApiState>,
    filters: web::Query<OutboxFilters>,
) -> Result<HttpResponse, ApiError> {
    let query = filters.query(&operator.0, None)?;
    let page = state.ports.outbox.list(&query).await.map_err(DomainError::from)?;
    let items: Vec<serde_json::Value> = page.items.iter().map(message_json).collect();
    let mut body = serde_json::json!({ "items": items });
    if let Some(after) = page.next {
        body["next"] = serde_json::json!({ "after": after });
    }
    Ok(HttpResponse::Ok().json(body))
}

/// `POST /api/v1/admin/outbox/replay`: replays the messages the filters match, in bulk.
#[utoipa::path(post, path = "/api/v1/admin/outbox/replay", tag = "operator", security(("api_key" = [])),
    params(("state" = Option<String>, Query, description = "`dead` (the default), `pending` or `delivered`"),
        ("ente" = Option<String>, Query, description = "Only messages for this Ente; required for a key limited to some Enti"),
        ("from" = Option<String>, Query, description = "Only messages enqueued at or after this RFC 3339 instant"),
        ("to" = Option<String>, Query, description = "Only messages enqueued before this RFC 3339 instant"),
        ("limit" = Option<u32>, Query, description = "At most this many, oldest first, 1..=1000 (default 1000); repeat until `replayed` is 0")),
    responses((status = 200, description = "`replayed`: how many messages are queued for delivery again, each with a fresh delivery budget", body = Object),
        (status = 403, description = "`forbidden_ente`", body = Problem)))]
pub(crate) async fn replay_outbox_matching(
    operator: Operator,
    state: web::Data<ApiState>,
    filters: web::Query<OutboxFilters>,
) -> Result<HttpResponse, ApiError> {
    let mut filters = filters.into_inner();
    if filters.after.is_some() {
        return Err(ApiError::bad_request(
            "invalid_query",
            "a bulk replay takes no cursor: it replays the oldest matching messages",
        ));
    }
    filters.limit = Some(filters.limit.unwrap_or(MAX_PAGE));
    let query = filters.query(&operator.0, Some(OutboxState::Dead))?;
    let replayed = state
        .ports
        .outbox
        .replay_matching(&query, state.ports.clock.now())
        .await
        .map_err(DomainError::from)?;
    tracing::info!(replayed, ente = ?query.ente.as_ref().map(EnteId::as_str), state = ?query.state, "outbox bulk replay");
    Ok(HttpResponse::Ok().json(serde_json::json!({ "replayed": replayed })))
}

/// `POST /api/v1/admin/outbox/{id}/replay`: delivers a message (a dead letter, a delivered or a
/// pending one) to the gestionale again, with a fresh delivery budget.
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
