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
    auth::{AuthUser, Role},
    error::ApiResult,
    services::{
        anonymity::Redactor,
        page::PageRequest,
        prefill,
        timeline::{self, EntryIn, EntryPatch},
    },
    startup::AppState,
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
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    QueryParams(q): QueryParams<PageQuery>,
) -> ApiResult<HttpResponse> {
    user.require(Role::Viewer)?;
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?;
    let list = timeline::list(&state.db, *id, &page).await?;
    let redactor = redactor_for(&state, &user, *id).await?;
    Ok(HttpResponse::Ok().json(list.map(|e| TimelineEntryOut::new(e, &redactor))))
}

pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    actor: crate::services::audit::Actor,
    id: web::Path<Uuid>,
    JsonBody(input): JsonBody<EntryIn>,
) -> ApiResult<HttpResponse> {
    user.can_write()?;
    let entry = timeline::add_entry(&state.core, *id, input, &actor).await?;
    let location = format!(
        "/api/v1/postmortems/{}/timeline/{}",
        entry.postmortem_id, entry.id
    );
    let redactor = redactor_for(&state, &user, entry.postmortem_id).await?;
    Ok(created(
        location,
        entry.version,
        TimelineEntryOut::new(entry, &redactor),
    ))
}

pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    actor: crate::services::audit::Actor,
    path: web::Path<(Uuid, Uuid)>,
    precondition: Precondition,
    JsonBody(patch): JsonBody<EntryPatch>,
) -> ApiResult<HttpResponse> {
    user.can_write()?;
    let (id, entry_id) = path.into_inner();
    let entry = timeline::update(
        &state.db,
        id,
        entry_id,
        patch,
        |v| precondition.check(v),
        &actor,
    )
    .await?;
    let redactor = redactor_for(&state, &user, id).await?;
    Ok(ok_tagged(
        entry.version,
        TimelineEntryOut::new(entry, &redactor),
    ))
}

pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    actor: crate::services::audit::Actor,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    user.can_admin()?;
    let (id, entry_id) = path.into_inner();
    timeline::delete(&state.db, id, entry_id, &actor).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Pulls the post-mortem's matching events into its timeline; answers the entries added.
pub async fn prefill(
    state: web::Data<AppState>,
    user: AuthUser,
    actor: crate::services::audit::Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    user.can_write()?;
    let added = prefill::prefill(&state.db, *id, &state.prefill, &actor).await?;
    let redactor = redactor_for(&state, &user, *id).await?;
    let added: Vec<TimelineEntryOut> = added
        .into_iter()
        .map(|e| TimelineEntryOut::new(e, &redactor))
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "added": added })))
}
