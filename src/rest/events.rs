//! `GET /api/v1/events`: normalized alert and deploy events from every integration.

use std::sync::Arc;

use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use entity::{TimeSource, event};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::QueryParams;
use crate::{
    error::ApiResult,
    services::session::Reader,
    services::{
        anonymity::{self, Redactor},
        events::{self, EventFilter},
        page::PageRequest,
    },
    views::Seen,
};

#[derive(Debug, Serialize)]
pub struct EventOut {
    pub id: Uuid,
    pub integration_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    /// `source` when `occurred_at` is the body's own time; `arrival` when the
    /// body had none and it is when hindsight received it.
    pub time_source: TimeSource,
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

impl EventOut {
    fn new(m: event::Model, r: &Arc<Redactor>) -> Self {
        let v = Seen::new(m, r);
        Self {
            id: v.id(),
            integration_id: v.integration_id(),
            occurred_at: v.occurred_at(),
            time_source: v.time_source(),
            kind: v.kind().to_owned(),
            title: v.title(),
            service: v.service(),
            severity: v.severity().map(str::to_owned),
            link: v.link(),
            actor: v.actor().map(str::to_owned),
            correlation_key: v.correlation_key(),
            source: v.source().to_owned(),
            external_id: v.external_id(),
            raw_event_type: v.raw_event_type().to_owned(),
            received_at: v.received_at(),
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

pub async fn list(s: Reader, QueryParams(q): QueryParams<ListQuery>) -> ApiResult<HttpResponse> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?;
    let filter = EventFilter {
        service: q.service,
        kind: q.kind,
        source: q.source,
        from: q.from,
        to: q.to,
    };
    let list = events::list(s.db(), &filter, &page).await?;
    let redactor = anonymity::for_events(s.db(), s.audience()).await?;
    Ok(HttpResponse::Ok().json(list.map(|e| EventOut::new(e, &redactor))))
}
