//! The practice: review, phase metrics, publishing and the shared document.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    QueryParams,
    extract::{JsonBody, body_limit, body_timeout, parse_json, read_body},
    ok_tagged,
    postmortems::PostmortemOut,
};
use crate::{
    domain::{markdown::render_markdown, review::Draft},
    error::{ApiError, ApiResult},
    services::{
        anonymity, dossier,
        publishing::{self, PublishIn},
        session::{Reader, Writer},
    },
};

pub async fn review_stored(s: Reader, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let (dossier, redactor) = dossier::load_as(&s, *id).await?;
    Ok(HttpResponse::Ok().json(redactor.review(dossier.review())))
}

/// Reviews a draft sent in the body; nothing is stored.
pub async fn review_draft(s: Reader, JsonBody(draft): JsonBody<Draft>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(dossier::review_draft(&s, draft).await?))
}

pub async fn metrics(s: Reader, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let dossier = dossier::load(s.db(), *id).await?;
    Ok(HttpResponse::Ok().json(dossier.metrics()))
}

/// `POST .../publish`: the body is optional (`{}` or empty).
pub async fn publish(
    s: Writer,
    id: web::Path<Uuid>,
    req: actix_web::HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let bytes = read_body(
        payload.into_inner(),
        None,
        body_limit(&req),
        body_timeout(&req),
    )
    .await?;
    let input: PublishIn = if bytes.iter().all(u8::is_ascii_whitespace) {
        PublishIn::default()
    } else {
        parse_json(&bytes)?
    };
    let record = publishing::publish(&s, *id, input).await?;
    let view = crate::services::postmortems::get(s.db(), record.id).await?;
    let redactor = anonymity::redactor(s.db(), s.audience(), &view.record).await?;
    Ok(ok_tagged(
        view.record.version,
        PostmortemOut::new(view, &redactor),
    ))
}

#[derive(Debug, Deserialize)]
pub struct DocumentQuery {
    format: Option<String>,
}

pub async fn document(
    s: Reader,
    id: web::Path<Uuid>,
    QueryParams(q): QueryParams<DocumentQuery>,
) -> ApiResult<HttpResponse> {
    if q.format.as_deref().is_some_and(|f| f != "markdown") {
        return Err(ApiError::validation("format", "only markdown is supported"));
    }
    let (dossier, redactor) = dossier::load_as(&s, *id).await?;
    let markdown = render_markdown(&dossier.document(&redactor));
    Ok(HttpResponse::Ok()
        .content_type("text/markdown; charset=utf-8")
        .body(markdown))
}
