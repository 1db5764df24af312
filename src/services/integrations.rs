//! Integrations: the monitoring tools that send webhooks, and their secrets.

use super::session::Admin;
use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use entity::{IntegrationKind, integration};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, EntityTrait, QueryOrder, QuerySelect, TransactionSession,
    prelude::*,
};
use serde::{Deserialize, Serialize};

use super::{
    Problems,
    audit::{self, Action, Actor, Entry, Resource},
    begin_write,
    delivery_stats::DeliveryStats,
    new_id, now,
    page::{Page, PageRequest, parse_uuid_key},
    update_versioned,
};
use crate::{
    config::Secret,
    error::{ApiError, ApiResult},
    ingest::{FieldMapping, MappingRules, SourceKind},
    secrets,
};

/// Per-integration choices about reading its deliveries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrationConfig {
    /// Which label, tag or JSON pointer names the service; each kind has a default.
    #[serde(default)]
    pub service_field: Option<String>,
    /// Grafana: the header its contact point puts the signing timestamp in.
    #[serde(default)]
    pub grafana_timestamp_header: Option<String>,
    /// Where each field of an event is in the body (JMESPath): for custom
    /// templates and the generic kind, and to override a kind's defaults.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::present"
    )]
    pub rules: Option<MappingRules>,
}

impl IntegrationConfig {
    pub fn of(record: &integration::Model) -> Self {
        serde_json::from_value(record.config.clone()).unwrap_or_default()
    }

    pub fn mapping(&self) -> FieldMapping {
        FieldMapping {
            service_field: self.service_field.clone(),
            rules: self.rules.clone(),
        }
    }

    fn checked(mut self, p: &mut Problems) -> Self {
        self.service_field =
            p.optional_text("config.service_field", self.service_field.as_deref(), 200);
        self.grafana_timestamp_header = p.optional_text(
            "config.grafana_timestamp_header",
            self.grafana_timestamp_header.as_deref(),
            100,
        );
        if let Some(rules) = &self.rules {
            for (field, problem) in rules.problems() {
                p.check(false, &format!("config.rules.{field}"), &problem);
            }
        }
        self
    }
}

/// A configuration checked as a write would check it, for trying it out.
pub fn checked_config(config: IntegrationConfig) -> ApiResult<IntegrationConfig> {
    let mut p = Problems::default();
    let config = config.checked(&mut p);
    p.finish()?;
    Ok(config)
}

/// A new integration. Tools that generate their own secret (PagerDuty, a
/// GitLab signing token) pass it in `secret`; otherwise one is generated.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrationIn {
    pub kind: IntegrationKind,
    pub name: String,
    pub secret: Option<String>,
    #[serde(default)]
    pub config: IntegrationConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrationPatch {
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub config: Option<IntegrationConfig>,
}

/// Longest a rotated-out secret may keep working.
const MAX_GRACE_SECONDS: u32 = 30 * 86_400;

/// A rotation: the new secret (generated when absent) and how long the old one
/// keeps working.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationIn {
    pub secret: Option<String>,
    pub grace_seconds: Option<u32>,
}

/// An integration, with its plain secret only right after creation or rotation.
#[derive(Debug, Clone)]
pub struct IntegrationView {
    pub record: integration::Model,
    pub secret: Option<String>,
}

pub fn source_kind(kind: IntegrationKind) -> SourceKind {
    match kind {
        IntegrationKind::Pagerduty => SourceKind::Pagerduty,
        IntegrationKind::Alertmanager => SourceKind::Alertmanager,
        IntegrationKind::Grafana => SourceKind::Grafana,
        IntegrationKind::Opsgenie => SourceKind::Opsgenie,
        IntegrationKind::Datadog => SourceKind::Datadog,
        IntegrationKind::Github => SourceKind::Github,
        IntegrationKind::Gitlab => SourceKind::Gitlab,
        IntegrationKind::Jira => SourceKind::Jira,
        IntegrationKind::Sentry => SourceKind::Sentry,
        IntegrationKind::Generic => SourceKind::Generic,
    }
}

/// A secret a person chose must still be hard to guess.
fn chosen_secret(p: &mut Problems, secret: Option<String>) -> String {
    match secret {
        Some(secret) => {
            p.check(
                (16..=512).contains(&secret.chars().count()) && !secret.contains(char::is_control),
                "secret",
                "must be 16 to 512 characters without control characters",
            );
            secret
        }
        None => secrets::generate(),
    }
}

pub async fn create(s: &Admin, input: IntegrationIn) -> ApiResult<IntegrationView> {
    let (db, actor, key) = (s.db(), s.actor(), &s.core().settings.secret_key);
    let mut p = Problems::default();
    let name = p.text("name", &input.name, 200);
    let config = input.config.checked(&mut p);
    let secret = chosen_secret(&mut p, input.secret);
    p.finish()?;
    let at = now();
    let id = new_id();
    let txn = begin_write(db).await?;
    let record = integration::ActiveModel {
        id: Set(id),
        kind: Set(input.kind),
        name: Set(name),
        secret_encrypted: Set(secrets::seal(key, secret.as_bytes(), id.as_bytes())?),
        previous_secret_encrypted: Set(None),
        previous_valid_until: Set(None),
        config: Set(serde_json::to_value(config).map_err(anyhow::Error::from)?),
        accepted_count: Set(0),
        duplicate_count: Set(0),
        rejected_count: Set(0),
        last_received_at: Set(None),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await?;
    let changes = audit::changed(None, Some(&record));
    audit::record(
        &txn,
        actor,
        Entry::new(Action::Create, Resource::Integration, id, changes),
    )
    .await?;
    txn.commit().await?;
    Ok(IntegrationView {
        record,
        secret: Some(secret),
    })
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<integration::Model> {
    integration::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("integration"))
}

/// Oldest first, as stored: without the counts not yet written (see [`list_current`]).
pub async fn list(
    db: &impl ConnectionTrait,
    page: &PageRequest,
) -> ApiResult<Page<integration::Model>> {
    let mut query = integration::Entity::find().order_by_asc(integration::Column::Id);
    if let Some(after) = &page.after {
        query = query.filter(integration::Column::Id.gt(parse_uuid_key(after)?));
    }
    let rows = query.limit(page.fetch()).all(db).await?;
    Ok(Page::from_rows(rows, page, |r| r.id.to_string()))
}

/// Oldest first, each with the delivery counts still waiting to be written to
/// its row, so a read right after a delivery counts it.
pub async fn list_current(
    db: &impl ConnectionTrait,
    deliveries: &DeliveryStats,
    page: &PageRequest,
) -> ApiResult<Page<integration::Model>> {
    let mut next_cursor = None;
    let items = deliveries
        .read(async || {
            let page = list(db, page).await?;
            next_cursor = page.next_cursor;
            Ok(page.items)
        })
        .await?;
    Ok(Page { items, next_cursor })
}

/// Where the integration's tool sends its deliveries.
pub fn webhook_url(public_url: &str, id: Uuid) -> String {
    format!("{public_url}/webhooks/{id}")
}

/// Until when the secret replaced by the last rotation is still accepted;
/// `None` once that has passed, or when there is no previous secret.
pub fn previous_secret_valid_until(
    record: &integration::Model,
    at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    record
        .previous_valid_until
        .filter(|until| *until > at && record.previous_secret_encrypted.is_some())
}

pub async fn update(
    s: &Admin,
    id: Uuid,
    patch: IntegrationPatch,
    check: impl FnOnce(i32) -> ApiResult<()>,
) -> ApiResult<integration::Model> {
    let (db, actor) = (s.db(), s.actor());
    let txn = begin_write(db).await?;
    let current = get(&txn, id).await?;
    check(current.version)?;
    let mut p = Problems::default();
    let mut model: integration::ActiveModel = current.clone().into();
    if let Some(name) = patch.name {
        model.name = Set(p.text("name", &name, 200));
    }
    if let Some(config) = patch.config {
        let config = config.checked(&mut p);
        model.config = Set(serde_json::to_value(config).map_err(anyhow::Error::from)?);
    }
    p.finish()?;
    model.version = Set(current.version + 1);
    model.updated_at = Set(now());
    let record =
        update_versioned(&txn, model, integration::Column::Version, current.version).await?;
    record_change(&txn, actor, Action::Update, &current, &record).await?;
    txn.commit().await?;
    s.core().integrations.forget(id);
    Ok(record)
}

async fn record_change(
    txn: &(impl ConnectionTrait + TransactionSession),
    actor: &Actor,
    action: Action,
    before: &integration::Model,
    after: &integration::Model,
) -> ApiResult<()> {
    let changes = audit::changed(Some(before), Some(after));
    audit::record(
        txn,
        actor,
        Entry::new(action, Resource::Integration, after.id, changes),
    )
    .await
}

/// Deletes the integration with its deliveries and events; timeline entries
/// already pre-filled from them stay. Webhooks and `/metrics` forget it at once.
pub async fn delete(s: &Admin, id: Uuid) -> ApiResult<integration::Model> {
    let (db, actor) = (s.db(), s.actor());
    let txn = begin_write(db).await?;
    let record = get(&txn, id).await?;
    integration::Entity::delete_by_id(id).exec(&txn).await?;
    let changes = audit::changed(Some(&record), None);
    audit::record(
        &txn,
        actor,
        Entry::new(Action::Delete, Resource::Integration, id, changes),
    )
    .await?;
    txn.commit().await?;
    let core = s.core();
    core.integrations.forget(id);
    let kind = source_kind(record.kind).to_string();
    core.metrics.webhooks.forget(id, &kind);
    Ok(record)
}

/// Issues a new secret; the current one keeps working for the grace period.
pub async fn rotate_secret(s: &Admin, id: Uuid, input: RotationIn) -> ApiResult<IntegrationView> {
    let (core, actor) = (s.core(), s.actor());
    let (db, key) = (&core.db, &core.settings.secret_key);
    let default_grace = core.settings.ingest.rotation_grace;
    let txn = begin_write(db).await?;
    let current = get(&txn, id).await?;
    let mut p = Problems::default();
    let secret = chosen_secret(&mut p, input.secret);
    p.check(
        input.grace_seconds.is_none_or(|s| s <= MAX_GRACE_SECONDS),
        "grace_seconds",
        "must be at most 2592000 (30 days): the old secret should stop working soon",
    );
    p.finish()?;
    let grace = input
        .grace_seconds
        .map_or(default_grace, |s| std::time::Duration::from_secs(s.into()));
    let at = now();
    let grace = chrono::Duration::from_std(grace).map_err(anyhow::Error::from)?;
    let mut model: integration::ActiveModel = current.clone().into();
    model.previous_secret_encrypted = Set(Some(current.secret_encrypted.clone()));
    model.previous_valid_until = Set(Some(at + grace));
    model.secret_encrypted = Set(secrets::seal(
        key,
        secret.as_bytes(),
        current.id.as_bytes(),
    )?);
    model.version = Set(current.version + 1);
    model.updated_at = Set(at);
    let record =
        update_versioned(&txn, model, integration::Column::Version, current.version).await?;
    record_change(&txn, actor, Action::RotateSecret, &current, &record).await?;
    txn.commit().await?;
    core.integrations.forget(id);
    Ok(IntegrationView {
        record,
        secret: Some(secret),
    })
}

/// Integrations as the webhook endpoint needs them (kind, secrets, config),
/// kept for a second so a busy sender does not cost a query per delivery.
/// Changes made here drop the entry at once; changes made by another replica
/// are seen within [`CACHE_FOR`].
#[derive(Default)]
pub struct IntegrationCache {
    entries: std::sync::RwLock<HashMap<Uuid, (Instant, integration::Model)>>,
}

pub const CACHE_FOR: Duration = Duration::from_secs(1);

impl IntegrationCache {
    pub async fn get(&self, db: &impl ConnectionTrait, id: Uuid) -> ApiResult<integration::Model> {
        if let Ok(entries) = self.entries.read()
            && let Some((at, record)) = entries.get(&id)
            && at.elapsed() < CACHE_FOR
        {
            return Ok(record.clone());
        }
        let record = get(db, id).await?;
        if let Ok(mut entries) = self.entries.write() {
            entries.retain(|_, (at, _)| at.elapsed() < CACHE_FOR);
            entries.insert(id, (Instant::now(), record.clone()));
        }
        Ok(record)
    }

    pub fn forget(&self, id: Uuid) {
        if let Ok(mut entries) = self.entries.write() {
            entries.remove(&id);
        }
    }
}

/// The secrets a delivery may be signed with at `at`: the current one, and the
/// previous one while its grace lasts.
pub fn secrets_at(
    key: &Secret,
    record: &integration::Model,
    at: DateTime<Utc>,
) -> anyhow::Result<Vec<Vec<u8>>> {
    let context = record.id.as_bytes();
    let mut sealed = vec![secrets::open(key, &record.secret_encrypted, context)?];
    if let (Some(previous), Some(until)) = (
        &record.previous_secret_encrypted,
        record.previous_valid_until,
    ) && at < until
    {
        sealed.push(secrets::open(key, previous, context)?);
    }
    Ok(sealed)
}
