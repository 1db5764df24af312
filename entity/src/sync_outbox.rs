//! One row per action item whose latest state has yet to reach its tracker.
//!
//! The row does not carry a payload: the worker always sends the item's latest
//! state, so several changes made while one is in flight coalesce (last write
//! wins) and `seq` tells the worker whether a change arrived while it worked.

use sea_orm::entity::prelude::*;

use crate::SyncOperation;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub action_item_id: Uuid,
    pub operation: SyncOperation,
    /// Bumped by every change to the item; the worker finishes a row only if it
    /// is unchanged since the claim.
    pub seq: i32,
    pub attempts: i32,
    /// A create was sent at least once: its outcome may be unknown, so the next
    /// try looks for the marker first.
    pub create_started: bool,
    /// `None` parks the row (the item is `failed`) until a change or a manual sync.
    pub next_attempt_at: Option<DateTimeUtc>,
    pub claimed_by: Option<String>,
    /// The claim's lease: past it, another worker may take the row over.
    pub claimed_until: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
