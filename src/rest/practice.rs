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
    auth::{AuthUser, Role},
    domain::{
        markdown::render_markdown,
        review::{self, Draft, DraftPerson},
    },
    error::{ApiError, ApiResult},
    services::{
        anonymity::{self, Audience},
        dossier,
        publishing::{self, PublishIn},
    },
    startup::AppState,
};

pub async fn review_stored(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    user.require(Role::Viewer)?;
    let dossier = dossier::load(&state.db, *id).await?;
    let redactor = anonymity::redactor(
        &state.db,
        Audience::of(&user, &state.settings),
        &dossier.postmortem.record,
    )
    .await?;
    Ok(HttpResponse::Ok().json(redactor.review(dossier.review())))
}

/// Reviews a draft sent in the body; nothing is stored. People in the
/// directory are added to the draft's so blame by name is recognised.
pub async fn review_draft(
    state: web::Data<AppState>,
    user: AuthUser,
    JsonBody(mut draft): JsonBody<Draft>,
) -> ApiResult<HttpResponse> {
    user.require(Role::Viewer)?;
    // Only a caller who may read names gets the directory's help: for anyone
    // else, findings could otherwise answer "who is <login>?" with a name.
    if Audience::of(&user, &state.settings).sees_names(false) {
        let directory = crate::services::people::all(&state.db).await?;
        draft
            .people
            .extend(directory.into_iter().map(|p| DraftPerson {
                id: Some(p.id.to_string()),
                display_name: Some(p.display_name),
                email: Some(p.email),
                github_login: p.github_login,
            }));
    }
    Ok(HttpResponse::Ok().json(review::review(&draft)))
}

pub async fn metrics(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    user.require(Role::Viewer)?;
    let dossier = dossier::load(&state.db, *id).await?;
    Ok(HttpResponse::Ok().json(dossier.metrics()))
}

/// `POST .../publish`: the body is optional (`{}` or empty).
pub async fn publish(
    state: web::Data<AppState>,
    user: AuthUser,
    actor: crate::services::audit::Actor,
    id: web::Path<Uuid>,
    req: actix_web::HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    user.can_write()?;
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
    let record = publishing::publish(&state.core, *id, &user, input, &actor).await?;
    let view = crate::services::postmortems::get(&state.db, record.id).await?;
    let redactor = anonymity::redactor(
        &state.db,
        Audience::of(&user, &state.settings),
        &view.record,
    )
    .await?;
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
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    QueryParams(q): QueryParams<DocumentQuery>,
) -> ApiResult<HttpResponse> {
    user.require(Role::Viewer)?;
    if q.format.as_deref().is_some_and(|f| f != "markdown") {
        return Err(ApiError::validation("format", "only markdown is supported"));
    }
    let dossier = dossier::load(&state.db, *id).await?;
    let redactor = anonymity::redactor(
        &state.db,
        Audience::of(&user, &state.settings),
        &dossier.postmortem.record,
    )
    .await?;
    let markdown = render_markdown(&dossier.document(&redactor));
    Ok(HttpResponse::Ok()
        .content_type("text/markdown; charset=utf-8")
        .body(markdown))
}
