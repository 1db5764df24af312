//! Timeline entries, always read in the order they happened.

use crate::wire::nullable;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{prefill_tombstone, timeline_entry};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionSession, TransactionTrait, prelude::*,
};
use serde::Deserialize;

use super::{
    Problems,
    audit::{self, Action, Actor, Entry, Resource},
    begin_write, new_id, now,
    page::{Page, PageRequest, after_time_id, time_id_key},
    postmortems,
    session::{Admin, Writer},
    update_versioned,
};
use crate::error::{ApiError, ApiResult};

/// New timeline entries, for live views (GraphQL `timelineEntries`). Every path
/// that adds an entry (by hand over REST or GraphQL, and pre-fill or webhooks)
/// calls [`TimelineFeed::publish_created`] after its write is committed.
#[derive(Clone)]
pub struct TimelineFeed(tokio::sync::broadcast::Sender<timeline_entry::Model>);

impl TimelineFeed {
    /// `capacity` entries are kept for subscribers that fall behind; a slower
    /// one skips ahead rather than holding the writers up.
    pub fn new(capacity: usize) -> Self {
        Self(tokio::sync::broadcast::channel(capacity).0)
    }

    pub fn publish_created(&self, entry: &timeline_entry::Model) {
        // No subscriber is the common case, not an error.
        let _ = self.0.send(entry.clone());
    }

    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<timeline_entry::Model> {
        self.0.subscribe()
    }
}

/// Entries written by hand have this source; pre-filled ones carry their integration's kind.
pub const MANUAL: &str = "manual";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryIn {
    pub occurred_at: DateTime<Utc>,
    pub kind: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub link: Option<String>,
    pub service: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryPatch {
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub occurred_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub link: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub service: Option<Option<String>>,
}

/// Kinds are open-ended (`alert.triggered`, `deploy.failed`, `note`, `detected`,
/// ...) but must read as a dotted lowercase name.
fn kind(p: &mut Problems, raw: &str) -> String {
    let kind = raw.trim().to_owned();
    let valid = !kind.is_empty()
        && kind.len() <= 64
        && kind.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        });
    p.check(
        valid,
        "kind",
        "must be a lowercase dotted name such as note, detected or deploy.failed",
    );
    kind
}

/// Adds an entry by hand and tells live timelines about it.
pub async fn add_entry(
    s: &Writer,
    postmortem_id: Uuid,
    input: EntryIn,
) -> ApiResult<timeline_entry::Model> {
    let (core, actor) = (s.core(), s.actor());
    let entry = create(&core.db, postmortem_id, input, actor).await?;
    core.timeline_feed.publish_created(&entry);
    Ok(entry)
}

async fn create(
    db: &(impl TransactionTrait + ConnectionTrait),
    postmortem_id: Uuid,
    input: EntryIn,
    actor: &Actor,
) -> ApiResult<timeline_entry::Model> {
    postmortems::get_record(db, postmortem_id).await?;
    let mut p = Problems::default();
    let at = now();
    let row = timeline_entry::ActiveModel {
        id: Set(new_id()),
        postmortem_id: Set(postmortem_id),
        occurred_at: Set(input.occurred_at),
        kind: Set(kind(&mut p, &input.kind)),
        source: Set(MANUAL.to_owned()),
        title: Set(p.text("title", &input.title, 500)),
        description: Set(p.prose("description", &input.description)),
        link: Set(p.url("link", input.link.as_deref())),
        service: Set(p.optional_text("service", input.service.as_deref(), 100)),
        event_id: Set(None),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
    };
    p.finish()?;
    let txn = begin_write(db).await?;
    let entry = row.insert(&txn).await?;
    let changes = audit::changed(None, Some(&entry));
    let record = Entry::new(Action::Create, Resource::TimelineEntry, entry.id, changes);
    audit::record(&txn, actor, record.in_postmortem(postmortem_id)).await?;
    txn.commit().await?;
    Ok(entry)
}

pub async fn get(
    db: &impl ConnectionTrait,
    postmortem_id: Uuid,
    id: Uuid,
) -> ApiResult<timeline_entry::Model> {
    timeline_entry::Entity::find_by_id(id)
        .filter(timeline_entry::Column::PostmortemId.eq(postmortem_id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("timeline entry"))
}

pub async fn update(
    s: &Writer,
    postmortem_id: Uuid,
    id: Uuid,
    patch: EntryPatch,
    check: impl FnOnce(i32) -> ApiResult<()>,
) -> ApiResult<timeline_entry::Model> {
    let (db, actor) = (s.db(), s.actor());
    let txn = begin_write(db).await?;
    let current = get(&txn, postmortem_id, id).await?;
    check(current.version)?;
    let mut p = Problems::default();
    let mut model: timeline_entry::ActiveModel = current.clone().into();
    if let Some(at) = patch.occurred_at {
        model.occurred_at = Set(at);
    }
    if let Some(raw) = patch.kind {
        model.kind = Set(kind(&mut p, &raw));
    }
    if let Some(title) = patch.title {
        model.title = Set(p.text("title", &title, 500));
    }
    if let Some(description) = patch.description {
        model.description = Set(p.prose("description", &description));
    }
    if let Some(link) = patch.link {
        model.link = Set(p.url("link", link.as_deref()));
    }
    if let Some(service) = patch.service {
        model.service = Set(p.optional_text("service", service.as_deref(), 100));
    }
    p.finish()?;
    model.version = Set(current.version + 1);
    model.updated_at = Set(now());
    let entry = update_versioned(
        &txn,
        model,
        timeline_entry::Column::Version,
        current.version,
    )
    .await?;
    let changes = audit::changed(Some(&current), Some(&entry));
    let record = Entry::new(Action::Update, Resource::TimelineEntry, id, changes);
    audit::record(&txn, actor, record.in_postmortem(postmortem_id)).await?;
    txn.commit().await?;
    Ok(entry)
}

/// Deletes an entry. A pre-filled one leaves a tombstone so that pre-fill
/// never brings it back.
pub async fn delete(s: &Admin, postmortem_id: Uuid, id: Uuid) -> ApiResult<()> {
    let (db, actor) = (s.db(), s.actor());
    let txn = begin_write(db).await?;
    let entry = get(&txn, postmortem_id, id).await?;
    timeline_entry::Entity::delete_by_id(entry.id)
        .exec(&txn)
        .await?;
    if let Some(event_id) = entry.event_id {
        prefill_tombstone::Entity::insert(prefill_tombstone::ActiveModel {
            postmortem_id: Set(postmortem_id),
            event_id: Set(event_id),
            created_at: Set(now()),
        })
        .on_conflict_do_nothing_on([
            prefill_tombstone::Column::PostmortemId,
            prefill_tombstone::Column::EventId,
        ])
        .exec_without_returning(&txn)
        .await?;
    }
    let changes = audit::changed(Some(&entry), None);
    let record = Entry::new(Action::Delete, Resource::TimelineEntry, id, changes);
    audit::record(&txn, actor, record.in_postmortem(postmortem_id)).await?;
    txn.commit().await?;
    Ok(())
}

/// Entries in the order they happened (ties broken by id, so pages never overlap).
pub async fn list(
    db: &impl ConnectionTrait,
    postmortem_id: Uuid,
    page: &PageRequest,
) -> ApiResult<Page<timeline_entry::Model>> {
    use timeline_entry::Column as C;
    postmortems::get_record(db, postmortem_id).await?;
    let mut query = timeline_entry::Entity::find()
        .filter(C::PostmortemId.eq(postmortem_id))
        .order_by_asc(C::OccurredAt)
        .order_by_asc(C::Id);
    if let Some(after) = &page.after {
        query = query.filter(after_time_id(after, C::OccurredAt, C::Id)?);
    }
    let rows = query.limit(page.fetch()).all(db).await?;
    Ok(Page::from_rows(rows, page, |r| {
        time_id_key(&r.occurred_at, &r.id)
    }))
}

/// The timelines of several post-mortems in one query (GraphQL's loaders).
pub async fn for_postmortems(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> ApiResult<HashMap<Uuid, Vec<timeline_entry::Model>>> {
    use timeline_entry::Column as C;
    let rows = timeline_entry::Entity::find()
        .filter(super::one_of(db, C::PostmortemId, ids))
        .order_by_asc(C::OccurredAt)
        .order_by_asc(C::Id)
        .all(db)
        .await?;
    Ok(super::group_by(rows, |r| r.postmortem_id))
}
