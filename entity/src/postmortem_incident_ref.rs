//! An incident reference of a post-mortem (PagerDuty incident id, Alertmanager
//! group key, ...): events with this correlation key join its timeline.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "postmortem_incident_refs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub postmortem_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub incident_ref: String,
    pub position: i32,
}

impl ActiveModelBehavior for ActiveModel {}
