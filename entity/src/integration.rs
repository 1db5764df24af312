//! A monitoring tool that sends hindsight webhooks, with its (encrypted) secret.

use sea_orm::entity::prelude::*;

use crate::IntegrationKind;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "integrations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: IntegrationKind,
    pub name: String,
    /// base64(nonce || AES-256-GCM ciphertext) under the configured secret key.
    #[sea_orm(column_type = "Text")]
    pub secret_encrypted: String,
    /// The secret before the last rotation, accepted until `previous_valid_until`.
    #[sea_orm(column_type = "Text", nullable)]
    pub previous_secret_encrypted: Option<String>,
    pub previous_valid_until: Option<DateTimeUtc>,
    pub config: Json,
    pub accepted_count: i64,
    pub duplicate_count: i64,
    pub rejected_count: i64,
    pub last_received_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
