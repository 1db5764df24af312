//! `/api/v1/postmortems/{id}/timeline`: what happened, in order.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use entity::timeline_entry;
use serde::Serialize;
use uuid::Uuid;

use super::{
    QueryParams, created,
    extract::{JsonBody, Precondition},
    ok_tagged,
    postmortems::PageQuery,
    redactor_for,
};
use crate::{
    error::ApiResult,
    services::session::{Admin, Reader, Writer},
    services::{
        anonymity::Redactor,
        page::PageRequest,
        prefill,
        timeline::{self, EntryIn, EntryPatch},
    },
    views::Seen,
};

#[derive(Debug, Serialize)]
pub struct TimelineEntryOut {
    pub id: Uuid,
    pub postmortem_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub kind: String,
    pub source: String,
    pub title: String,
    pub description: String,
    pub link: Option<String>,
    pub service: Option<String>,
    pub event_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TimelineEntryOut {
    pub fn new(m: timeline_entry::Model, r: &Arc<Redactor>) -> Self {
        let v = Seen::new(m, r);
        Self {
            id: v.id(),
            postmortem_id: v.postmortem_id(),
            occurred_at: v.occurred_at(),
            kind: v.kind().to_owned(),
            source: v.source().to_owned(),
            title: v.title(),
            description: v.description(),
            link: v.link(),
            service: v.service(),
            event_id: v.event_id(),
            created_at: v.created_at(),
            updated_at: v.updated_at(),
        }
    }
}

pub async fn list(
    s: Reader,
    id: web::Path<Uuid>,
    QueryParams(q): QueryParams<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?;
    let list = timeline::list(s.db(), *id, &page).await?;
    let redactor = redactor_for(&s, *id).await?;
    Ok(HttpResponse::Ok().json(list.map(|e| TimelineEntryOut::new(e, &redactor))))
}

pub async fn create(
    s: Writer,
    id: web::Path<Uuid>,
    JsonBody(input): JsonBody<EntryIn>,
) -> ApiResult<HttpResponse> {
    let entry = timeline::add_entry(&s, *id, input).await?;
    let location = format!(
        "/api/v1/postmortems/{}/timeline/{}",
        entry.postmortem_id, entry.id
    );
    let redactor = redactor_for(&s, entry.postmortem_id).await?;
    Ok(created(
        location,
        entry.version,
        TimelineEntryOut::new(entry, &redactor),
    ))
}

pub async fn update(
    s: Writer,
    path: web::Path<(Uuid, Uuid)>,
    precondition: Precondition,
    JsonBody(patch): JsonBody<EntryPatch>,
) -> ApiResult<HttpResponse> {
    let (id, entry_id) = path.into_inner();
    let entry = timeline::update(&s, id, entry_id, patch, |v| precondition.check(v)).await?;
    let redactor = redactor_for(&s, id).await?;
    Ok(ok_tagged(
        entry.version,
        TimelineEntryOut::new(entry, &redactor),
    ))
}

pub async fn delete(s: Admin, path: web::Path<(Uuid, Uuid)>) -> ApiResult<HttpResponse> {
    let (id, entry_id) = path.into_inner();
    timeline::delete(&s, id, entry_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Pulls the post-mortem's matching events into its timeline; answers the entries added.
pub async fn prefill(s: Writer, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let added = prefill::prefill_now(&s, *id).await?;
    let redactor = redactor_for(&s, *id).await?;
    let added: Vec<TimelineEntryOut> = added
        .into_iter()
        .map(|e| TimelineEntryOut::new(e, &redactor))
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "added": added })))
}
