//! `GET /api/v1/admin/entes/{ente}/events`: the pull feed of an Ente, for gestionali that
//! cannot receive calls. Every event of the Ente (payments with their receipt summary, receipts
//! needing review, expiries, cancellations), in order, after a cursor that never skips or repeats an event
//! across restarts and instances (the storage numbers each Ente's events in commit order).

use actix_web::{HttpResponse, web};
use pagopa_domain::{DomainError, OutboxEvent, OutboxMessage};

use crate::ApiState;
use crate::auth::FeedReader;
use crate::openapi::Problem;
use crate::problem::ApiError;

/// Query of the feed.
#[derive(serde::Deserialize)]
pub(crate) struct FeedQuery {
    after: Option<u64>,
    limit: Option<u32>,
}

fn event_json(message: &OutboxMessage) -> serde_json::Value {
    let needs_review = match &message.event {
        OutboxEvent::PaymentReceived(payment) => payment.disposition.needs_review(),
        OutboxEvent::PositionExpired(_) | OutboxEvent::PositionCancelled(_) => false,
    };
    serde_json::json!({
        "seq": message.feed_seq,
        "recorded_at": message.created_at,
        "needs_review": needs_review,
        "notification": message.state(),
        "event": message.event,
    })
}

/// `GET /api/v1/admin/entes/{ente}/events`: the Ente's events after `after`, in order.
#[utoipa::path(get, path = "/api/v1/admin/entes/{ente}/events", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente"),
        ("after" = Option<u64>, Query, description = "The `cursor` of the previous answer (0 or absent: from the first event)"),
        ("limit" = Option<u32>, Query, description = "Events per page, 1..=1000 (default 100)")),
    responses((status = 200, description = "`items` in order, each with `seq` (1, 2, 3, … per Ente), `recorded_at`, `needs_review` (a receipt an operator must look at: double payment, unknown notice, other amount, …), `notification` (whether it was pushed: pending, delivered or dead) and `event` (`type` payment_received with the receipt summary, position_expired or position_cancelled); `cursor`: the `after` of the next request (the same when there is nothing new). For operator keys and gestionale keys (role `gestionale`), within their Enti.", body = Object),
        (status = 403, description = "`forbidden_ente`, `forbidden_role`", body = Problem)))]
pub(crate) async fn ente_events(
    reader: FeedReader,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, ApiError> {
    let ente = super::ente_in_scope(&reader.0, &path.into_inner())?;
    let after = query.after.unwrap_or(0);
    if after > i64::MAX as u64 {
        return Err(ApiError::bad_request(
            "invalid_query",
            "after is above the largest cursor",
        ));
    }
    let limit = super::page_limit(query.limit)?;
    let events = state
        .ports
        .outbox
        .feed(&ente, after, limit)
        .await
        .map_err(DomainError::from)?;
    let cursor = events.last().and_then(|m| m.feed_seq).unwrap_or(after);
    let items: Vec<serde_json::Value> = events.iter().map(event_json).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items, "cursor": cursor })))
}
