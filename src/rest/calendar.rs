//! `GET /api/v1/action-items/calendar.ics` and the feed tokens behind it.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::QueryParams;
use crate::{
    auth::Role,
    error::ApiResult,
    services::{
        anonymity::{self, Audience},
        calendar::{self, FeedScope},
        session::Reader,
    },
    startup::AppState,
    views::Seen,
};

#[derive(Debug, Deserialize)]
pub struct FeedQuery {
    token: String,
    owner_id: Option<Uuid>,
    team: Option<String>,
}

/// Calendar apps cannot send a bearer header, so the feed is authenticated by
/// its token in the URL. It shows the token holder's items unless `owner_id`
/// or `team` asks for others', with people named as a viewer sees them.
pub async fn feed(
    state: web::Data<AppState>,
    QueryParams(q): QueryParams<FeedQuery>,
) -> ApiResult<HttpResponse> {
    let holder = calendar::holder(&state.db, &q.token).await?;
    let (scope, name) = match (q.owner_id, q.team) {
        (_, Some(team)) => (
            FeedScope::Team(team.clone()),
            format!("hindsight: {team} action items"),
        ),
        (Some(owner), None) => (
            FeedScope::Owner(owner),
            "hindsight: action items".to_owned(),
        ),
        (None, None) => (
            FeedScope::Owner(holder.id),
            "hindsight: my action items".to_owned(),
        ),
    };
    let items = calendar::items(&state.db, &scope).await?;
    // The feed is read by whoever holds its URL: people are named as for a viewer.
    let viewer = Audience::with_role(Role::Viewer, &state.settings);
    let ids = items.iter().map(|i| i.postmortem_id);
    let redactors = anonymity::redactors_by_id(&state.db, viewer, ids).await?;
    let rows: Vec<_> = items
        .into_iter()
        .filter_map(|item| {
            let redactor = redactors.get(&item.postmortem_id)?;
            Some(Seen::new(item, redactor))
        })
        .collect();
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .body(calendar::render(&name, &rows)))
}

pub async fn issue_token(s: Reader, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let token = calendar::issue_token(&s, *id).await?;
    let feed_url = format!(
        "{}/api/v1/action-items/calendar.ics?token={token}",
        s.core().public_url
    );
    Ok(HttpResponse::Created().json(json!({ "token": token, "feed_url": feed_url })))
}

pub async fn revoke_token(s: Reader, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    calendar::revoke_token(&s, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
