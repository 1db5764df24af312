//! One recorded write: who made it (subject, role), what it changed (resource,
//! id, fields), when, and in which request. Rows are only ever inserted: the
//! database refuses to update or delete them.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub occurred_at: DateTimeUtc,
    /// The token's `sub`, or `webhook:<integration id>` / `tracker-sync` for the system.
    #[sea_orm(column_type = "Text")]
    pub subject: String,
    pub role: AuditRole,
    pub action: AuditAction,
    pub resource: AuditResource,
    pub resource_id: Uuid,
    /// The post-mortem the resource belongs to (or is), for its history.
    pub postmortem_id: Option<Uuid>,
    /// JSON `{"field": {"from": old, "to": new}}`; secrets as `"[redacted]"`.
    #[sea_orm(column_type = "Text")]
    pub changes: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub request_id: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}

/// Who wrote: a caller's role, or hindsight itself (webhooks, tracker sync).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum AuditRole {
    #[sea_orm(string_value = "viewer")]
    Viewer,
    #[sea_orm(string_value = "editor")]
    Editor,
    #[sea_orm(string_value = "admin")]
    Admin,
    #[sea_orm(string_value = "system")]
    System,
}

/// The user's verb.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    #[sea_orm(string_value = "create")]
    Create,
    #[sea_orm(string_value = "update")]
    Update,
    #[sea_orm(string_value = "delete")]
    Delete,
    /// A participant joined a post-mortem.
    #[sea_orm(string_value = "add")]
    Add,
    /// A participant left it.
    #[sea_orm(string_value = "remove")]
    Remove,
    #[sea_orm(string_value = "publish")]
    Publish,
    /// Timeline entries and phase timestamps taken from stored events.
    #[sea_orm(string_value = "prefill")]
    Prefill,
    /// An action item queued again for its tracker.
    #[sea_orm(string_value = "sync")]
    Sync,
    #[sea_orm(string_value = "rotate_secret")]
    RotateSecret,
    #[sea_orm(string_value = "issue_token")]
    IssueToken,
    #[sea_orm(string_value = "revoke_token")]
    RevokeToken,
    /// Stored webhook deliveries run again through today's code and rules.
    #[sea_orm(string_value = "replay")]
    Replay,
}

/// What was written.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum AuditResource {
    #[sea_orm(string_value = "postmortem")]
    Postmortem,
    #[sea_orm(string_value = "timeline_entry")]
    TimelineEntry,
    #[sea_orm(string_value = "cause")]
    Cause,
    #[sea_orm(string_value = "action_item")]
    ActionItem,
    /// Its id is the person's; the post-mortem is `postmortem_id`.
    #[sea_orm(string_value = "participant")]
    Participant,
    #[sea_orm(string_value = "person")]
    Person,
    #[sea_orm(string_value = "tracker")]
    Tracker,
    #[sea_orm(string_value = "integration")]
    Integration,
    /// A person's calendar feed token; its id is the person's.
    #[sea_orm(string_value = "calendar_token")]
    CalendarToken,
    /// A share link of a post-mortem; its id is the link's.
    #[sea_orm(string_value = "share_link")]
    ShareLink,
}
