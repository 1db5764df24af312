//! The sync outbox: at most one row per action item, written in the same
//! transaction as the change it carries, claimed by workers under a lease.
//!
//! A row means "bring the tracker to this item's latest state". Changes made
//! while a row waits or is in flight bump its `seq` instead of adding rows, so
//! one item never has two syncs in flight and the last write wins.

use chrono::{DateTime, Utc};
use entity::{SyncOperation, SyncState, action_item, sync_outbox};
use sea_orm::{
    ActiveValue::Set,
    ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionSession, TransactionTrait,
    prelude::*,
    sea_query::{LockBehavior, LockType, OnConflict},
};

use super::{begin_write, new_id, now};
use crate::error::ApiResult;

/// When a queued row should run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// A change: waits out a backoff already under way (the tracker asked for it).
    Change,
    /// `POST .../sync`: run now and with a fresh set of attempts.
    Now,
}

/// Queues `item` for its tracker. Call it inside the transaction that changed it.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    item: &action_item::Model,
    urgency: Urgency,
) -> ApiResult<()> {
    use sync_outbox::Column as C;
    let operation = match item.external_key {
        Some(_) => SyncOperation::Update,
        None => SyncOperation::Create,
    };
    let at = now();
    let row = sync_outbox::ActiveModel {
        id: Set(new_id()),
        action_item_id: Set(item.id),
        operation: Set(operation),
        seq: Set(1),
        attempts: Set(0),
        create_started: Set(false),
        next_attempt_at: Set(Some(at)),
        claimed_by: Set(None),
        claimed_until: Set(None),
        last_error: Set(None),
        created_at: Set(at),
    };
    let next_attempt = match urgency {
        Urgency::Change => {
            Expr::cust("COALESCE(sync_outbox.next_attempt_at, excluded.next_attempt_at)")
        }
        Urgency::Now => Expr::cust("excluded.next_attempt_at"),
    };
    let mut on_conflict = OnConflict::column(C::ActionItemId);
    on_conflict
        .value(C::Seq, Expr::cust("sync_outbox.seq + 1"))
        .value(C::Attempts, Expr::value(0))
        .value(C::Operation, Expr::cust("excluded.operation"))
        .value(C::NextAttemptAt, next_attempt);
    sync_outbox::Entity::insert(row)
        .on_conflict(on_conflict)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Forgets the item's pending sync (it no longer has a tracker).
pub async fn discard(db: &impl ConnectionTrait, action_item_id: Uuid) -> ApiResult<()> {
    sync_outbox::Entity::delete_many()
        .filter(sync_outbox::Column::ActionItemId.eq(action_item_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Claims up to `limit` due rows for `worker` until `now + lease`. On PostgreSQL
/// the rows are read `FOR UPDATE SKIP LOCKED`, so replicas claiming at the same
/// moment each get different rows without waiting on one another; on SQLite the
/// write transaction is exclusive anyway. Either way the claim itself is the
/// lease, so rows of a worker that died are claimable again once it runs out.
pub async fn claim(
    db: &impl TransactionTrait,
    worker: &str,
    lease: std::time::Duration,
    limit: u64,
) -> ApiResult<Vec<sync_outbox::Model>> {
    use sync_outbox::Column as C;
    let txn = begin_write(db).await?;
    let at = now();
    let mut due = sync_outbox::Entity::find()
        .filter(C::NextAttemptAt.lte(at))
        .filter(
            sea_orm::Condition::any()
                .add(C::ClaimedUntil.is_null())
                .add(C::ClaimedUntil.lt(at)),
        )
        .order_by_asc(C::NextAttemptAt)
        .limit(limit);
    if txn.get_database_backend() == DbBackend::Postgres {
        due = due.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let rows = due.all(&txn).await?;
    if rows.is_empty() {
        return Ok(rows);
    }
    let until = at + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
    sync_outbox::Entity::update_many()
        .col_expr(C::ClaimedBy, Expr::value(worker))
        .col_expr(C::ClaimedUntil, Expr::value(until))
        .filter(C::Id.is_in(rows.iter().map(|r| r.id)))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| sync_outbox::Model {
            claimed_by: Some(worker.to_owned()),
            claimed_until: Some(until),
            ..r
        })
        .collect())
}

/// The claim as it was taken: the row is still ours and unchanged since.
fn ours(row: &sync_outbox::Model) -> sea_orm::Condition {
    use sync_outbox::Column as C;
    sea_orm::Condition::all()
        .add(C::Id.eq(row.id))
        .add(C::ClaimedBy.eq(row.claimed_by.clone()))
}

/// An update that also gives up the claim.
fn unclaimed() -> sea_orm::UpdateMany<sync_outbox::Entity> {
    use sync_outbox::Column as C;
    sync_outbox::Entity::update_many()
        .col_expr(C::ClaimedBy, Expr::value(Option::<String>::None))
        .col_expr(C::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None))
}

/// Notes, before sending a create, that its outcome may from now on be unknown.
pub async fn mark_create_started(
    db: &impl ConnectionTrait,
    row: &sync_outbox::Model,
) -> ApiResult<()> {
    sync_outbox::Entity::update_many()
        .col_expr(sync_outbox::Column::CreateStarted, Expr::value(true))
        .filter(ours(row))
        .exec(db)
        .await?;
    Ok(())
}

/// Why a sync did not go through, said twice: `reason` in hindsight's own
/// words, naming the owner only as `{owner}` (every reader sees it, with the
/// owner as they may see them), and `detail`, the tracker's own words, which
/// can name anyone and are shown to admins only.
#[derive(Debug, Clone)]
pub struct SyncFailure {
    pub reason: String,
    pub detail: String,
}

/// Where a neutral reason names the action item's owner.
pub const OWNER_REFERENCE: &str = "{owner}";

/// What the tracker holds after a successful sync.
pub struct Synced {
    /// The tracker the issue lives in: if the item moved to another meanwhile,
    /// the key is not recorded.
    pub tracker_id: Uuid,
    pub external_key: String,
    pub external_url: String,
    /// JSON of the status, assignee and due date written (see `tracker_updates`).
    pub snapshot: String,
}

/// Records a sync. The row goes only if no change arrived meanwhile; otherwise it
/// is released to run again at once, with the item still `pending`.
pub async fn succeeded(
    db: &impl TransactionTrait,
    row: &sync_outbox::Model,
    synced: Synced,
) -> ApiResult<()> {
    use sync_outbox::Column as C;
    let txn = begin_write(db).await?;
    let deleted = sync_outbox::Entity::delete_many()
        .filter(ours(row))
        .filter(C::Seq.eq(row.seq))
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    // Not deleted: a change arrived meanwhile (run again), or the row is gone
    // (the item left its tracker) or was taken over: then the item is not ours.
    let released = !deleted
        && unclaimed()
            .col_expr(C::NextAttemptAt, Expr::value(now()))
            .col_expr(C::CreateStarted, Expr::value(false))
            .col_expr(C::Operation, Expr::value(SyncOperation::Update))
            .filter(ours(row))
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
    let state = match (deleted, released) {
        (true, _) => Some(SyncState::Synced),
        (false, true) => Some(SyncState::Pending),
        (false, false) => None,
    };
    if let Some(state) = state {
        set_item_sync(&txn, row.action_item_id, state, None, Some(synced)).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// A failure the worker will retry at `next_at`; the item stays `pending` and
/// shows the last error.
pub async fn retry_later(
    db: &impl TransactionTrait,
    row: &sync_outbox::Model,
    failure: &SyncFailure,
    next_at: DateTime<Utc>,
) -> ApiResult<()> {
    use sync_outbox::Column as C;
    let txn = begin_write(db).await?;
    let still_ours = unclaimed()
        .col_expr(C::Attempts, Expr::cust("attempts + 1"))
        .col_expr(C::LastError, Expr::value(failure.detail.clone()))
        .col_expr(C::NextAttemptAt, Expr::value(next_at))
        .filter(ours(row))
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if still_ours {
        set_item_sync(
            &txn,
            row.action_item_id,
            SyncState::Pending,
            Some(failure),
            None,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// A failure retrying cannot fix (or the last allowed attempt): the row is
/// parked and the item shows `failed` with the reason, unless a change arrived
/// meanwhile, which gets its own try.
pub async fn failed(
    db: &impl TransactionTrait,
    row: &sync_outbox::Model,
    failure: &SyncFailure,
) -> ApiResult<()> {
    use sync_outbox::Column as C;
    let txn = begin_write(db).await?;
    let parked = unclaimed()
        .col_expr(C::Attempts, Expr::cust("attempts + 1"))
        .col_expr(C::LastError, Expr::value(failure.detail.clone()))
        .col_expr(C::NextAttemptAt, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(ours(row))
        .filter(C::Seq.eq(row.seq))
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if parked {
        set_item_sync(
            &txn,
            row.action_item_id,
            SyncState::Failed,
            Some(failure),
            None,
        )
        .await?;
    } else {
        retry_now(&txn, row).await?;
    }
    txn.commit().await?;
    Ok(())
}

async fn retry_now(db: &impl ConnectionTrait, row: &sync_outbox::Model) -> ApiResult<()> {
    use sync_outbox::Column as C;
    unclaimed()
        .col_expr(C::NextAttemptAt, Expr::value(now()))
        .filter(ours(row))
        .exec(db)
        .await?;
    Ok(())
}

/// Puts a claimed row back untouched (its tracker is paused by a rate limit).
pub async fn postpone(
    db: &impl ConnectionTrait,
    row: &sync_outbox::Model,
    until: DateTime<Utc>,
) -> ApiResult<()> {
    use sync_outbox::Column as C;
    unclaimed()
        .col_expr(C::NextAttemptAt, Expr::value(until))
        .filter(ours(row))
        .exec(db)
        .await?;
    Ok(())
}

/// Writes only the sync columns, so a user's concurrent edit is never undone and
/// the item's version (its ETag) does not move.
async fn set_item_sync(
    db: &impl ConnectionTrait,
    item_id: Uuid,
    state: SyncState,
    failure: Option<&SyncFailure>,
    synced: Option<Synced>,
) -> ApiResult<()> {
    use action_item::Column as C;
    let mut update = action_item::Entity::update_many()
        .col_expr(C::SyncState, Expr::value(state))
        .col_expr(
            C::LastSyncError,
            Expr::value(failure.map(|f| f.detail.clone())),
        )
        .col_expr(
            C::LastSyncReason,
            Expr::value(failure.map(|f| f.reason.clone())),
        )
        .filter(C::Id.eq(item_id));
    if let Some(synced) = synced {
        update = update
            .filter(C::TrackerId.eq(synced.tracker_id))
            .col_expr(C::ExternalKey, Expr::value(synced.external_key))
            .col_expr(C::ExternalUrl, Expr::value(synced.external_url))
            .col_expr(C::SyncedSnapshot, Expr::value(synced.snapshot))
            .col_expr(C::LastSyncedAt, Expr::value(now()));
    }
    update.exec(db).await?;
    Ok(())
}
