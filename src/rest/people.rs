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
    error::ApiResult,
    services::session::{Admin, Writer},
    services::{
        page::PageRequest,
        people::{self, PersonIn, PersonPatch},
    },
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

pub async fn list(s: Writer, QueryParams(q): QueryParams<ListQuery>) -> ApiResult<HttpResponse> {
    // The directory names people: viewers see only pseudonyms, inside post-mortems.
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?;
    let people = people::list(s.db(), q.team.as_deref(), &page).await?;
    Ok(HttpResponse::Ok().json(people.map(PersonOut::from)))
}

pub async fn create(s: Admin, JsonBody(input): JsonBody<PersonIn>) -> ApiResult<HttpResponse> {
    let person = people::create(&s, input).await?;
    Ok(created(
        format!("/api/v1/people/{}", person.id),
        person.version,
        PersonOut::from(person),
    ))
}

pub async fn get(s: Writer, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    // The directory names people: viewers see only pseudonyms, inside post-mortems.
    let person = people::get(s.db(), *id).await?;
    Ok(ok_tagged(person.version, PersonOut::from(person)))
}

pub async fn update(
    s: Admin,
    id: web::Path<Uuid>,
    precondition: Precondition,
    JsonBody(patch): JsonBody<PersonPatch>,
) -> ApiResult<HttpResponse> {
    let person = people::update(&s, *id, patch, |v| precondition.check(v)).await?;
    Ok(ok_tagged(person.version, PersonOut::from(person)))
}
