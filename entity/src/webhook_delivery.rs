//! One verified webhook request, kept whether or not it could be read: its raw
//! body (until the body retention drops it), what became of it, and the key
//! that dedupes the sender's retries (kept longer than the body).

use sea_orm::entity::prelude::*;

use crate::DeliveryState;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub integration_id: Uuid,
    /// The sender's delivery id, or a hash of what the delivery holds; unique
    /// per integration.
    pub delivery_key: String,
    pub body: Vec<u8>,
    pub headers: Json,
    /// Events this delivery made (new ones only: repeats of known events
    /// are not counted).
    pub event_count: i32,
    pub received_at: DateTimeUtc,
    pub state: DeliveryState,
    /// Why it was ignored or could not be read.
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    /// When the raw body was dropped (it is then empty); the key stays.
    pub body_pruned_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
