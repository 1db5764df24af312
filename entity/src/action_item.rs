//! A commitment that comes out of a post-mortem: one owner, one due date.

use sea_orm::entity::prelude::*;

use crate::{ActionItemStatus, CauseArea, Priority, SyncState};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "action_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub postmortem_id: Uuid,
    pub cause_id: Option<Uuid>,
    pub area: Option<CauseArea>,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub owner_id: Option<Uuid>,
    pub due_date: Option<Date>,
    pub priority: Option<Priority>,
    pub status: ActionItemStatus,
    pub tracker_id: Option<Uuid>,
    pub external_key: Option<String>,
    pub external_url: Option<String>,
    pub sync_state: SyncState,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_sync_error: Option<String>,
    /// The failure in hindsight's own words, naming the owner only as
    /// `{owner}`: what readers who may not see names are shown.
    #[sea_orm(column_type = "Text", nullable)]
    pub last_sync_reason: Option<String>,
    pub completed_at: Option<DateTimeUtc>,
    /// RFC 5545 RRULE (a subset) for recurring checks; the due date is the first occurrence.
    pub recurrence: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// JSON of what hindsight last wrote to the tracker (status, assignee, due
    /// date): a tracker change equal to it is our own echo.
    #[sea_orm(column_type = "Text", nullable)]
    pub synced_snapshot: Option<String>,
    pub last_synced_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
