//! `/api/v1/integrations/{id}/deliveries`, `/replay` and `/preview`: what
//! became of every verified delivery, running stored ones again, and trying a
//! configuration on a sample body (admin only).

use actix_web::{HttpResponse, web};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use chrono::{DateTime, Utc};
use entity::DeliveryState;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    QueryParams,
    extract::{JsonBody, OptionalJsonBody},
};
use crate::{
    error::{ApiError, ApiResult},
    ingest::Headers,
    services::{
        deliveries::{
            self, DeliveryFilter, DeliverySummary, DeliveryView, PreviewEvent, ReplayReport,
        },
        integrations::{self, IntegrationConfig},
        page::PageRequest,
        session::Admin,
    },
};

/// A stored delivery as listed: no body.
#[derive(Debug, Serialize)]
pub struct DeliveryOut {
    pub id: Uuid,
    pub received_at: DateTime<Utc>,
    pub state: DeliveryState,
    pub reason: Option<String>,
    pub event_count: i32,
    pub event_ids: Vec<Uuid>,
    /// The headers kept with it: those that say what it is, never credentials.
    pub headers: serde_json::Value,
    pub body_bytes: i64,
    /// When the retention dropped its body; it can no longer be replayed.
    pub body_pruned_at: Option<DateTime<Utc>>,
}

impl From<DeliveryView<DeliverySummary>> for DeliveryOut {
    fn from(view: DeliveryView<DeliverySummary>) -> Self {
        let d = view.delivery;
        Self {
            id: d.id,
            received_at: d.received_at,
            state: d.state,
            reason: d.reason,
            event_count: d.event_count,
            event_ids: view.event_ids,
            headers: d.headers,
            body_bytes: d.body_bytes,
            body_pruned_at: d.body_pruned_at,
        }
    }
}

/// One stored delivery with its raw body.
#[derive(Debug, Serialize)]
pub struct DeliveryDetailOut {
    #[serde(flatten)]
    pub delivery: DeliveryOut,
    /// The body as sent: text when it is UTF-8, otherwise base64.
    pub body: String,
    pub body_encoding: &'static str,
}

#[derive(Debug, Deserialize)]
pub struct DeliveryQuery {
    /// Comma-separated states.
    state: Option<String>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    limit: Option<u64>,
    cursor: Option<String>,
}

fn states(list: &str) -> ApiResult<Vec<DeliveryState>> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            serde_json::from_value(s.into()).map_err(|_| {
                ApiError::validation("state", "must be processed, ignored or unparsed")
            })
        })
        .collect()
}

/// Newest first.
pub async fn list(
    s: Admin,
    id: web::Path<Uuid>,
    QueryParams(q): QueryParams<DeliveryQuery>,
) -> ApiResult<HttpResponse> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?;
    let filter = DeliveryFilter {
        states: states(q.state.as_deref().unwrap_or(""))?,
        since: q.since,
        until: q.until,
    };
    let list = deliveries::list(s.db(), *id, &filter, &page).await?;
    Ok(HttpResponse::Ok().json(list.map(DeliveryOut::from)))
}

pub async fn get(s: Admin, path: web::Path<(Uuid, Uuid)>) -> ApiResult<HttpResponse> {
    let (id, delivery_id) = path.into_inner();
    let view = deliveries::get(s.db(), id, delivery_id).await?;
    let delivery = DeliveryOut::from(DeliveryView {
        delivery: DeliverySummary::of(&view.delivery),
        event_ids: view.event_ids,
    });
    let (body, body_encoding) = match String::from_utf8(view.delivery.body) {
        Ok(text) => (text, "utf-8"),
        Err(bytes) => (STANDARD.encode(bytes.as_bytes()), "base64"),
    };
    Ok(HttpResponse::Ok().json(DeliveryDetailOut {
        delivery,
        body,
        body_encoding,
    }))
}

/// Which stored deliveries to run again; by default those that made nothing.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayIn {
    #[serde(default, deserialize_with = "crate::wire::present")]
    states: Option<Vec<DeliveryState>>,
    #[serde(default, deserialize_with = "crate::wire::present")]
    since: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "crate::wire::present")]
    until: Option<DateTime<Utc>>,
}

pub async fn replay(
    s: Admin,
    id: web::Path<Uuid>,
    OptionalJsonBody(input): OptionalJsonBody<ReplayIn>,
) -> ApiResult<HttpResponse> {
    let filter = DeliveryFilter {
        states: input
            .states
            .unwrap_or_else(|| vec![DeliveryState::Unparsed, DeliveryState::Ignored]),
        since: input.since,
        until: input.until,
    };
    let report: ReplayReport = deliveries::replay(&s, *id, &filter).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// A sample delivery: its body (any JSON, or `raw_body` for text that is not
/// JSON), the headers that select its event type, and optionally a
/// configuration to try instead of the saved one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewIn {
    body: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "crate::wire::present")]
    raw_body: Option<String>,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
    #[serde(default, deserialize_with = "crate::wire::present")]
    config: Option<IntegrationConfig>,
}

#[derive(Debug, Serialize)]
pub struct PreviewOut {
    pub state: DeliveryState,
    pub reason: Option<String>,
    pub events: Vec<PreviewEvent>,
}

pub async fn preview(
    s: Admin,
    id: web::Path<Uuid>,
    JsonBody(input): JsonBody<PreviewIn>,
) -> ApiResult<HttpResponse> {
    let record = integrations::get(s.db(), *id).await?;
    let body = match (input.body, input.raw_body) {
        (Some(body), None) => serde_json::to_vec(&body).map_err(anyhow::Error::from)?,
        (None, Some(raw)) => raw.into_bytes(),
        _ => {
            return Err(ApiError::validation(
                "body",
                "give exactly one of `body` (JSON) or `raw_body` (text)",
            ));
        }
    };
    let config = match input.config {
        Some(config) => integrations::checked_config(config)?,
        None => IntegrationConfig::of(&record),
    };
    let reading = deliveries::preview(&record, &config, &Headers::new(input.headers), &body);
    Ok(HttpResponse::Ok().json(PreviewOut {
        state: reading.state,
        reason: reading.reason,
        events: reading.events.into_iter().map(PreviewEvent::from).collect(),
    }))
}
