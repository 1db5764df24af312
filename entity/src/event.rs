//! An alert or deploy event normalized from a webhook, in the source's own time.

use sea_orm::entity::prelude::*;

use crate::TimeSource;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub integration_id: Uuid,
    pub delivery_id: Option<Uuid>,
    pub occurred_at: DateTimeUtc,
    pub kind: String,
    #[sea_orm(column_type = "Text")]
    pub title: String,
    pub service: Option<String>,
    pub severity: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub link: Option<String>,
    pub actor: Option<String>,
    pub correlation_key: Option<String>,
    pub source: String,
    /// The event's identity at its source; unique per integration.
    pub dedupe_key: String,
    pub external_id: Option<String>,
    pub raw_event_type: String,
    pub received_at: DateTimeUtc,
    /// Whether `occurred_at` is the source's own time or the arrival time.
    pub time_source: TimeSource,
}

impl ActiveModelBehavior for ActiveModel {}
