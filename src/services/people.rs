//! People: who owns action items, takes part in and reviews post-mortems.

use super::session::Admin;
use crate::wire::nullable;
use chrono::NaiveDate;
use entity::person;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    prelude::*,
};
use serde::Deserialize;

use super::{
    Problems,
    audit::{self, Action, Entry, Resource},
    begin_write, new_id, now,
    page::{Page, PageRequest, parse_uuid_key},
    update_versioned,
};
use crate::error::{ApiError, ApiResult};

/// A new person.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonIn {
    pub display_name: String,
    pub email: String,
    pub team: Option<String>,
    pub role_title: Option<String>,
    pub joined_on: Option<NaiveDate>,
    pub jira_account_id: Option<String>,
    pub github_login: Option<String>,
    pub gitlab_user_id: Option<String>,
    pub linear_user_id: Option<String>,
}

/// Changes to a person: absent fields stay, `null` clears.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonPatch {
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub team: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub role_title: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub joined_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "nullable")]
    pub jira_account_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub github_login: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub gitlab_user_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub linear_user_id: Option<Option<String>>,
}

fn email(problems: &mut Problems, raw: &str) -> String {
    let email = raw.trim().to_ascii_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email.contains(|c: char| c.is_whitespace() || c.is_control());
    problems.check(valid, "email", "must be an email address");
    email
}

fn handle(problems: &mut Problems, field: &str, value: Option<&str>) -> Option<String> {
    let value = problems.optional_text(field, value, 128)?;
    let value = value.trim_start_matches('@').to_owned();
    problems.check(
        !value.contains(char::is_whitespace),
        field,
        "must not contain spaces",
    );
    Some(value)
}

pub async fn create(s: &Admin, input: PersonIn) -> ApiResult<person::Model> {
    let (db, actor) = (s.db(), s.actor());
    let mut p = Problems::default();
    let display_name = p.text("display_name", &input.display_name, 200);
    let email = email(&mut p, &input.email);
    let model = person::ActiveModel {
        id: Set(new_id()),
        display_name: Set(display_name),
        email: Set(email),
        team: Set(p.optional_text("team", input.team.as_deref(), 200)),
        role_title: Set(p.optional_text("role_title", input.role_title.as_deref(), 200)),
        joined_on: Set(input.joined_on),
        jira_account_id: Set(handle(
            &mut p,
            "jira_account_id",
            input.jira_account_id.as_deref(),
        )),
        github_login: Set(handle(
            &mut p,
            "github_login",
            input.github_login.as_deref(),
        )),
        gitlab_user_id: Set(handle(
            &mut p,
            "gitlab_user_id",
            input.gitlab_user_id.as_deref(),
        )),
        linear_user_id: Set(handle(
            &mut p,
            "linear_user_id",
            input.linear_user_id.as_deref(),
        )),
        calendar_token_hash: Set(None),
        version: Set(1),
        created_at: Set(now()),
        updated_at: Set(now()),
    };
    p.finish()?;
    let txn = begin_write(db).await?;
    let person = model.insert(&txn).await.map_err(email_taken)?;
    let changes = audit::changed(None, Some(&person));
    let entry = Entry::new(Action::Create, Resource::Person, person.id, changes);
    audit::record(&txn, actor, entry).await?;
    txn.commit().await?;
    Ok(person)
}

fn email_taken(err: impl Into<ApiError>) -> ApiError {
    match err.into() {
        ApiError::Conflict { .. } => ApiError::Conflict {
            code: "email_taken",
            detail: "another person already has this email".into(),
        },
        other => other,
    }
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<person::Model> {
    person::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("person"))
}

pub async fn update(
    s: &Admin,
    id: Uuid,
    patch: PersonPatch,
    check: impl FnOnce(i32) -> ApiResult<()>,
) -> ApiResult<person::Model> {
    let (db, actor) = (s.db(), s.actor());
    let txn = begin_write(db).await?;
    let current = get(&txn, id).await?;
    check(current.version)?;
    let mut p = Problems::default();
    let mut model: person::ActiveModel = current.clone().into();
    if let Some(name) = patch.display_name {
        model.display_name = Set(p.text("display_name", &name, 200));
    }
    if let Some(raw) = patch.email {
        model.email = Set(email(&mut p, &raw));
    }
    if let Some(team) = patch.team {
        model.team = Set(p.optional_text("team", team.as_deref(), 200));
    }
    if let Some(title) = patch.role_title {
        model.role_title = Set(p.optional_text("role_title", title.as_deref(), 200));
    }
    if let Some(joined) = patch.joined_on {
        model.joined_on = Set(joined);
    }
    if let Some(v) = patch.jira_account_id {
        model.jira_account_id = Set(handle(&mut p, "jira_account_id", v.as_deref()));
    }
    if let Some(v) = patch.github_login {
        model.github_login = Set(handle(&mut p, "github_login", v.as_deref()));
    }
    if let Some(v) = patch.gitlab_user_id {
        model.gitlab_user_id = Set(handle(&mut p, "gitlab_user_id", v.as_deref()));
    }
    if let Some(v) = patch.linear_user_id {
        model.linear_user_id = Set(handle(&mut p, "linear_user_id", v.as_deref()));
    }
    p.finish()?;
    model.version = Set(current.version + 1);
    model.updated_at = Set(now());
    let person = update_versioned(&txn, model, person::Column::Version, current.version)
        .await
        .map_err(email_taken)?;
    let changes = audit::changed(Some(&current), Some(&person));
    audit::record(
        &txn,
        actor,
        Entry::new(Action::Update, Resource::Person, id, changes),
    )
    .await?;
    txn.commit().await?;
    Ok(person)
}

/// People, in the order they were added.
pub async fn list(
    db: &impl ConnectionTrait,
    team: Option<&str>,
    page: &PageRequest,
) -> ApiResult<Page<person::Model>> {
    let mut query = person::Entity::find().order_by_asc(person::Column::Id);
    if let Some(team) = team {
        query = query.filter(person::Column::Team.eq(team));
    }
    if let Some(after) = &page.after {
        query = query.filter(person::Column::Id.gt(parse_uuid_key(after)?));
    }
    let rows = query.limit(page.fetch()).all(db).await?;
    Ok(Page::from_rows(rows, page, |p| p.id.to_string()))
}

/// Fails with a 422 on `field` unless the person exists.
pub async fn must_exist(db: &impl ConnectionTrait, field: &str, id: Uuid) -> ApiResult<()> {
    let found = person::Entity::find_by_id(id).one(db).await?;
    found
        .map(|_| ())
        .ok_or_else(|| ApiError::validation(field, format!("no person has the id {id}")))
}

/// The whole directory, for recognising and scrubbing names.
pub async fn all(db: &impl ConnectionTrait) -> ApiResult<Vec<person::Model>> {
    Ok(person::Entity::find()
        .order_by_asc(person::Column::Id)
        .all(db)
        .await?)
}
