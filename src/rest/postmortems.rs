//! `/api/v1/postmortems` and their participants.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use entity::{ParticipantRole, PostmortemStatus, Severity, participant};
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
        anonymity::{self, Redactor},
        page::PageRequest,
        participants::{self, ParticipantIn},
        postmortems::{self, PostmortemFilter, PostmortemIn, PostmortemPatch, PostmortemView},
        session::{Admin, Reader, Writer},
    },
    views::Seen,
};

/// A post-mortem as the API shows it.
#[derive(Debug, Serialize)]
pub struct PostmortemOut {
    pub id: Uuid,
    pub title: String,
    pub summary: String,
    pub status: PostmortemStatus,
    pub severity: Option<Severity>,
    pub services: Vec<String>,
    pub incident_refs: Vec<String>,
    pub impact_started_at: Option<DateTime<Utc>>,
    pub detected_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub mitigated_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub author_id: Option<Uuid>,
    /// The author as this reader may see them: a name, or a pseudonym.
    pub author_name: Option<String>,
    pub anonymized: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

impl PostmortemOut {
    /// The view of `m` for a reader whose naming rules are `r`.
    pub fn new(view: PostmortemView, r: &Arc<Redactor>) -> Self {
        let v = Seen::new(Arc::new(view), r);
        Self {
            id: v.id(),
            title: v.title(),
            summary: v.summary(),
            status: v.status(),
            severity: v.severity(),
            services: v.services(),
            incident_refs: v.incident_refs(),
            impact_started_at: v.impact_started_at(),
            detected_at: v.detected_at(),
            acknowledged_at: v.acknowledged_at(),
            mitigated_at: v.mitigated_at(),
            resolved_at: v.resolved_at(),
            author_id: v.author_id(),
            author_name: v.author_name(),
            anonymized: v.anonymized(),
            created_at: v.created_at(),
            updated_at: v.updated_at(),
            published_at: v.published_at(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    status: Option<PostmortemStatus>,
    severity: Option<Severity>,
    service: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    limit: Option<u64>,
    cursor: Option<String>,
}

pub async fn list(s: Reader, QueryParams(q): QueryParams<ListQuery>) -> ApiResult<HttpResponse> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?;
    let filter = PostmortemFilter {
        status: q.status,
        severity: q.severity,
        service: q.service,
        from: q.from,
        to: q.to,
        text: None,
    };
    let reader = s.audience();
    let list = postmortems::list(s.db(), reader, &filter, &page).await?;
    let records: Vec<_> = list.items.iter().map(|v| &v.record).collect();
    let redactors = anonymity::redactors(s.db(), reader, &records).await?;
    Ok(HttpResponse::Ok().json(list.map(|view| {
        let redactor = &redactors[&view.record.id];
        PostmortemOut::new(view, redactor)
    })))
}

pub async fn create(s: Writer, JsonBody(input): JsonBody<PostmortemIn>) -> ApiResult<HttpResponse> {
    let view = postmortems::create(&s, input).await?;
    let (id, version) = (view.record.id, view.record.version);
    let redactor = anonymity::redactor(s.db(), s.audience(), &view.record).await?;
    Ok(created(
        format!("/api/v1/postmortems/{id}"),
        version,
        PostmortemOut::new(view, &redactor),
    ))
}

pub async fn get(s: Reader, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let view = postmortems::get(s.db(), *id).await?;
    let redactor = anonymity::redactor(s.db(), s.audience(), &view.record).await?;
    Ok(ok_tagged(
        view.record.version,
        PostmortemOut::new(view, &redactor),
    ))
}

pub async fn update(
    s: Writer,
    id: web::Path<Uuid>,
    precondition: Precondition,
    JsonBody(patch): JsonBody<PostmortemPatch>,
) -> ApiResult<HttpResponse> {
    let view = postmortems::update(&s, *id, patch, |v| precondition.check(v)).await?;
    let redactor = anonymity::redactor(s.db(), s.audience(), &view.record).await?;
    Ok(ok_tagged(
        view.record.version,
        PostmortemOut::new(view, &redactor),
    ))
}

pub async fn delete(s: Admin, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    postmortems::delete(&s, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A person's part in a post-mortem.
#[derive(Debug, Serialize)]
pub struct ParticipantOut {
    pub person_id: Uuid,
    /// The person as this reader may see them: a name, or a pseudonym with team and tenure.
    pub name: Option<String>,
    pub role: ParticipantRole,
    pub added_at: DateTime<Utc>,
}

impl ParticipantOut {
    fn new(m: participant::Model, r: &Arc<Redactor>) -> Self {
        let v = Seen::new(m, r);
        Self {
            person_id: v.person_id(),
            name: v.name(),
            role: v.role(),
            added_at: v.added_at(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

pub async fn list_participants(
    s: Reader,
    id: web::Path<Uuid>,
    QueryParams(q): QueryParams<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?;
    let list = participants::list(s.db(), *id, &page).await?;
    let redactor = redactor_for(&s, *id).await?;
    Ok(HttpResponse::Ok().json(list.map(|p| ParticipantOut::new(p, &redactor))))
}

pub async fn add_participant(
    s: Writer,
    id: web::Path<Uuid>,
    JsonBody(input): JsonBody<ParticipantIn>,
) -> ApiResult<HttpResponse> {
    let row = participants::add(&s, *id, input).await?;
    let redactor = redactor_for(&s, *id).await?;
    let location = format!("/api/v1/postmortems/{}/participants", row.postmortem_id);
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::LOCATION, location))
        .json(ParticipantOut::new(row, &redactor)))
}

pub async fn remove_participant(
    s: Writer,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (id, person_id) = path.into_inner();
    participants::remove(&s, id, person_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
