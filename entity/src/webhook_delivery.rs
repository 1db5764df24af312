//! One accepted webhook request: its raw body, kept so its key dedupes repeats.

use sea_orm::entity::prelude::*;

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
    pub event_count: i32,
    pub received_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
