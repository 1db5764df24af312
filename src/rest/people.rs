//! `/api/v1/people`: the directory of people who own, write and review.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use entity::person;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    QueryParams, created,
    extract::{JsonBody, Precondition},
    ok_tagged,
};
use crate::{
    auth::AuthUser,
    error::ApiResult,
    services::{
        page::PageRequest,
        people::{self, PersonIn, PersonPatch},
    },
    startup::AppState,
};

/// A person as the API shows them.
#[derive(Debug, Serialize)]
pub struct PersonOut {
    pub id: Uuid,
    pub display_name: String,
    pub email: String,
    pub team: Option<String>,
    pub role_title: Option<String>,
    pub joined_on: Option<NaiveDate>,
    pub jira_account_id: Option<String>,
    pub github_login: Option<String>,
    pub gitlab_user_id: Option<String>,
    pub linear_user_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<person::Model> for PersonOut {
    fn from(m: person::Model) -> Self {
        Self {
            id: m.id,
            display_name: m.display_name,
            email: m.email,
            team: m.team,
            role_title: m.role_title,
            joined_on: m.joined_on,
            jira_account_id: m.jira_account_id,
            github_login: m.github_login,
            gitlab_user_id: m.gitlab_user_id,
            linear_user_id: m.linear_user_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    team: Option<String>,
    limit: Option<u64>,
    cursor: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<HttpResponse> {
    // The directory names people: viewers see only pseudonyms, inside post-mortems.
    user.require(crate::auth::Role::Editor)?;
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?;
    let people = people::list(&state.db, q.team.as_deref(), &page).await?;
    Ok(HttpResponse::Ok().json(people.map(PersonOut::from)))
}

pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    actor: crate::services::audit::Actor,
    JsonBody(input): JsonBody<PersonIn>,
) -> ApiResult<HttpResponse> {
    user.can_admin()?;
    let person = people::create(&state.db, input, &actor).await?;
    Ok(created(
        format!("/api/v1/people/{}", person.id),
        person.version,
        PersonOut::from(person),
    ))
}

pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    // The directory names people: viewers see only pseudonyms, inside post-mortems.
    user.require(crate::auth::Role::Editor)?;
    let person = people::get(&state.db, *id).await?;
    Ok(ok_tagged(person.version, PersonOut::from(person)))
}

pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    actor: crate::services::audit::Actor,
    id: web::Path<Uuid>,
    precondition: Precondition,
    JsonBody(patch): JsonBody<PersonPatch>,
) -> ApiResult<HttpResponse> {
    user.can_admin()?;
    let person = people::update(&state.db, *id, patch, |v| precondition.check(v), &actor).await?;
    Ok(ok_tagged(person.version, PersonOut::from(person)))
}
