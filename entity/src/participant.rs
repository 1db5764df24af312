//! A person's part in one post-mortem (author, reviewer, participant).

use sea_orm::entity::prelude::*;

use crate::ParticipantRole;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "participants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub postmortem_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub person_id: Uuid,
    pub role: ParticipantRole,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
