//! A tracker that answered with a rate limit, and until when every replica
//! leaves it be.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tracker_pauses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tracker_id: Uuid,
    pub paused_until: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
