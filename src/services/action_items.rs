//! Action items: commitments with one owner and a due date.

use super::session::{Admin, Writer};
use crate::wire::nullable;
use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use entity::{ActionItemStatus, CauseArea, Priority, SyncState, action_item, person, postmortem};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionSession, prelude::*,
};
use serde::Deserialize;

use super::{
    Problems,
    anonymity::{self, Audience},
    audit::{self, Action, Actor, Entry, Resource},
    begin_write, causes, new_id, now,
    outbox::{self, Urgency},
    page::{Page, PageRequest, parse_uuid_key},
    people, postmortems, trackers, update_versioned,
};
use crate::{
    domain::recurrence::{End, Recurrence},
    error::{ApiError, ApiResult},
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionItemIn {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub cause_id: Option<Uuid>,
    pub area: Option<CauseArea>,
    pub owner_id: Option<Uuid>,
    pub due_date: Option<NaiveDate>,
    pub priority: Option<Priority>,
    pub status: Option<ActionItemStatus>,
    /// RRULE subset for a recurring check; the due date is its first occurrence.
    pub recurrence: Option<String>,
    /// Where the item is synced; the default tracker when absent.
    pub tracker_id: Option<Uuid>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionItemPatch {
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub cause_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    pub area: Option<Option<CauseArea>>,
    #[serde(default, deserialize_with = "nullable")]
    pub owner_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    pub due_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "nullable")]
    pub priority: Option<Option<Priority>>,
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub status: Option<ActionItemStatus>,
    #[serde(default, deserialize_with = "nullable")]
    pub recurrence: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub tracker_id: Option<Option<Uuid>>,
}

/// Filters of `GET /api/v1/action-items`.
#[derive(Debug, Default)]
pub struct ActionItemFilter {
    pub postmortem_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub status: Option<ActionItemStatus>,
    /// Past due and still open or in progress.
    pub overdue: Option<bool>,
    /// Due strictly before this date.
    pub due_before: Option<NaiveDate>,
    /// Owned by someone in this team.
    pub team: Option<String>,
    pub sync_state: Option<SyncState>,
}

/// The post-mortems an owner filter looks into, by what the reader may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerScope {
    /// Every post-mortem (admins).
    Everywhere,
    /// Post-mortems that are not anonymized (editors).
    NamedPostmortems,
    /// None: this reader sees names nowhere (viewers), so an owner filter matches nothing.
    Nowhere,
}

impl OwnerScope {
    pub fn of(audience: Audience) -> Self {
        if audience.sees_names(true) {
            Self::Everywhere
        } else if audience.sees_names(false) {
            Self::NamedPostmortems
        } else {
            Self::Nowhere
        }
    }
}

/// The cause must belong to the same post-mortem; an item with a cause takes
/// the cause's area unless it names one, and the two may not disagree.
async fn resolve_area(
    db: &impl ConnectionTrait,
    postmortem_id: Uuid,
    cause_id: Option<Uuid>,
    area: Option<CauseArea>,
) -> ApiResult<Option<CauseArea>> {
    let Some(cause_id) = cause_id else {
        return Ok(area);
    };
    let cause = causes::get(db, postmortem_id, cause_id)
        .await
        .map_err(|e| match e {
            ApiError::NotFound(_) => {
                ApiError::validation("cause_id", "no cause of this post-mortem has this id")
            }
            other => other,
        })?;
    match area {
        Some(area) if area != cause.area => Err(ApiError::validation(
            "area",
            "differs from the area of the cause it addresses",
        )),
        _ => Ok(Some(cause.area)),
    }
}

/// Normalizes a recurrence rule; a recurring check needs a first due date.
fn recurrence(p: &mut Problems, rule: Option<&str>, due_date: Option<NaiveDate>) -> Option<String> {
    let rule = rule.map(str::trim).filter(|r| !r.is_empty())?;
    match rule.parse::<Recurrence>() {
        Ok(parsed) => {
            p.check(
                due_date.is_some(),
                "recurrence",
                "a recurring check needs a due_date: its first occurrence",
            );
            if let (Some(End::Until(until)), Some(due)) = (parsed.end, due_date) {
                p.check(
                    until >= due,
                    "recurrence",
                    "UNTIL is before the due_date: the check would never fall due",
                );
            }
            Some(parsed.to_string())
        }
        Err(why) => {
            p.add("recurrence", why);
            None
        }
    }
}

fn completed_at(
    status: ActionItemStatus,
    before: Option<&action_item::Model>,
) -> Option<chrono::DateTime<Utc>> {
    match before {
        _ if !status.is_closed() => None,
        Some(item) if item.status.is_closed() => item.completed_at,
        _ => Some(now()),
    }
}

/// The tracker must exist; it is checked inside the write so a tracker deleted
/// meanwhile cannot be named.
async fn tracker_must_exist(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<()> {
    trackers::get(db, id)
        .await
        .map(|_| ())
        .map_err(|e| match e {
            ApiError::NotFound(_) => ApiError::validation("tracker_id", "no tracker has this id"),
            other => other,
        })
}

/// Creates the item and, when it has a tracker, its outbox row: both or neither.
pub async fn create(
    s: &Writer,
    postmortem_id: Uuid,
    mut input: ActionItemIn,
) -> ApiResult<action_item::Model> {
    let (core, actor) = (s.core(), s.actor());
    if let Some(owner) = input.owner_id {
        let meant = anonymity::person_meant(&core.db, &core.settings, postmortem_id, owner);
        input.owner_id = Some(meant.await?);
    }
    let txn = begin_write(&core.db).await?;
    let item = insert(&txn, postmortem_id, input).await?;
    if item.tracker_id.is_some() {
        outbox::enqueue(&txn, &item, Urgency::Change).await?;
    }
    record(&txn, actor, Action::Create, None, Some(&item)).await?;
    txn.commit().await?;
    Ok(item)
}

/// Records a change to an item in its post-mortem's history.
pub(crate) async fn record(
    txn: &(impl ConnectionTrait + TransactionSession),
    actor: &Actor,
    action: Action,
    before: Option<&action_item::Model>,
    after: Option<&action_item::Model>,
) -> ApiResult<()> {
    let Some(item) = after.or(before) else {
        return Ok(());
    };
    let changes = audit::diff(
        before.map(audit::fields).as_ref(),
        after.map(audit::fields).as_ref(),
    );
    let entry = Entry::new(action, Resource::ActionItem, item.id, changes);
    audit::record(txn, actor, entry.in_postmortem(item.postmortem_id)).await
}

async fn insert(
    db: &impl ConnectionTrait,
    postmortem_id: Uuid,
    input: ActionItemIn,
) -> ApiResult<action_item::Model> {
    postmortems::get_record(db, postmortem_id).await?;
    let mut p = Problems::default();
    let title = p.text("title", &input.title, 500);
    let description = p.prose("description", &input.description);
    let recurrence = recurrence(&mut p, input.recurrence.as_deref(), input.due_date);
    p.finish()?;
    if let Some(owner) = input.owner_id {
        people::must_exist(db, "owner_id", owner).await?;
    }
    let area = resolve_area(db, postmortem_id, input.cause_id, input.area).await?;
    let tracker_id = match input.tracker_id {
        Some(id) => {
            tracker_must_exist(db, id).await?;
            Some(id)
        }
        None => trackers::default_tracker(db).await?.map(|t| t.id),
    };
    let status = input.status.unwrap_or(ActionItemStatus::Open);
    let at = now();
    let row = action_item::ActiveModel {
        id: Set(new_id()),
        postmortem_id: Set(postmortem_id),
        cause_id: Set(input.cause_id),
        area: Set(area),
        title: Set(title),
        description: Set(description),
        owner_id: Set(input.owner_id),
        due_date: Set(input.due_date),
        priority: Set(input.priority),
        status: Set(status),
        tracker_id: Set(tracker_id),
        external_key: Set(None),
        external_url: Set(None),
        sync_state: Set(if tracker_id.is_some() {
            SyncState::Pending
        } else {
            SyncState::NotSynced
        }),
        last_sync_error: Set(None),
        last_sync_reason: Set(None),
        completed_at: Set(completed_at(status, None)),
        recurrence: Set(recurrence),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        synced_snapshot: Set(None),
        last_synced_at: Set(None),
    };
    Ok(row.insert(db).await?)
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<action_item::Model> {
    action_item::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("action item"))
}

/// Changes the item and queues the change for its tracker in one transaction.
pub async fn update(
    s: &Writer,
    id: Uuid,
    mut patch: ActionItemPatch,
    check: impl FnOnce(i32) -> ApiResult<()>,
) -> ApiResult<action_item::Model> {
    let (core, actor) = (s.core(), s.actor());
    if let Some(Some(owner)) = patch.owner_id {
        let item = get(&core.db, id).await?;
        let meant = anonymity::person_meant(&core.db, &core.settings, item.postmortem_id, owner);
        patch.owner_id = Some(Some(meant.await?));
    }
    let txn = begin_write(&core.db).await?;
    let before = get(&txn, id).await?;
    let item = change(&txn, id, patch, check).await?;
    match item.tracker_id {
        Some(_) => outbox::enqueue(&txn, &item, Urgency::Change).await?,
        None => outbox::discard(&txn, item.id).await?,
    }
    record(&txn, actor, Action::Update, Some(&before), Some(&item)).await?;
    txn.commit().await?;
    Ok(item)
}

/// `POST /api/v1/action-items/{id}/sync`: queue the item again now, with a fresh
/// set of attempts, whatever state it is in.
pub async fn resync(s: &Writer, id: Uuid) -> ApiResult<action_item::Model> {
    let actor = s.actor();
    let txn = begin_write(s.db()).await?;
    let item = get(&txn, id).await?;
    let before = item.clone();
    if item.tracker_id.is_none() {
        return Err(ApiError::validation(
            "tracker_id",
            "the action item has no tracker to sync to",
        ));
    }
    outbox::enqueue(&txn, &item, Urgency::Now).await?;
    let mut model: action_item::ActiveModel = item.into();
    model.sync_state = Set(SyncState::Pending);
    let item = model.update(&txn).await?;
    record(&txn, actor, Action::Sync, Some(&before), Some(&item)).await?;
    txn.commit().await?;
    Ok(item)
}

async fn change(
    db: &impl ConnectionTrait,
    id: Uuid,
    patch: ActionItemPatch,
    check: impl FnOnce(i32) -> ApiResult<()>,
) -> ApiResult<action_item::Model> {
    let current = get(db, id).await?;
    check(current.version)?;
    let mut p = Problems::default();
    let mut model: action_item::ActiveModel = current.clone().into();
    if let Some(title) = patch.title {
        model.title = Set(p.text("title", &title, 500));
    }
    if let Some(description) = patch.description {
        model.description = Set(p.prose("description", &description));
    }
    let due_date = patch.due_date.unwrap_or(current.due_date);
    let rule = patch
        .recurrence
        .unwrap_or_else(|| current.recurrence.clone());
    model.recurrence = Set(recurrence(&mut p, rule.as_deref(), due_date));
    p.finish()?;
    if let Some(owner) = patch.owner_id {
        if let Some(owner) = owner {
            people::must_exist(db, "owner_id", owner).await?;
        }
        model.owner_id = Set(owner);
    }
    if patch.cause_id.is_some() || patch.area.is_some() {
        let cause_id = patch.cause_id.unwrap_or(current.cause_id);
        // A new cause brings its own area unless the patch names one.
        let area = match (patch.area, patch.cause_id) {
            (Some(area), _) => area,
            (None, Some(_)) => None,
            (None, None) => current.area,
        };
        model.cause_id = Set(cause_id);
        model.area = Set(resolve_area(db, current.postmortem_id, cause_id, area).await?);
    }
    if let Some(due) = patch.due_date {
        model.due_date = Set(due);
    }
    if let Some(priority) = patch.priority {
        model.priority = Set(priority);
    }
    if let Some(status) = patch.status {
        model.status = Set(status);
        model.completed_at = Set(completed_at(status, Some(&current)));
    }
    if let Some(tracker_id) = patch.tracker_id
        && tracker_id != current.tracker_id
    {
        if let Some(tracker_id) = tracker_id {
            tracker_must_exist(db, tracker_id).await?;
        }
        // Another tracker means another issue there.
        model.tracker_id = Set(tracker_id);
        model.external_key = Set(None);
        model.external_url = Set(None);
        model.synced_snapshot = Set(None);
        model.last_sync_error = Set(None);
        model.last_sync_reason = Set(None);
    }
    let has_tracker = patch.tracker_id.unwrap_or(current.tracker_id).is_some();
    model.sync_state = Set(if has_tracker {
        SyncState::Pending
    } else {
        SyncState::NotSynced
    });
    model.version = Set(current.version + 1);
    model.updated_at = Set(now());
    update_versioned(db, model, action_item::Column::Version, current.version).await
}

pub async fn delete(s: &Admin, id: Uuid) -> ApiResult<()> {
    let txn = begin_write(s.db()).await?;
    let before = get(&txn, id).await?;
    let result = action_item::Entity::delete_by_id(id).exec(&txn).await?;
    if result.rows_affected == 0 {
        return Err(ApiError::NotFound("action item"));
    }
    record(&txn, s.actor(), Action::Delete, Some(&before), None).await?;
    txn.commit().await?;
    Ok(())
}

/// Items in the order they were created, as `reader` may look for them: an
/// `owner_id` only matches where the reader sees names ([`OwnerScope`]), so
/// nobody learns who owns an anonymized post-mortem's items by filtering.
pub async fn list(
    db: &impl ConnectionTrait,
    reader: Audience,
    filter: &ActionItemFilter,
    today: NaiveDate,
    page: &PageRequest,
) -> ApiResult<Page<action_item::Model>> {
    use action_item::Column as C;
    let mut query = action_item::Entity::find().order_by_asc(C::Id);
    if let Some(pm) = filter.postmortem_id {
        query = query.filter(C::PostmortemId.eq(pm));
    }
    if let Some(owner) = filter.owner_id {
        query = query.filter(C::OwnerId.eq(owner));
        match OwnerScope::of(reader) {
            OwnerScope::Everywhere => {}
            OwnerScope::NamedPostmortems => {
                query = query.filter(
                    C::PostmortemId.in_subquery(
                        sea_orm::sea_query::Query::select()
                            .column(postmortem::Column::Id)
                            .from(postmortem::Entity)
                            .and_where(postmortem::Column::Anonymized.eq(false))
                            .to_owned(),
                    ),
                );
            }
            OwnerScope::Nowhere => query = query.filter(sea_orm::sea_query::Expr::value(false)),
        }
    }
    if let Some(status) = filter.status {
        query = query.filter(C::Status.eq(status));
    }
    let open = [ActionItemStatus::Open, ActionItemStatus::InProgress];
    match filter.overdue {
        Some(true) => {
            query = query
                .filter(C::DueDate.lt(today))
                .filter(C::Status.is_in(open))
        }
        Some(false) => {
            query = query.filter(
                sea_orm::Condition::any()
                    .add(C::DueDate.is_null())
                    .add(C::DueDate.gte(today))
                    .add(C::Status.is_not_in(open)),
            )
        }
        None => {}
    }
    if let Some(before) = filter.due_before {
        query = query.filter(C::DueDate.lt(before));
    }
    if let Some(team) = &filter.team {
        query = query.filter(
            C::OwnerId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(person::Column::Id)
                    .from(person::Entity)
                    .and_where(person::Column::Team.eq(team.as_str()))
                    .to_owned(),
            ),
        );
    }
    if let Some(state) = filter.sync_state {
        query = query.filter(C::SyncState.eq(state));
    }
    if let Some(after) = &page.after {
        query = query.filter(C::Id.gt(parse_uuid_key(after)?));
    }
    let rows = query.limit(page.fetch()).all(db).await?;
    Ok(Page::from_rows(rows, page, |r| r.id.to_string()))
}

/// The action items of several post-mortems in one query, in creation order.
pub async fn for_postmortems(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> ApiResult<HashMap<Uuid, Vec<action_item::Model>>> {
    let rows = action_item::Entity::find()
        .filter(super::one_of(db, action_item::Column::PostmortemId, ids))
        .order_by_asc(action_item::Column::Id)
        .all(db)
        .await?;
    Ok(super::group_by(rows, |r| r.postmortem_id))
}
