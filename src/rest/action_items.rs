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
    auth::{AuthUser, Role},
    error::ApiResult,
    services::{
        action_items::{self, ActionItemFilter, ActionItemIn, ActionItemPatch},
        anonymity::{self, Audience, Redactor},
        page::PageRequest,
    },
    startup::AppState,
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
    state: &AppState,
    user: &AuthUser,
    filter: ActionItemFilter,
    q: &ListQuery,
) -> ApiResult<HttpResponse> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?;
    let today = Utc::now().date_naive();
    let reader = Audience::of(user, &state.settings);
    let list = action_items::list(&state.db, reader, &filter, today, &page).await?;
    let ids = list.items.iter().map(|i| i.postmortem_id);
    let redactors = anonymity::redactors_by_id(&state.db, reader, ids).await?;
    Ok(HttpResponse::Ok().json(list.map(|item| {
        let redactor = &redactors[&item.postmortem_id];
        ActionItemOut::new(item, redactor)
    })))
}

async fn respond_one(
    state: &AppState,
    user: &AuthUser,
    item: action_item::Model,
) -> ApiResult<ActionItemOut> {
    let redactor = redactor_for(state, user, item.postmortem_id).await?;
    Ok(ActionItemOut::new(item, &redactor))
}

pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<HttpResponse> {
    user.require(Role::Viewer)?;
    respond_list(&state, &user, q.filter(None), &q).await
}

pub async fn list_for_postmortem(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<HttpResponse> {
    user.require(Role::Viewer)?;
    crate::services::postmortems::get_record(&state.db, *id).await?;
    respond_list(&state, &user, q.filter(Some(*id)), &q).await
}

pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    actor: crate::services::audit::Actor,
    id: web::Path<Uuid>,
    JsonBody(input): JsonBody<ActionItemIn>,
) -> ApiResult<HttpResponse> {
    user.can_write()?;
    let item = action_items::create(&state.core, *id, input, &actor).await?;
    let (location, version) = (format!("/api/v1/action-items/{}", item.id), item.version);
    Ok(created(
        location,
        version,
        respond_one(&state, &user, item).await?,
    ))
}

pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    user.require(Role::Viewer)?;
    let item = action_items::get(&state.db, *id).await?;
    let version = item.version;
    Ok(ok_tagged(version, respond_one(&state, &user, item).await?))
}

pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    actor: crate::services::audit::Actor,
    id: web::Path<Uuid>,
    precondition: Precondition,
    JsonBody(patch): JsonBody<ActionItemPatch>,
) -> ApiResult<HttpResponse> {
    user.can_write()?;
    let item =
        action_items::update(&state.core, *id, patch, |v| precondition.check(v), &actor).await?;
    let version = item.version;
    Ok(ok_tagged(version, respond_one(&state, &user, item).await?))
}

/// Queues the item for its tracker again, now: after a `failed` sync, or to
/// overwrite changes made in the tracker.
pub async fn sync(
    state: web::Data<AppState>,
    user: AuthUser,
    actor: crate::services::audit::Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    user.can_write()?;
    let item = action_items::resync(&state.db, *id, &actor).await?;
    let version = item.version;
    Ok(HttpResponse::Accepted()
        .insert_header((actix_web::http::header::ETAG, super::extract::etag(version)))
        .json(respond_one(&state, &user, item).await?))
}

pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    actor: crate::services::audit::Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    user.can_admin()?;
    action_items::delete(&state.db, *id, &actor).await?;
    Ok(HttpResponse::NoContent().finish())
}
