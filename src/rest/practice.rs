//! The practice: review, phase metrics, publishing and the shared document
//! (Markdown, or a self-contained HTML page).

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    QueryParams,
    extract::{JsonBody, OptionalJsonBody},
    ok_tagged,
    postmortems::PostmortemOut,
};
use crate::{
    domain::{
        html::{content_security_policy, render_html},
        markdown::render_markdown,
        review::Draft,
    },
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
    OptionalJsonBody(input): OptionalJsonBody<PublishIn>,
) -> ApiResult<HttpResponse> {
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

/// How the document is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DocumentFormat {
    Markdown,
    Html,
}

/// `?format=` decides; without it, a browser's `Accept: text/html` gets the page.
fn negotiate(format: Option<&str>, req: &HttpRequest) -> ApiResult<DocumentFormat> {
    match format {
        Some("markdown") => Ok(DocumentFormat::Markdown),
        Some("html") => Ok(DocumentFormat::Html),
        Some(_) => Err(ApiError::validation(
            "format",
            "the format is markdown or html",
        )),
        None => {
            let accept = req
                .headers()
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let wants_html = accept.split(',').any(|media| {
                media
                    .split(';')
                    .next()
                    .is_some_and(|m| m.trim() == "text/html")
            });
            Ok(if wants_html {
                DocumentFormat::Html
            } else {
                DocumentFormat::Markdown
            })
        }
    }
}

pub async fn document(
    s: Reader,
    id: web::Path<Uuid>,
    QueryParams(q): QueryParams<DocumentQuery>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let format = negotiate(q.format.as_deref(), &req)?;
    let (dossier, redactor) = dossier::load_as(&s, *id).await?;
    let document = dossier.document(&redactor);
    Ok(match format {
        DocumentFormat::Markdown => HttpResponse::Ok()
            .content_type("text/markdown; charset=utf-8")
            .insert_header((header::VARY, "Accept"))
            .body(render_markdown(&document)),
        DocumentFormat::Html => {
            let findings = redactor.review(dossier.review()).findings;
            html_page(render_html(&document, &findings))
        }
    })
}

/// The HTML page with the headers that keep it inert: a policy that lets
/// nothing load or run, no sniffing, no referrer (a share link carries its
/// token in the URL).
pub fn html_page(page: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, content_security_policy()))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::VARY, "Accept"))
        .body(page)
}
