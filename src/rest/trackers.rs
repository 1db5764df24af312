//! `/api/v1/trackers` (admin only): where action items are synced. Credentials
//! are accepted but never returned.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use entity::{JiraDialect, TrackerKind, tracker};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    QueryParams, created,
    extract::{JsonBody, Precondition},
    ok_tagged,
};
use crate::{
    error::ApiResult,
    services::session::Admin,
    services::{
        page::PageRequest,
        trackers::{self, TrackerIn, TrackerPatch},
    },
};

/// A tracker as the API shows it: everything but the credentials.
#[derive(Debug, Serialize)]
pub struct TrackerOut {
    pub id: Uuid,
    pub kind: TrackerKind,
    pub name: String,
    pub base_url: String,
    pub project_key: Option<String>,
    pub issue_type: Option<String>,
    pub jira_dialect: JiraDialect,
    pub owner: Option<String>,
    pub repo: Option<String>,
    pub github_project_id: Option<String>,
    pub github_due_field_id: Option<String>,
    pub project_id: Option<String>,
    pub team_id: Option<String>,
    pub api_user: Option<String>,
    pub is_default: bool,
    pub allow_insecure_http: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<tracker::Model> for TrackerOut {
    fn from(m: tracker::Model) -> Self {
        Self {
            id: m.id,
            kind: m.kind,
            name: m.name,
            base_url: m.base_url,
            project_key: m.project_key,
            issue_type: m.issue_type,
            jira_dialect: m.jira_dialect,
            owner: m.owner,
            repo: m.repo,
            github_project_id: m.github_project_id,
            github_due_field_id: m.github_due_field_id,
            project_id: m.project_id,
            team_id: m.team_id,
            api_user: m.api_user,
            is_default: m.is_default,
            allow_insecure_http: m.allow_insecure_http,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    limit: Option<u64>,
    cursor: Option<String>,
}

pub async fn list(s: Admin, QueryParams(q): QueryParams<ListQuery>) -> ApiResult<HttpResponse> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?;
    let list = trackers::list(s.db(), &page).await?;
    Ok(HttpResponse::Ok().json(list.map(TrackerOut::from)))
}

pub async fn create(s: Admin, JsonBody(input): JsonBody<TrackerIn>) -> ApiResult<HttpResponse> {
    let tracker = trackers::create(&s, input).await?;
    Ok(created(
        format!("/api/v1/trackers/{}", tracker.id),
        tracker.version,
        TrackerOut::from(tracker),
    ))
}

pub async fn get(s: Admin, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let tracker = trackers::get(s.db(), *id).await?;
    Ok(ok_tagged(tracker.version, TrackerOut::from(tracker)))
}

pub async fn update(
    s: Admin,
    id: web::Path<Uuid>,
    precondition: Precondition,
    JsonBody(patch): JsonBody<TrackerPatch>,
) -> ApiResult<HttpResponse> {
    let tracker = trackers::update(&s, *id, patch, |v| precondition.check(v)).await?;
    Ok(ok_tagged(tracker.version, TrackerOut::from(tracker)))
}

pub async fn delete(s: Admin, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    trackers::delete(&s, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
