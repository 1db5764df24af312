//! The services a post-mortem is about, one row each so lists can filter by service.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "postmortem_services")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub postmortem_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub service: String,
    pub position: i32,
}

impl ActiveModelBehavior for ActiveModel {}
