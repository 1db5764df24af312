//! A post-mortem: the record of one incident and what is learnt from it.

use sea_orm::entity::prelude::*;

use crate::{PostmortemStatus, Severity};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "postmortems")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    pub status: PostmortemStatus,
    pub severity: Option<Severity>,
    pub impact_started_at: Option<DateTimeUtc>,
    pub detected_at: Option<DateTimeUtc>,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub mitigated_at: Option<DateTimeUtc>,
    pub resolved_at: Option<DateTimeUtc>,
    pub author_id: Option<Uuid>,
    pub anonymized: bool,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
    /// Why an admin published despite review errors.
    #[sea_orm(column_type = "Text", nullable)]
    pub publish_override_reason: Option<String>,
    /// The token subject that published it.
    pub published_by: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
