//! Action items: under their post-mortem, and across all post-mortems.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{ActionItemStatus, CauseArea, Priority, SyncState, action_item};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    QueryParams, created,
    extract::{JsonBody, Precondition},
    ok_tagged, redactor_for,
};
use crate::{
    error::ApiResult,
    services::{
        action_items::{self, ActionItemFilter, ActionItemIn, ActionItemPatch},
        anonymity::{self, Redactor},
        page::PageRequest,
        session::{Admin, Reader, Session, Writer},
    },
    views::Seen,
};

#[derive(Debug, Serialize)]
pub struct ActionItemOut {
    pub id: Uuid,
    pub postmortem_id: Uuid,
    pub cause_id: Option<Uuid>,
    pub area: Option<CauseArea>,
    pub title: String,
    pub description: String,
    pub owner_id: Option<Uuid>,
    /// The owner as this reader may see them: a name, or a pseudonym.
    pub owner_name: Option<String>,
    pub due_date: Option<NaiveDate>,
    pub priority: Option<Priority>,
    pub status: ActionItemStatus,
    pub tracker_id: Option<Uuid>,
    pub external_key: Option<String>,
    pub external_url: Option<String>,
    pub sync_state: SyncState,
    pub last_sync_error: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
    /// RRULE of a recurring check (FREQ, INTERVAL, COUNT or UNTIL); the due date is its first occurrence.
    pub recurrence: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ActionItemOut {
    pub fn new(m: action_item::Model, r: &Arc<Redactor>) -> Self {
        let v = Seen::new(m, r);
        Self {
            id: v.id(),
            postmortem_id: v.postmortem_id(),
            cause_id: v.cause_id(),
            area: v.area(),
            title: v.title(),
            description: v.description(),
            owner_id: v.owner_id(),
            owner_name: v.owner_name(),
            due_date: v.due_date(),
            priority: v.priority(),
            status: v.status(),
            tracker_id: v.tracker_id(),
            external_key: v.external_key().map(str::to_owned),
            external_url: v.external_url(),
            sync_state: v.sync_state(),
            last_sync_error: v.last_sync_error(),
            completed_at: v.completed_at(),
            recurrence: v.recurrence().map(str::to_owned),
            created_at: v.created_at(),
            updated_at: v.updated_at(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    owner_id: Option<Uuid>,
    status: Option<ActionItemStatus>,
    overdue: Option<bool>,
    due_before: Option<NaiveDate>,
    limit: Option<u64>,
    cursor: Option<String>,
}

impl ListQuery {
    fn filter(&self, postmortem_id: Option<Uuid>) -> ActionItemFilter {
        ActionItemFilter {
            postmortem_id,
            owner_id: self.owner_id,
            status: self.status,
            overdue: self.overdue,
            due_before: self.due_before,
            team: None,
            sync_state: None,
        }
    }
}

async fn respond_list(
    s: &Reader,
    filter: ActionItemFilter,
    q: &ListQuery,
) -> ApiResult<HttpResponse> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?;
    let today = Utc::now().date_naive();
    let reader = s.audience();
    let list = action_items::list(s.db(), reader, &filter, today, &page).await?;
    let ids = list.items.iter().map(|i| i.postmortem_id);
    let redactors = anonymity::redactors_by_id(s.db(), reader, ids).await?;
    Ok(HttpResponse::Ok().json(list.map(|item| {
        let redactor = &redactors[&item.postmortem_id];
        ActionItemOut::new(item, redactor)
    })))
}

async fn respond_one(s: &Session, item: action_item::Model) -> ApiResult<ActionItemOut> {
    let redactor = redactor_for(s, item.postmortem_id).await?;
    Ok(ActionItemOut::new(item, &redactor))
}

pub async fn list(s: Reader, QueryParams(q): QueryParams<ListQuery>) -> ApiResult<HttpResponse> {
    respond_list(&s, q.filter(None), &q).await
}

pub async fn list_for_postmortem(
    s: Reader,
    id: web::Path<Uuid>,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<HttpResponse> {
    crate::services::postmortems::get_record(s.db(), *id).await?;
    respond_list(&s, q.filter(Some(*id)), &q).await
}

pub async fn create(
    s: Writer,
    id: web::Path<Uuid>,
    JsonBody(input): JsonBody<ActionItemIn>,
) -> ApiResult<HttpResponse> {
    let item = action_items::create(&s, *id, input).await?;
    let (location, version) = (format!("/api/v1/action-items/{}", item.id), item.version);
    Ok(created(location, version, respond_one(&s, item).await?))
}

pub async fn get(s: Reader, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let item = action_items::get(s.db(), *id).await?;
    let version = item.version;
    Ok(ok_tagged(version, respond_one(&s, item).await?))
}

pub async fn update(
    s: Writer,
    id: web::Path<Uuid>,
    precondition: Precondition,
    JsonBody(patch): JsonBody<ActionItemPatch>,
) -> ApiResult<HttpResponse> {
    let item = action_items::update(&s, *id, patch, |v| precondition.check(v)).await?;
    let version = item.version;
    Ok(ok_tagged(version, respond_one(&s, item).await?))
}

/// Queues the item for its tracker again, now: after a `failed` sync, or to
/// overwrite changes made in the tracker.
pub async fn sync(s: Writer, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let item = action_items::resync(&s, *id).await?;
    let version = item.version;
    Ok(HttpResponse::Accepted()
        .insert_header((actix_web::http::header::ETAG, super::extract::etag(version)))
        .json(respond_one(&s, item).await?))
}

pub async fn delete(s: Admin, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    action_items::delete(&s, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
