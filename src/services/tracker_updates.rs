//! Changes coming back from a tracker (webhook or reconcile) applied to the action
//! item: status, owner and due date. Our own writes coming back, and deliveries
//! older than the item's last change, are recognised and change nothing.
//!
//! The webhook handler (`POST /webhooks/{id}` for `jira` and `github`
//! integrations) parses its payload into a [`TrackerUpdate`] and calls [`apply`];
//! the periodic reconcile does the same with what it re-reads.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{ActionItemStatus, SyncState, TrackerKind, action_item, person, tracker};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession,
    TransactionTrait, prelude::*,
};
use serde::{Deserialize, Serialize};

use super::{
    action_items,
    audit::{Action, Actor},
    begin_write, now, outbox,
};
use crate::{error::ApiResult, trackers::Status};

/// One change to a tracker issue, in tracker-neutral terms.
#[derive(Debug, Clone)]
pub struct TrackerUpdate {
    pub kind: TrackerKind,
    /// `owner/repo` for GitHub; ignored for other kinds.
    pub repo: Option<String>,
    /// Jira key (`OPS-12`), GitHub issue number, GitLab iid or Linear identifier.
    pub issue_key: String,
    pub status: Option<Status>,
    /// The tracker's user id (Jira account id, GitHub login...); `Some(None)` when
    /// the issue was unassigned, `None` when the change says nothing about it.
    pub assignee: Option<Option<String>>,
    pub due_date: Option<Option<NaiveDate>>,
    /// When the tracker made the change.
    pub updated_at: DateTime<Utc>,
    /// The tracker user who made it, when the source says.
    pub changed_by: Option<String>,
    /// The issue was deleted in the tracker: the item is unlinked from it.
    pub deleted: bool,
}

impl TrackerUpdate {
    /// The tracker-neutral change a Jira or GitHub webhook reports; `None` for
    /// other sources.
    pub fn from_webhook(update: &crate::ingest::TrackerUpdate) -> Option<Self> {
        use crate::ingest::{SourceKind, TrackerStatus};
        let (kind, issue_key) = match update.source {
            SourceKind::Jira => (TrackerKind::Jira, update.issue_key.clone()),
            SourceKind::Github => (TrackerKind::Github, update.issue_number?.to_string()),
            _ => return None,
        };
        // A deleted GitHub issue still reads `closed`: that is not the work done.
        let deleted = match update.source {
            SourceKind::Jira => update.action == "jira:issue_deleted",
            _ => update.action == "deleted",
        };
        let status = update.status.filter(|_| !deleted).map(|s| match s {
            TrackerStatus::Open => Status::Open,
            TrackerStatus::InProgress => Status::InProgress,
            TrackerStatus::Done => Status::Done,
            TrackerStatus::WontDo => Status::WontDo,
        });
        Some(Self {
            kind,
            repo: update.repository.clone(),
            issue_key,
            status,
            // Both payloads carry the whole issue: no assignee means unassigned.
            // A deleted issue's fields say nothing any more.
            assignee: (!deleted).then(|| update.assignees.first().cloned()),
            // GitHub issues have no due date; Jira's payload carries the field.
            due_date: (kind == TrackerKind::Jira && !deleted).then_some(update.due_date),
            updated_at: update.updated_at,
            changed_by: update.changed_by.clone(),
            deleted,
        })
    }
}

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    Changed(Box<action_item::Model>),
    /// Our own write coming back.
    Echo,
    /// Older than the item's last change.
    Stale,
    /// Nothing that hindsight keeps differs.
    Unchanged,
    /// No action item is synced to this issue.
    UnknownIssue,
}

/// What hindsight last wrote to the tracker (or last read from it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub status: Option<Status>,
    pub assignee: Option<String>,
    pub due_date: Option<NaiveDate>,
}

impl Snapshot {
    pub fn parse(text: Option<&str>) -> Self {
        text.and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Whether `update` only repeats what this snapshot holds.
    fn covers(&self, update: &TrackerUpdate) -> bool {
        update.status.is_none_or(|s| Some(s) == self.status)
            && update.assignee.as_ref().is_none_or(|a| *a == self.assignee)
            && update.due_date.is_none_or(|d| d == self.due_date)
    }
}

pub fn item_status(status: Status) -> ActionItemStatus {
    match status {
        Status::Open => ActionItemStatus::Open,
        Status::InProgress => ActionItemStatus::InProgress,
        Status::Done => ActionItemStatus::Done,
        Status::WontDo => ActionItemStatus::WontDo,
    }
}

/// The status the tracker will report back for `status`: GitHub and GitLab
/// issues are only open or closed, so "in progress" reads back as open.
pub fn as_reported(kind: TrackerKind, status: Status) -> Status {
    match (kind, status) {
        (TrackerKind::Github | TrackerKind::Gitlab, Status::InProgress) => Status::Open,
        _ => status,
    }
}

pub fn tracker_status(status: ActionItemStatus) -> Status {
    match status {
        ActionItemStatus::Open => Status::Open,
        ActionItemStatus::InProgress => Status::InProgress,
        ActionItemStatus::Done => Status::Done,
        ActionItemStatus::WontDo => Status::WontDo,
    }
}

/// The item synced to this issue, and its tracker.
async fn find_item(
    db: &impl ConnectionTrait,
    update: &TrackerUpdate,
) -> ApiResult<Option<(action_item::Model, tracker::Model)>> {
    let repo = match update.kind {
        TrackerKind::Github => match update.repo.as_deref().and_then(|r| r.split_once('/')) {
            Some(repo) => Some(repo),
            None => return Ok(None),
        },
        _ => None,
    };
    let same =
        |a: &Option<String>, b: &str| a.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(b));
    let trackers = tracker::Entity::find()
        .filter(tracker::Column::Kind.eq(update.kind))
        .all(db)
        .await?
        .into_iter()
        .filter(|t| repo.is_none_or(|(owner, repo)| same(&t.owner, owner) && same(&t.repo, repo)));
    for tracker in trackers {
        let item = action_item::Entity::find()
            .filter(action_item::Column::TrackerId.eq(tracker.id))
            .filter(action_item::Column::ExternalKey.eq(update.issue_key.as_str()))
            .one(db)
            .await?;
        if let Some(item) = item {
            return Ok(Some((item, tracker)));
        }
    }
    Ok(None)
}

/// The person whose identity for `kind` is `id`.
async fn person_with_identity(
    db: &impl ConnectionTrait,
    kind: TrackerKind,
    id: &str,
) -> ApiResult<Option<person::Model>> {
    let column = match kind {
        TrackerKind::Jira => person::Column::JiraAccountId,
        TrackerKind::Github => person::Column::GithubLogin,
        TrackerKind::Gitlab => person::Column::GitlabUserId,
        TrackerKind::Linear => person::Column::LinearUserId,
    };
    Ok(person::Entity::find().filter(column.eq(id)).one(db).await?)
}

/// Applies a tracker change to its action item. Does not queue anything back
/// out: the tracker already holds this state. A change is recorded as
/// `actor`'s (the webhook's integration, or the reconcile); what only moves the
/// snapshot of what hindsight last wrote is bookkeeping, and is not.
pub async fn apply(
    db: &impl TransactionTrait,
    update: &TrackerUpdate,
    actor: &Actor,
) -> ApiResult<Applied> {
    let txn = begin_write(db).await?;
    let outcome = apply_in(&txn, update, actor).await?;
    txn.commit().await?;
    Ok(outcome)
}

async fn apply_in(
    db: &(impl ConnectionTrait + TransactionSession),
    update: &TrackerUpdate,
    actor: &Actor,
) -> ApiResult<Applied> {
    let Some((item, tracker)) = find_item(db, update).await? else {
        return Ok(Applied::UnknownIssue);
    };
    if update.changed_by.is_some() && update.changed_by == tracker.api_user {
        return Ok(Applied::Echo);
    }
    if update.deleted {
        return unlink(db, item, tracker.kind, update, actor).await;
    }
    let mut snapshot = Snapshot::parse(item.synced_snapshot.as_deref());
    if snapshot.covers(update) {
        return Ok(Applied::Echo);
    }
    if update.updated_at < item.updated_at {
        return Ok(Applied::Stale);
    }
    let mut model: action_item::ActiveModel = item.clone().into();
    let mut changed = false;
    if let Some(status) = update.status {
        snapshot.status = Some(status);
        // "Open" from a tracker without "in progress" says nothing against it.
        let unchanged = as_reported(update.kind, tracker_status(item.status)) == status;
        let status = item_status(status);
        if !unchanged {
            model.status = Set(status);
            model.completed_at = Set(match status.is_closed() {
                true => item.completed_at.or(Some(now())),
                false => None,
            });
            changed = true;
        }
    }
    if let Some(assignee) = &update.assignee {
        snapshot.assignee = assignee.clone();
        let owner = match assignee {
            Some(id) => person_with_identity(db, update.kind, id)
                .await?
                .map(|p| p.id),
            None => None,
        };
        // An assignee hindsight does not know keeps the owner it has.
        if (assignee.is_none() || owner.is_some()) && owner != item.owner_id {
            model.owner_id = Set(owner);
            changed = true;
        }
    }
    if let Some(due) = update.due_date {
        snapshot.due_date = due;
        if due != item.due_date {
            model.due_date = Set(due);
            changed = true;
        }
    }
    model.synced_snapshot = Set(Some(snapshot.to_json()));
    if !changed {
        model.update(db).await?;
        return Ok(Applied::Unchanged);
    }
    model.version = Set(item.version + 1);
    model.updated_at = Set(now());
    let saved = model.update(db).await?;
    action_items::record(db, actor, Action::Update, Some(&item), Some(&saved)).await?;
    tracing::info!(item = %saved.id, key = %update.issue_key, "applied a change made in the tracker");
    Ok(Applied::Changed(Box::new(saved)))
}

/// The issue is gone from the tracker: the item keeps its work and its
/// status, but no longer points at the issue, and says why. It is not
/// re-created behind the user's back (someone deleted it on purpose);
/// setting a tracker again creates a new issue. However old the deletion,
/// it applies: the issue does not come back.
async fn unlink(
    db: &(impl ConnectionTrait + TransactionSession),
    item: action_item::Model,
    kind: TrackerKind,
    update: &TrackerUpdate,
    actor: &Actor,
) -> ApiResult<Applied> {
    let tracker = match kind {
        TrackerKind::Jira => "Jira",
        TrackerKind::Github => "GitHub",
        TrackerKind::Gitlab => "GitLab",
        TrackerKind::Linear => "Linear",
    };
    let issue = match &update.repo {
        Some(repo) => format!("{repo}#{}", update.issue_key),
        None => update.issue_key.clone(),
    };
    // GitHub does not say when an issue was deleted, so the reason names no time.
    let reason = format!(
        "the {tracker} issue {issue} was deleted in {tracker}; the item is no longer linked \
         to a tracker (set a tracker again to create a new issue)"
    );
    outbox::discard(db, item.id).await?;
    let mut model: action_item::ActiveModel = item.clone().into();
    model.tracker_id = Set(None);
    model.external_key = Set(None);
    model.external_url = Set(None);
    model.synced_snapshot = Set(None);
    model.sync_state = Set(SyncState::NotSynced);
    model.last_sync_error = Set(Some(reason.clone()));
    model.last_sync_reason = Set(Some(reason));
    model.version = Set(item.version + 1);
    model.updated_at = Set(now());
    let saved = model.update(db).await?;
    action_items::record(db, actor, Action::Update, Some(&item), Some(&saved)).await?;
    tracing::info!(item = %saved.id, key = %update.issue_key, "unlinked an item whose issue was deleted");
    Ok(Applied::Changed(Box::new(saved)))
}
