//! A check value of a key the database was set up with: every replica must hold
//! the same key, and one whose key gives another value refuses to start.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "key_checks")]
pub struct Model {
    /// `secret_key` or `jwt_secret`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// HMAC-SHA256 of a fixed text under the key, hex: says whether two keys
    /// are the same without telling the key.
    pub check_value: String,
    pub recorded_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
