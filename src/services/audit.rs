//! The audit log. Every write records who made it ([`Actor`]), what it changed
//! ([`Entry`]: resource, id, fields with their old and new values, secrets
//! masked) and in which request, in the transaction of the change: [`record`]
//! only accepts a transaction, and every mutating service function takes the
//! `&Actor`, so a write cannot forget it. Entries are never changed: there is
//! no function here that would, and the database's triggers refuse it.

use std::collections::BTreeSet;

use chrono::{DateTime, SecondsFormat, Utc};
use entity::audit_entry;
pub use entity::audit_entry::{AuditAction as Action, AuditResource as Resource, AuditRole};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IdenStatic, Iterable, ModelTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionSession, Value as DbValue,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{
    anonymity::Redactor,
    new_id, now,
    page::{Page, PageRequest, before_time_id, time_id_key},
};
use crate::{
    auth::{AuthUser, Role},
    error::ApiResult,
};

/// Who writes: a caller (token subject and role) and the request it came in,
/// or hindsight itself acting on a webhook or a tracker's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub subject: String,
    pub role: AuditRole,
    pub request_id: Option<String>,
}

impl Actor {
    pub fn user(user: &AuthUser, request_id: Option<String>) -> Self {
        Self {
            subject: user.sub.clone(),
            role: match user.role {
                Role::Viewer => AuditRole::Viewer,
                Role::Editor => AuditRole::Editor,
                Role::Admin => AuditRole::Admin,
            },
            request_id,
        }
    }

    /// hindsight itself: `webhook:<integration id>`, `tracker-sync`.
    pub fn system(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            role: AuditRole::System,
            request_id: None,
        }
    }

    pub fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.request_id = request_id;
        self
    }
}

/// What a secret's value is written as.
pub const REDACTED: &str = "[redacted]";

/// Columns that hold secrets or credentials: whatever the resource, their values
/// never reach an entry, only whether they were set. Tracker credentials (Jira's
/// `email` + `api_token`, everyone else's `token`) live sealed in `credentials`.
pub const SECRET_FIELDS: &[&str] = &[
    "credentials",
    "secret_encrypted",
    "previous_secret_encrypted",
    "calendar_token_hash",
    "api_token",
    "token",
    "secret",
    "password",
];

/// Bookkeeping every write changes; listing it would say nothing.
const IGNORED_FIELDS: &[&str] = &[
    "id",
    "version",
    "created_at",
    "updated_at",
    "synced_snapshot",
];

/// A record's columns as JSON, named as in the database.
pub type Fields = Map<String, Value>;

/// The columns of a model as JSON values: timestamps in RFC 3339, dates as
/// `YYYY-MM-DD`, enums as their stored strings.
pub fn fields<M: ModelTrait>(model: &M) -> Fields {
    <<M::Entity as EntityTrait>::Column as Iterable>::iter()
        .map(|column| (column.as_str().to_owned(), json_of(model.get(column))))
        .collect()
}

fn json_of(value: DbValue) -> Value {
    match value {
        DbValue::ChronoDateTimeUtc(Some(at)) => {
            Value::String(at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
        }
        DbValue::ChronoDate(Some(date)) => Value::String(date.to_string()),
        DbValue::Uuid(Some(id)) => Value::String(id.to_string()),
        // Not a column type hindsight has; never risk a lossy conversion.
        DbValue::Bytes(Some(_)) => Value::String(REDACTED.to_owned()),
        other => sea_orm::sea_query::sea_value_to_json_value(&other),
    }
}

/// What a write did to one record: [`diff`] of its columns before and after.
pub fn changed<M: ModelTrait>(before: Option<&M>, after: Option<&M>) -> Changes {
    diff(before.map(fields).as_ref(), after.map(fields).as_ref())
}

/// The fields that differ between `before` and `after` (`None`: the record did
/// not exist yet, or no longer does), as `{"field": {"from": old, "to": new}}`.
/// [`SECRET_FIELDS`] are written as [`REDACTED`] (or `null` when empty).
pub fn diff(before: Option<&Fields>, after: Option<&Fields>) -> Changes {
    let empty = Fields::new();
    let (before, after) = (before.unwrap_or(&empty), after.unwrap_or(&empty));
    let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let mut changes = Changes::default();
    for name in names {
        if IGNORED_FIELDS.contains(&name.as_str()) {
            continue;
        }
        let from = before.get(name).unwrap_or(&Value::Null);
        let to = after.get(name).unwrap_or(&Value::Null);
        if from != to {
            let masked = SECRET_FIELDS.contains(&name.as_str());
            changes.set(name, mask(from, masked), mask(to, masked));
        }
    }
    changes
}

fn mask(value: &Value, masked: bool) -> Value {
    match value {
        Value::Null => Value::Null,
        _ if masked => Value::String(REDACTED.to_owned()),
        other => other.clone(),
    }
}

/// The fields a write changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes(Map<String, Value>);

impl Changes {
    pub fn set(&mut self, field: &str, from: Value, to: Value) {
        self.0
            .insert(field.to_owned(), json!({"from": from, "to": to}));
    }
}

/// What one write did to one resource.
#[derive(Debug, Clone)]
pub struct Entry {
    pub action: Action,
    pub resource: Resource,
    pub resource_id: Uuid,
    pub postmortem_id: Option<Uuid>,
    pub changes: Changes,
}

impl Entry {
    pub fn new(action: Action, resource: Resource, resource_id: Uuid, changes: Changes) -> Self {
        Self {
            action,
            resource,
            resource_id,
            postmortem_id: None,
            changes,
        }
    }

    /// The post-mortem whose history shows this entry.
    pub fn in_postmortem(mut self, postmortem_id: Uuid) -> Self {
        self.postmortem_id = Some(postmortem_id);
        self
    }
}

/// Records `entry` as done by `actor`. Takes a transaction, not a connection:
/// the entry commits or rolls back with the change it describes.
pub async fn record<T>(txn: &T, actor: &Actor, entry: Entry) -> ApiResult<()>
where
    T: ConnectionTrait + TransactionSession,
{
    let row = audit_entry::ActiveModel {
        id: Set(new_id()),
        occurred_at: Set(now()),
        subject: Set(actor.subject.clone()),
        role: Set(actor.role),
        action: Set(entry.action),
        resource: Set(entry.resource),
        resource_id: Set(entry.resource_id),
        postmortem_id: Set(entry.postmortem_id),
        changes: Set(Value::Object(entry.changes.0).to_string()),
        request_id: Set(actor.request_id.clone()),
    };
    audit_entry::Entity::insert(row)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Filters of `GET /api/v1/audit`.
#[derive(Debug, Default)]
pub struct AuditFilter {
    pub resource: Option<Resource>,
    pub resource_id: Option<Uuid>,
    pub subject: Option<String>,
    pub postmortem_id: Option<Uuid>,
    /// At or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Before this time.
    pub to: Option<DateTime<Utc>>,
}

/// Entries, newest first (ties broken by id, so pages never overlap).
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &AuditFilter,
    page: &PageRequest,
) -> ApiResult<Page<audit_entry::Model>> {
    use audit_entry::Column as C;
    let mut query = audit_entry::Entity::find()
        .order_by_desc(C::OccurredAt)
        .order_by_desc(C::Id);
    if let Some(resource) = filter.resource {
        query = query.filter(C::Resource.eq(resource));
    }
    if let Some(id) = filter.resource_id {
        query = query.filter(C::ResourceId.eq(id));
    }
    if let Some(subject) = &filter.subject {
        query = query.filter(C::Subject.eq(subject.as_str()));
    }
    if let Some(id) = filter.postmortem_id {
        query = query.filter(C::PostmortemId.eq(id));
    }
    if let Some(from) = filter.from {
        query = query.filter(C::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(C::OccurredAt.lt(to));
    }
    if let Some(before) = &page.after {
        query = query.filter(before_time_id(before, C::OccurredAt, C::Id)?);
    }
    let rows = query.limit(page.fetch()).all(db).await?;
    Ok(Page::from_rows(rows, page, |r| {
        time_id_key(&r.occurred_at, &r.id)
    }))
}

/// Whether an entry is shown as written, or to a reader who may not see names.
pub enum Reader<'a> {
    SeesNames,
    /// Subjects become "an editor"; every text value goes through the
    /// post-mortem's redactor; fields that name a person are hidden.
    Anonymized(&'a Redactor),
}

/// What replaces a value that names a person, for readers who may not see names.
pub const HIDDEN: &str = "[hidden]";

/// Fields whose value is who someone is: a token subject, a name, an address,
/// a tracker identity. Readers who may not see names never get them.
const IDENTITY_FIELDS: &[&str] = &[
    "published_by",
    "display_name",
    "email",
    "jira_account_id",
    "github_login",
    "gitlab_user_id",
    "linear_user_id",
    "api_user",
];

/// An entry as one reader may see it.
#[derive(Debug, Clone)]
pub struct AuditView {
    pub entry: audit_entry::Model,
    pub changes: Map<String, Value>,
}

pub fn view(mut entry: audit_entry::Model, reader: &Reader<'_>) -> AuditView {
    let mut changes = match serde_json::from_str(&entry.changes) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    if let Reader::Anonymized(redactor) = reader {
        entry.subject = neutral_subject(entry.role, &entry.subject);
        for (field, change) in &mut changes {
            *change = scrub(field, change, redactor);
        }
    }
    AuditView { entry, changes }
}

/// A caller's subject is usually their email: readers who may not see names
/// get their role instead. hindsight's own subjects name no one.
fn neutral_subject(role: AuditRole, subject: &str) -> String {
    match role {
        AuditRole::Viewer => "a viewer".to_owned(),
        AuditRole::Editor => "an editor".to_owned(),
        AuditRole::Admin => "an admin".to_owned(),
        AuditRole::System => subject.to_owned(),
    }
}

fn scrub(field: &str, value: &Value, redactor: &Redactor) -> Value {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => value.clone(),
        // `{"from", "to"}` of a change, or a JSON column: the field's rule applies inside.
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), scrub(field, v, redactor)))
                .collect(),
        ),
        _ if IDENTITY_FIELDS.contains(&field) => Value::String(HIDDEN.to_owned()),
        Value::String(text) => Value::String(redactor.text(text)),
        Value::Array(items) => items.iter().map(|v| scrub(field, v, redactor)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: Value) -> Fields {
        pairs.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_diff_lists_changed_fields_and_masks_secrets() {
        let before = fields(json!({"id": 1, "name": "a", "secret_encrypted": "x", "version": 1}));
        let after = fields(json!({"id": 1, "name": "b", "secret_encrypted": "y", "version": 2}));
        let changes = diff(Some(&before), Some(&after));
        assert_eq!(
            Value::Object(changes.0),
            json!({"name": {"from": "a", "to": "b"},
                   "secret_encrypted": {"from": REDACTED, "to": REDACTED}})
        );
    }

    #[test]
    fn a_created_record_lists_only_the_fields_it_set() {
        let after = fields(json!({"title": "t", "severity": null, "token": "s3cret"}));
        let changes = diff(None, Some(&after));
        assert_eq!(
            Value::Object(changes.0),
            json!({"title": {"from": null, "to": "t"},
                   "token": {"from": null, "to": REDACTED}})
        );
    }

    #[test]
    fn neutral_subjects_name_the_role_not_the_person() {
        assert_eq!(
            neutral_subject(AuditRole::Editor, "alice@example.com"),
            "an editor"
        );
        assert_eq!(
            neutral_subject(AuditRole::System, "tracker-sync"),
            "tracker-sync"
        );
    }
}
