//! `GET /api/v1/audit` (admins: every entry as written) and
//! `GET /api/v1/postmortems/{id}/history` (every reader: the post-mortem's
//! entries, named as that reader may see people). Nothing here writes: entries
//! cannot be changed or deleted through the API.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::QueryParams;
use crate::{
    auth::Role,
    error::{ApiError, ApiResult},
    services::{
        anonymity::{self},
        audit::{self, Action, AuditFilter, AuditRole, AuditView, Reader, Resource},
        page::PageRequest,
        postmortems,
        session::{self, Admin},
    },
};

/// One audit entry as the API shows it.
#[derive(Debug, Serialize)]
pub struct AuditEntryOut {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub subject: String,
    pub role: AuditRole,
    pub action: Action,
    pub resource: Resource,
    pub resource_id: Uuid,
    pub postmortem_id: Option<Uuid>,
    pub changes: Map<String, Value>,
    pub request_id: Option<String>,
}

impl From<AuditView> for AuditEntryOut {
    fn from(AuditView { entry, changes }: AuditView) -> Self {
        Self {
            id: entry.id,
            occurred_at: entry.occurred_at,
            subject: entry.subject,
            role: entry.role,
            action: entry.action,
            resource: entry.resource,
            resource_id: entry.resource_id,
            postmortem_id: entry.postmortem_id,
            changes,
            request_id: entry.request_id,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    resource: Option<Resource>,
    resource_id: Option<Uuid>,
    subject: Option<String>,
    postmortem_id: Option<Uuid>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    limit: Option<u64>,
    cursor: Option<String>,
}

/// Every entry, newest first; admins only.
pub async fn list(s: Admin, QueryParams(q): QueryParams<AuditQuery>) -> ApiResult<HttpResponse> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?;
    let filter = AuditFilter {
        resource: q.resource,
        resource_id: q.resource_id,
        subject: q.subject.filter(|s| !s.is_empty()),
        postmortem_id: q.postmortem_id,
        from: q.from,
        to: q.to,
    };
    let entries = audit::list(s.db(), &filter, &page).await?;
    Ok(HttpResponse::Ok()
        .json(entries.map(|e| AuditEntryOut::from(audit::view(e, &Reader::SeesNames)))))
}

#[derive(Debug, Deserialize)]
pub struct HistoryQuery {
    limit: Option<u64>,
    cursor: Option<String>,
}

/// The entries of a post-mortem and its parts, newest first. Readers who may
/// not see names in it get neutral subjects and scrubbed values. A deleted
/// post-mortem's history is still there for admins; others get a 404.
pub async fn history(
    s: session::Reader,
    id: web::Path<Uuid>,
    QueryParams(q): QueryParams<HistoryQuery>,
) -> ApiResult<HttpResponse> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?;
    let pm = match postmortems::get_record(s.db(), *id).await {
        Ok(pm) => Some(pm),
        Err(ApiError::NotFound(_)) if s.user().role == Role::Admin => None,
        Err(other) => return Err(other),
    };
    let filter = AuditFilter {
        postmortem_id: Some(*id),
        ..AuditFilter::default()
    };
    let entries = audit::list(s.db(), &filter, &page).await?;
    if pm.is_none() && entries.items.is_empty() && page.after.is_none() {
        return Err(ApiError::NotFound("post-mortem"));
    }
    let audience = s.audience();
    let redactor = match &pm {
        Some(pm) if !audience.sees_names(pm.anonymized) => {
            Some(anonymity::redactor(s.db(), audience, pm).await?)
        }
        _ => None,
    };
    let reader = match &redactor {
        Some(redactor) => Reader::Anonymized(redactor),
        None => Reader::SeesNames,
    };
    Ok(HttpResponse::Ok().json(entries.map(|e| AuditEntryOut::from(audit::view(e, &reader)))))
}
