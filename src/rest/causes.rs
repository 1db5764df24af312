//! `/api/v1/postmortems/{id}/causes`: contributing causes by area.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use entity::{CauseArea, cause};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    QueryParams, created,
    extract::{JsonBody, Precondition},
    ok_tagged, redactor_for,
};
use crate::{
    error::ApiResult,
    services::session::{Admin, Reader, Writer},
    services::{
        anonymity::Redactor,
        causes::{self, CauseIn, CausePatch},
        page::PageRequest,
    },
    views::Seen,
};

#[derive(Debug, Serialize)]
pub struct CauseOut {
    pub id: Uuid,
    pub postmortem_id: Uuid,
    pub area: CauseArea,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CauseOut {
    pub fn new(m: cause::Model, r: &Arc<Redactor>) -> Self {
        let v = Seen::new(m, r);
        Self {
            id: v.id(),
            postmortem_id: v.postmortem_id(),
            area: v.area(),
            description: v.description(),
            created_at: v.created_at(),
            updated_at: v.updated_at(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    area: Option<CauseArea>,
    limit: Option<u64>,
    cursor: Option<String>,
}

pub async fn list(
    s: Reader,
    id: web::Path<Uuid>,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<HttpResponse> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?;
    let list = causes::list(s.db(), *id, q.area, &page).await?;
    let redactor = redactor_for(&s, *id).await?;
    Ok(HttpResponse::Ok().json(list.map(|c| CauseOut::new(c, &redactor))))
}

pub async fn create(
    s: Writer,
    id: web::Path<Uuid>,
    JsonBody(input): JsonBody<CauseIn>,
) -> ApiResult<HttpResponse> {
    let cause = causes::create(&s, *id, input).await?;
    let location = format!(
        "/api/v1/postmortems/{}/causes/{}",
        cause.postmortem_id, cause.id
    );
    let redactor = redactor_for(&s, cause.postmortem_id).await?;
    Ok(created(
        location,
        cause.version,
        CauseOut::new(cause, &redactor),
    ))
}

pub async fn update(
    s: Writer,
    path: web::Path<(Uuid, Uuid)>,
    precondition: Precondition,
    JsonBody(patch): JsonBody<CausePatch>,
) -> ApiResult<HttpResponse> {
    let (id, cause_id) = path.into_inner();
    let cause = causes::update(&s, id, cause_id, patch, |v| precondition.check(v)).await?;
    let redactor = redactor_for(&s, id).await?;
    Ok(ok_tagged(cause.version, CauseOut::new(cause, &redactor)))
}

pub async fn delete(s: Admin, path: web::Path<(Uuid, Uuid)>) -> ApiResult<HttpResponse> {
    let (id, cause_id) = path.into_inner();
    causes::delete(&s, id, cause_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
