//! Normalized events, as received from every integration.

use chrono::{DateTime, Utc};
use entity::event;
use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, prelude::*};

use super::page::{Page, PageRequest, after_time_id, time_id_key};
use crate::error::ApiResult;

/// List filters; all optional.
#[derive(Debug, Default)]
pub struct EventFilter {
    pub service: Option<String>,
    pub kind: Option<String>,
    /// The integration kind that sent it (`pagerduty`, `github`, ...).
    pub source: Option<String>,
    /// Events that happened at or after this.
    pub from: Option<DateTime<Utc>>,
    /// ... and before this.
    pub to: Option<DateTime<Utc>>,
}

/// In the order they happened.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &EventFilter,
    page: &PageRequest,
) -> ApiResult<Page<event::Model>> {
    use event::Column as C;
    let mut query = event::Entity::find()
        .order_by_asc(C::OccurredAt)
        .order_by_asc(C::Id);
    if let Some(service) = &filter.service {
        query = query.filter(C::Service.eq(service.as_str()));
    }
    if let Some(kind) = &filter.kind {
        query = query.filter(C::Kind.eq(kind.as_str()));
    }
    if let Some(source) = &filter.source {
        query = query.filter(C::Source.eq(source.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(C::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(C::OccurredAt.lt(to));
    }
    if let Some(after) = &page.after {
        query = query.filter(after_time_id(after, C::OccurredAt, C::Id)?);
    }
    let rows = query.limit(page.fetch()).all(db).await?;
    Ok(Page::from_rows(rows, page, |r| {
        time_id_key(&r.occurred_at, &r.id)
    }))
}
