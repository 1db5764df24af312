//! Liveness, readiness and metrics.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::{error::ApiError, startup::AppState, telemetry::Exposition};

/// The process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// The process can serve: its database answers.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state
        .db
        .ping()
        .await
        .map_err(|_| ApiError::Unavailable("the database does not answer"))?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
}

/// The Prometheus exposition: text format 0.0.4 unless `Accept` asks for
/// OpenMetrics. The work gauges are counted in the database first.
pub async fn metrics(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let counts =
        crate::services::stats::work_counts(&state.db, chrono::Utc::now().date_naive()).await?;
    let work = &state.metrics.work;
    work.outbox_backlog.set(counts.outbox_backlog);
    work.sync_failed.set(counts.sync_failed);
    work.overdue.set(counts.overdue);
    let accept = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let format = Exposition::negotiate(accept);
    let body = state
        .metrics
        .render(format)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("encoding metrics: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((actix_web::http::header::VARY, "Accept"))
        .body(body))
}
