//! `/api/v1/integrations`: the monitoring tools that send webhooks (admin only).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use entity::{IntegrationKind, integration};
use serde::Serialize;
use uuid::Uuid;

use super::{
    QueryParams, created,
    extract::{JsonBody, OptionalJsonBody, Precondition},
    ok_tagged,
    postmortems::PageQuery,
};
use crate::{
    error::ApiResult,
    services::{
        integrations::{self, IntegrationConfig, IntegrationIn, IntegrationPatch, RotationIn},
        page::PageRequest,
        session::{Admin, Session},
    },
};

/// An integration as the API shows it; `secret` only right after creation or rotation.
#[derive(Debug, Serialize)]
pub struct IntegrationOut {
    pub id: Uuid,
    pub kind: IntegrationKind,
    pub name: String,
    pub webhook_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub config: IntegrationConfig,
    pub accepted_count: i64,
    pub duplicate_count: i64,
    pub rejected_count: i64,
    pub last_received_at: Option<DateTime<Utc>>,
    pub previous_secret_valid_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl IntegrationOut {
    fn new(s: &Session, m: integration::Model, secret: Option<String>) -> Self {
        Self {
            webhook_url: integrations::webhook_url(&s.core().public_url, m.id),
            previous_secret_valid_until: integrations::previous_secret_valid_until(&m, Utc::now()),
            config: IntegrationConfig::of(&m),
            id: m.id,
            kind: m.kind,
            name: m.name,
            secret,
            accepted_count: m.accepted_count,
            duplicate_count: m.duplicate_count,
            rejected_count: m.rejected_count,
            last_received_at: m.last_received_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// One integration with the delivery counts not yet written to its row.
async fn current(s: &Session, id: Uuid) -> ApiResult<integration::Model> {
    let mut rows = s
        .core()
        .deliveries
        .read(async || Ok([integrations::get(s.db(), id).await?]))
        .await?;
    Ok(rows.remove(0))
}

pub async fn list(s: Admin, QueryParams(q): QueryParams<PageQuery>) -> ApiResult<HttpResponse> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?;
    let list = integrations::list_current(s.db(), &s.core().deliveries, &page).await?;
    Ok(HttpResponse::Ok().json(list.map(|m| IntegrationOut::new(&s, m, None))))
}

pub async fn create(s: Admin, JsonBody(input): JsonBody<IntegrationIn>) -> ApiResult<HttpResponse> {
    let view = integrations::create(&s, input).await?;
    let (id, version) = (view.record.id, view.record.version);
    Ok(created(
        format!("/api/v1/integrations/{id}"),
        version,
        IntegrationOut::new(&s, view.record, view.secret),
    ))
}

pub async fn get(s: Admin, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let record = current(&s, *id).await?;
    Ok(ok_tagged(
        record.version,
        IntegrationOut::new(&s, record, None),
    ))
}

pub async fn update(
    s: Admin,
    id: web::Path<Uuid>,
    precondition: Precondition,
    JsonBody(patch): JsonBody<IntegrationPatch>,
) -> ApiResult<HttpResponse> {
    integrations::update(&s, *id, patch, |v| precondition.check(v)).await?;
    let record = current(&s, *id).await?;
    Ok(ok_tagged(
        record.version,
        IntegrationOut::new(&s, record, None),
    ))
}

pub async fn delete(s: Admin, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    integrations::delete(&s, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn rotate_secret(
    s: Admin,
    id: web::Path<Uuid>,
    OptionalJsonBody(input): OptionalJsonBody<RotationIn>,
) -> ApiResult<HttpResponse> {
    let view = integrations::rotate_secret(&s, *id, input).await?;
    let record = current(&s, *id).await?;
    Ok(ok_tagged(
        record.version,
        IntegrationOut::new(&s, record, view.secret),
    ))
}
