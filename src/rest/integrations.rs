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
    auth::AuthUser,
    error::ApiResult,
    services::{
        integrations::{self, IntegrationConfig, IntegrationIn, IntegrationPatch, RotationIn},
        page::PageRequest,
    },
    startup::AppState,
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
    fn new(state: &AppState, m: integration::Model, secret: Option<String>) -> Self {
        Self {
            webhook_url: integrations::webhook_url(&state.public_url, m.id),
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
async fn current(state: &AppState, id: Uuid) -> ApiResult<integration::Model> {
    let mut rows = state
        .deliveries
        .read(async || Ok([integrations::get(&state.db, id).await?]))
        .await?;
    Ok(rows.remove(0))
}

pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    QueryParams(q): QueryParams<PageQuery>,
) -> ApiResult<HttpResponse> {
    user.can_admin()?;
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?;
    let list = integrations::list_current(&state.db, &state.deliveries, &page).await?;
    Ok(HttpResponse::Ok().json(list.map(|m| IntegrationOut::new(&state, m, None))))
}

pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    actor: crate::services::audit::Actor,
    JsonBody(input): JsonBody<IntegrationIn>,
) -> ApiResult<HttpResponse> {
    user.can_admin()?;
    let view = integrations::create(&state.db, &state.settings.secret_key, input, &actor).await?;
    let (id, version) = (view.record.id, view.record.version);
    Ok(created(
        format!("/api/v1/integrations/{id}"),
        version,
        IntegrationOut::new(&state, view.record, view.secret),
    ))
}

pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    user.can_admin()?;
    let record = current(&state, *id).await?;
    Ok(ok_tagged(
        record.version,
        IntegrationOut::new(&state, record, None),
    ))
}

pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    actor: crate::services::audit::Actor,
    id: web::Path<Uuid>,
    precondition: Precondition,
    JsonBody(patch): JsonBody<IntegrationPatch>,
) -> ApiResult<HttpResponse> {
    user.can_admin()?;
    integrations::update(&state.db, *id, patch, |v| precondition.check(v), &actor).await?;
    state.integrations.forget(*id);
    let record = current(&state, *id).await?;
    Ok(ok_tagged(
        record.version,
        IntegrationOut::new(&state, record, None),
    ))
}

pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    actor: crate::services::audit::Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    user.can_admin()?;
    let record = integrations::delete(&state.db, *id, &actor).await?;
    state.integrations.forget(*id);
    state.metrics.webhooks.forget(
        record.id,
        &integrations::source_kind(record.kind).to_string(),
    );
    Ok(HttpResponse::NoContent().finish())
}

pub async fn rotate_secret(
    state: web::Data<AppState>,
    user: AuthUser,
    actor: crate::services::audit::Actor,
    id: web::Path<Uuid>,
    OptionalJsonBody(input): OptionalJsonBody<RotationIn>,
) -> ApiResult<HttpResponse> {
    user.can_admin()?;
    let view = integrations::rotate_secret(
        &state.db,
        &state.settings.secret_key,
        *id,
        input,
        state.settings.ingest.rotation_grace,
        &actor,
    )
    .await?;
    state.integrations.forget(*id);
    let record = current(&state, *id).await?;
    Ok(ok_tagged(
        record.version,
        IntegrationOut::new(&state, record, view.secret),
    ))
}
