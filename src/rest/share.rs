//! Share links: issue and revoke them (editors), and the page a link opens
//! (anyone holding it, without other authentication).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::{extract::OptionalJsonBody, practice::html_page};
use crate::{
    error::ApiResult,
    services::{session::Writer, share},
    startup::AppState,
};

/// What the editor asked for; the body is optional (`{}` or empty).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareIn {
    /// Send the publication message to the configured Slack channels again,
    /// linking to the shared page.
    #[serde(default)]
    announce: bool,
}

pub async fn issue(
    s: Writer,
    id: web::Path<Uuid>,
    OptionalJsonBody(input): OptionalJsonBody<ShareIn>,
) -> ApiResult<HttpResponse> {
    let link = share::issue(&s, *id, input.announce).await?;
    Ok(HttpResponse::Created().json(json!({
        "id": link.id,
        "postmortem_id": link.postmortem_id,
        "token": link.token,
        "url": link.url,
        "created_at": link.created_at,
    })))
}

pub async fn revoke(s: Writer, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    share::revoke_all(&s, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The shared page: its token is the only credential, so it is read as a
/// viewer reads it, with every person anonymized.
pub async fn page(state: web::Data<AppState>, token: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(html_page(share::page(&state.core, &token).await?))
}
