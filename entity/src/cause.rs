//! A contributing cause, in one of the three areas.

use sea_orm::entity::prelude::*;

use crate::CauseArea;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "causes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub postmortem_id: Uuid,
    pub area: CauseArea,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
