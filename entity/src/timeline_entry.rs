//! One moment of an incident's timeline, written by hand or pre-filled from an event.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "timeline_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub postmortem_id: Uuid,
    pub occurred_at: DateTimeUtc,
    pub kind: String,
    pub source: String,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub link: Option<String>,
    pub service: Option<String>,
    pub event_id: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
