//! `GET /api/v1/events`: normalized alert and deploy events from every integration.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use entity::event;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::QueryParams;
use crate::{
    auth::{AuthUser, Role},
    error::ApiResult,
    services::{
        events::{self, EventFilter},
        page::PageRequest,
    },
    startup::AppState,
};

#[derive(Debug, Serialize)]
pub struct EventOut {
    pub id: Uuid,
    pub integration_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub kind: String,
    pub title: String,
    pub service: Option<String>,
    pub severity: Option<String>,
    pub link: Option<String>,
    pub actor: Option<String>,
    pub correlation_key: Option<String>,
    pub source: String,
    pub external_id: Option<String>,
    pub raw_event_type: String,
    pub received_at: DateTime<Utc>,
}

impl From<event::Model> for EventOut {
    fn from(m: event::Model) -> Self {
        Self {
            id: m.id,
            integration_id: m.integration_id,
            occurred_at: m.occurred_at,
            kind: m.kind,
            title: m.title,
            service: m.service,
            severity: m.severity,
            link: m.link,
            actor: m.actor,
            correlation_key: m.correlation_key,
            source: m.source,
            external_id: m.external_id,
            raw_event_type: m.raw_event_type,
            received_at: m.received_at,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    service: Option<String>,
    kind: Option<String>,
    source: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    limit: Option<u64>,
    cursor: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<HttpResponse> {
    user.require(Role::Viewer)?;
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?;
    let filter = EventFilter {
        service: q.service,
        kind: q.kind,
        source: q.source,
        from: q.from,
        to: q.to,
    };
    let list = events::list(&state.db, &filter, &page).await?;
    Ok(HttpResponse::Ok().json(list.map(EventOut::from)))
}
